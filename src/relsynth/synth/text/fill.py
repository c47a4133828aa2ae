"""Every text column of a synthetic database, written by one text model per table, parents first."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from relsynth.relational import RelationalData
from relsynth.synth.text.model import TextModel

log = logging.getLogger(__name__)


def fill_texts(
    data: RelationalData, models: Iterable[TextModel], *, avoid: RelationalData | None = None, **options: Any
) -> RelationalData:
    """`data` with the text columns of each model's table written, parents first (an album's
    title is sampled after, and conditioned on, its artist's generated name).

    `options` go to each `TextModel.generate` (batch_size, max_text_len, temp, top_p, seed, ...);
    `avoid` is the training data whose whole texts are sampled again (see `TextModel.generate`).
    Tables without a model keep their text columns as they are, and the source formats of
    `data` (spellings for `to_dir`) are kept.
    """
    by_table: dict[str, TextModel] = {}
    for model in models:
        table = model.preproc.table
        if table in by_table:
            raise ValueError(f"two text models for table {table!r}: give one per table")
        by_table[table] = model
    order = data.schema.depth_first()
    unknown = sorted(set(by_table) - set(order))
    if unknown:
        raise ValueError(f"text models for {unknown}, which are not synthesised tables of the data ({order})")
    out = data
    for table in sorted(by_table, key=order.index):
        model = by_table[table]
        out = model.generate(data=out, avoid=avoid, **options)
        log.info("filled the text columns %s of %s (%d rows)", model.preproc.text_columns, table, len(out[table]))
    for table, cols in data.formats.items():  # a model keeps the formats it saw; the others come from `data`
        out.formats.setdefault(table, {}).update({c: f for c, f in cols.items() if c not in out.formats.get(table, {})})
    return out
