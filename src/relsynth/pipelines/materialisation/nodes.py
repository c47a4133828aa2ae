"""Nodes of the materialisation pipeline: encode a database into a `TabularDataset`."""

from __future__ import annotations

import logging
from typing import Any

from relsynth.pipelines._params import call
from relsynth.relational import RelationalData
from relsynth.synth import TabularDataset, TabularPreproc

log = logging.getLogger(__name__)


def encode_tabular_dataset(
    database: RelationalData, preproc: TabularPreproc, tabular_dataset: dict[str, Any]
) -> TabularDataset:
    """`database` encoded by `preproc` as training samples.

    `tabular_dataset` is the parameter group of the same name: `on_disk` (memory-mapped files
    written `chunk_size` root entities at a time, so memory does not grow with the data),
    `chunk_size` and `block_size` (training windows of at most that many tokens; null: whole
    entities). Where the files end up is the catalog's business, not the node's.
    """
    dataset = call(
        TabularDataset.from_data, "tabular_dataset", tabular_dataset, data=database, preproc=preproc, path=None
    )
    lengths = dataset.lengths
    log.info(
        "%s: %d tokens, longest sample %d tokens, mean %.0f",
        dataset,
        int(lengths.sum()),
        dataset.max_len,
        float(lengths.mean()) if len(lengths) else 0.0,
    )
    return dataset
