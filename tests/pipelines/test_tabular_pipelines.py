"""preprocessing -> materialisation -> tabular_training -> generation, run together on the tiny
database: once with every dataset in memory, once with the project's dataset classes on disk; and
the one `dp` group turning DP on (or off) in both the preprocessor's fit and the training."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from relsynth.datasets import DirectoryDataset
from relsynth.pipelines import generation, materialisation, preprocessing, tabular_training
from relsynth.relational import RelationalData
from relsynth.synth import TabularModel, TabularPreproc

INTERMEDIATE = ("tabular_preproc", "tabular_dataset_train", "tabular_dataset_valid", "tabular_model")
OUTPUTS = ("tabular_training_summary", "tabular_training_metrics", "synthetic_tabular")


def tabular_pipeline():
    return sum(m.create_pipeline() for m in (preprocessing, materialisation, tabular_training, generation))


def run(catalog: DataCatalog) -> None:
    SequentialRunner().run(tabular_pipeline(), catalog)


class KeptDataset(MemoryDataset):
    """A MemoryDataset that the runner cannot release, so the test can look at it afterwards."""

    def _release(self) -> None:
        pass


def in_memory(names) -> dict[str, MemoryDataset]:
    return {name: KeptDataset(copy_mode="assign") for name in names}


def inputs(parts: tuple[RelationalData, RelationalData], params: dict) -> dict[str, MemoryDataset]:
    train, valid = parts
    return {
        "database_train": MemoryDataset(train, copy_mode="assign"),
        "database_valid": MemoryDataset(valid, copy_mode="assign"),
        **{f"params:{group}": MemoryDataset(value) for group, value in params.items()},
        "params:tabular_training.seed": MemoryDataset(params["tabular_training"]["seed"]),
    }


def assert_trained_and_generated(catalog: DataCatalog, train: RelationalData) -> None:
    synthetic = catalog.load("synthetic_tabular")
    assert isinstance(synthetic, RelationalData) and synthetic.schema == train.schema
    RelationalData(dict(synthetic.items()), synthetic.schema)  # keys and foreign keys valid
    assert len(synthetic["artist"]) == len(train["artist"])  # n_samples: null
    summary = catalog.load("tabular_training_summary")
    assert [r["epoch"] for r in summary["history"]] == [1, 2]
    metrics = catalog.load("tabular_training_metrics")
    assert metrics["n_steps"] == {"value": float(summary["n_steps"]), "step": 0}


def test_tabular_pipelines_in_memory(tiny_parts: tuple[RelationalData, RelationalData], params: dict) -> None:
    catalog = DataCatalog({**inputs(tiny_parts, params), **in_memory(INTERMEDIATE + OUTPUTS)})
    run(catalog)
    assert_trained_and_generated(catalog, tiny_parts[0])
    assert catalog.load("tabular_dataset_train").path is None  # on_disk: false, encoded in RAM


def test_tabular_pipelines_through_the_dataset_classes(
    tmp_path: Path, tiny_parts: tuple[RelationalData, RelationalData], params: dict
) -> None:
    params = {**params, "tabular_dataset": {"on_disk": True, "chunk_size": 2, "block_size": 12}}
    preproc_path = str(tmp_path / "04_feature" / "tabular_preproc")
    catalog = DataCatalog(
        {
            **inputs(tiny_parts, params),
            **in_memory(OUTPUTS),
            "tabular_preproc": DirectoryDataset(path=preproc_path, object_type=TabularPreproc),
            **{
                f"tabular_dataset_{part}": DirectoryDataset(
                    path=str(tmp_path / "05_model_input" / f"tabular_dataset_{part}"),
                    object_type="relsynth.synth.TabularDataset",
                    preproc_path=preproc_path,
                    preproc_type=TabularPreproc,
                )
                for part in ("train", "valid")
            },
            "tabular_model": DirectoryDataset(
                path=str(tmp_path / "06_models" / "tabular_model"), object_type="relsynth.synth.TabularModel"
            ),
        }
    )
    run(catalog)
    assert all(catalog.exists(name) for name in INTERMEDIATE)
    assert catalog.load("tabular_dataset_train").path == tmp_path / "05_model_input" / "tabular_dataset_train"
    model = catalog.load("tabular_model")
    assert isinstance(model, TabularModel) and model.config.block_size == 12
    assert_trained_and_generated(catalog, tiny_parts[0])


DP = {"epsilon": 5.0, "delta": 1e-5, "preproc_share": 0.1, "max_children": 10, "max_batch_size": 2}


@pytest.mark.parametrize("dp", [DP, None], ids=["dp-on", "dp-off"])
def test_one_dp_group_for_preprocessing_and_training(
    tiny_parts: tuple[RelationalData, RelationalData], params: dict, dp: dict | None
) -> None:
    """`params:dp` reaches the preprocessor's fit and the training: DP is on in both, or off in both."""
    params = {
        **params,
        "dp": dp,
        "tabular_training": {**params["tabular_training"], "n_epochs": 1},
        "tabular_validation": {**params["tabular_validation"], "dp": {"noise_multiplier": 5.0} if dp else None},
    }
    catalog = DataCatalog({**inputs(tiny_parts, params), **in_memory(INTERMEDIATE + OUTPUTS)})
    SequentialRunner().run(
        sum(m.create_pipeline() for m in (preprocessing, materialisation, tabular_training)), catalog
    )
    preproc_spent = catalog.load("tabular_preproc").stats.get("dp")
    summary = catalog.load("tabular_training_summary")
    if dp is None:
        assert preproc_spent is None and summary["epsilon"] is None
        assert "epsilon" not in catalog.load("tabular_training_metrics")
    else:
        assert 0 < preproc_spent["epsilon"] <= 0.5 + 1e-9  # the preprocessor's share of the one budget
        assert preproc_spent["epsilon"] < summary["epsilon"] <= 5.0  # the total spent includes it
        assert catalog.load("tabular_training_metrics")["epsilon"]["value"] == summary["epsilon"]
