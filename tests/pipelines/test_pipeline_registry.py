"""pipeline_registry: the text pipelines are created for the `text_tables` parameter of the
configuration (one namespaced pipeline per table); a list that cannot be used is an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.framework.project import configure_project
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from relsynth.pipeline_registry import configured_text_tables, register_pipelines
from relsynth.pipelines import text_training
from relsynth.relational import RelationalData

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.filterwarnings("ignore:register_new_resolver:UserWarning")  # omegaconf, via Kedro


def project(root: Path, base: str, **envs: str) -> Path:
    """A project directory whose conf/<env>/parameters_text_training.yml hold the given YAML."""
    for env, text in {"base": base, **envs}.items():
        (root / "conf" / env).mkdir(parents=True)
        (root / "conf" / env / "parameters_text_training.yml").write_text(text)
    return root


def test_text_tables_come_from_base_then_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEDRO_ENV", raising=False)
    root = project(tmp_path, "text_tables: [artist, album, track]\n", fast="text_tables: [artist]\n", local="{}\n")
    assert configured_text_tables(root) == ["artist", "album", "track"]  # conf/local overrides nothing
    assert configured_text_tables(root, env="fast") == ["artist"]
    monkeypatch.setenv("KEDRO_ENV", "fast")
    assert configured_text_tables(root) == ["artist"]


def test_the_shipped_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEDRO_ENV", raising=False)
    assert configured_text_tables(REPO, env="base") == ["artist", "album", "track"]


@pytest.mark.parametrize(
    "yaml, message",
    [
        ("text_preproc: {}\n", r"no text_tables parameter in .*conf: set it in conf/base/parameters_text_training.yml"),
        ("text_tables: artist\n", r"params:text_tables must be a list of table names"),
        ("text_tables: [artist, artist]\n", r"tables named twice \['artist'\]"),
    ],
)
def test_unusable_text_tables_are_refused(tmp_path: Path, yaml: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        configured_text_tables(project(tmp_path, yaml), env="base")


def test_register_pipelines_creates_one_text_pipeline_per_table(monkeypatch: pytest.MonkeyPatch) -> None:
    configure_project("relsynth")
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("KEDRO_ENV", raising=False)
    tables = configured_text_tables()
    pipelines = register_pipelines()
    for table in tables:
        assert {n.name for n in pipelines[f"text_training.{table}"].nodes} == {
            f"text_training.{table}.{name}"
            for name in ("fit_text_preproc", "encode_text_dataset", "build_text_model", "train_text_model")
        }
    assert pipelines["text_training"].outputs() == {f"text_model_{t}" for t in tables} | {"text_training_warnings"}
    assert {f"text_model_{t}" for t in tables} <= pipelines["text_generation"].inputs()
    default = {n.name for n in pipelines["__default__"].nodes}
    assert {"text_generation.fill_texts", "evaluation.evaluate_synthetic_database"} <= default
    assert "text_training.train_text_models" in default  # several tables: their models train side by side
    assert "evaluation_report" in pipelines["__default__"].outputs()
    assert "synthetic_database" in pipelines["__default__"].all_outputs()


def test_a_table_unknown_to_the_data_stops_its_first_node(tiny_database: RelationalData, text_params: dict) -> None:
    """The schema is the data's, known when the run reads it: the table's first node names the problem."""
    catalog = DataCatalog(
        {
            "database_train": MemoryDataset(tiny_database, copy_mode="assign"),
            **{f"params:{group}": MemoryDataset(value) for group, value in text_params.items()},
            "params:text_architecture.block_size": MemoryDataset(32),
            "params:text_training.seed": MemoryDataset(0),
        }
    )
    with pytest.raises(ValueError, match=r"params:text_tables names table 'customer', which is not in the schema"):
        SequentialRunner().run(text_training.create_pipeline(text_tables=["customer"]), catalog)
