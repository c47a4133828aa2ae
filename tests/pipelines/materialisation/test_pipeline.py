"""materialisation: the encode node in RAM and on disk, parameter checks, the pipeline's interface."""

from __future__ import annotations

import numpy as np
import pytest

from relsynth.pipelines.materialisation import create_pipeline
from relsynth.pipelines.materialisation.nodes import encode_tabular_dataset
from relsynth.relational import RelationalData
from relsynth.synth import TabularDataset, TabularPreproc


def test_encode_in_ram(
    tiny_parts: tuple[RelationalData, RelationalData], tiny_preproc: TabularPreproc, params: dict
) -> None:
    train, _ = tiny_parts
    dataset = encode_tabular_dataset(train, tiny_preproc, params["tabular_dataset"])
    assert isinstance(dataset, TabularDataset)
    assert dataset.path is None
    assert dataset.n_entities == len(train["artist"]) == len(dataset)  # whole entities: one sample each


def test_encode_on_disk_in_chunks_gives_the_same_tokens(
    tiny_parts: tuple[RelationalData, RelationalData], tiny_preproc: TabularPreproc, params: dict
) -> None:
    train, _ = tiny_parts
    in_ram = encode_tabular_dataset(train, tiny_preproc, params["tabular_dataset"])
    on_disk = encode_tabular_dataset(
        train, tiny_preproc, {**params["tabular_dataset"], "on_disk": True, "chunk_size": 2}
    )
    assert on_disk.path is not None and on_disk.path.is_dir()  # the library's temporary directory
    np.testing.assert_array_equal(np.asarray(on_disk.arrays["tokens"]), in_ram.arrays["tokens"])


def test_encode_with_block_size_cuts_windows(
    tiny_parts: tuple[RelationalData, RelationalData], tiny_preproc: TabularPreproc, params: dict
) -> None:
    train, _ = tiny_parts
    whole = encode_tabular_dataset(train, tiny_preproc, params["tabular_dataset"])
    block = 12
    windows = encode_tabular_dataset(train, tiny_preproc, {**params["tabular_dataset"], "block_size": block})
    assert windows.block_size == block
    assert whole.max_len > block >= windows.max_len
    assert len(windows) > len(whole)


@pytest.mark.parametrize(
    "bad, message",
    [({"chunksize": 2}, r"unknown key\(s\) \['chunksize'\]"), ({"path": "x"}, r"may not set \['path'\]")],
)
def test_encode_rejects_bad_parameters(
    tiny_parts: tuple[RelationalData, RelationalData], tiny_preproc: TabularPreproc, bad: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        encode_tabular_dataset(tiny_parts[0], tiny_preproc, bad)


def test_pipeline_interface() -> None:
    pipe = create_pipeline()
    assert pipe.inputs() == {"database_train", "database_valid", "tabular_preproc", "params:tabular_dataset"}
    assert pipe.outputs() == {"tabular_dataset_train", "tabular_dataset_valid"}
    assert {n.name for n in pipe.nodes} == {
        "materialisation.encode_train_dataset",
        "materialisation.encode_valid_dataset",
    }
