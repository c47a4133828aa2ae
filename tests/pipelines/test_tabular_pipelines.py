"""preprocessing -> materialisation -> tabular_training -> generation, run together on the tiny
database: once with every dataset in memory, once with the project's dataset classes on disk."""

from __future__ import annotations

from pathlib import Path

from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from relsynth.datasets import TabularDatasetDataset, TabularModelDataset, TabularPreprocDataset
from relsynth.pipelines import generation, materialisation, preprocessing, tabular_training
from relsynth.relational import RelationalData
from relsynth.synth import TabularModel

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
            "tabular_preproc": TabularPreprocDataset(path=preproc_path),
            **{
                f"tabular_dataset_{part}": TabularDatasetDataset(
                    path=str(tmp_path / "05_model_input" / f"tabular_dataset_{part}"), preproc_path=preproc_path
                )
                for part in ("train", "valid")
            },
            "tabular_model": TabularModelDataset(path=str(tmp_path / "06_models" / "tabular_model")),
        }
    )
    run(catalog)
    assert all(catalog.exists(name) for name in INTERMEDIATE)
    assert catalog.load("tabular_dataset_train").path == tmp_path / "05_model_input" / "tabular_dataset_train"
    model = catalog.load("tabular_model")
    assert isinstance(model, TabularModel) and model.config.block_size == 12
    assert_trained_and_generated(catalog, tiny_parts[0])
