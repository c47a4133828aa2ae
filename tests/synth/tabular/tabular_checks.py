"""Checks shared by the tabular tests: a generated database is valid, slots by column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import CategoricalPreproc, TabularPreproc


def check_valid(out: RelationalData, like: RelationalData) -> None:
    """Revalidates the tables and checks every key explicitly."""
    schema = like.schema
    assert out.schema == schema
    RelationalData({t: out[t] for t in schema.tables}, schema)  # raises on any key or dtype problem
    for t in schema.synth_tables:
        pk = schema.tables[t].primary_key
        assert out[t][pk].notna().all() and out[t][pk].is_unique, t
        edge = schema.parent(t)
        if edge is not None:
            parent_keys = out[edge.parent][schema.tables[edge.parent].primary_key]
            assert out[t][edge.fk].notna().all() and out[t][edge.fk].isin(parent_keys).all(), t
        for fk, lookup in schema.lookup_fks(t).items():
            assert out[t][fk].dropna().isin(like[lookup][schema.tables[lookup].primary_key]).all(), f"{t}.{fk}"
    for lookup in schema.lookups:
        pd.testing.assert_frame_equal(out[lookup].reset_index(drop=True), like[lookup], check_dtype=False)


def never_null(pre: TabularPreproc, data: RelationalData) -> list[tuple[str, str]]:
    return [
        (s.table, s.column)
        for s in pre.slots
        if not s.is_count and s.column in data.schema.tables[s.table].columns and data[s.table][s.column].notna().all()
    ]


def slot_of(pre: TabularPreproc, table: str, col: str):
    layout = pre.layouts[table]
    j = layout.fields.index(col)
    return j, pre.slots[layout.slots[j]]


def expected_tokens(pre: TabularPreproc, table: str, tokens: np.ndarray) -> np.ndarray:
    """Tokens of the original data with <rare> replaced by <missing>: what decoding gives back; but
    a lookup key's <rare>, decoded as one of the lookup's other keys (`rare_keys`), <rare> again."""
    out = tokens.copy()
    layout = pre.layouts[table]
    for j, slot_id in enumerate(layout.slots[: layout.n_fields]):
        slot = pre.slots[slot_id]
        if isinstance(slot.preproc, CategoricalPreproc) and not slot.preproc.rare_keys:
            out[tokens[:, j] == slot.offset + 1, j] = slot.offset
    return out


def decoded_copies(make, table: str, column: str, parent: str, of: str, scale: float) -> tuple[pd.Series, pd.Series]:
    """Fits on `make()` a database whose `table`.`column` is its parent row's `of` where the row's
    `kind` is 'copy' (checking that `flagged_copies` is the rule fitted for it), then decodes
    `make(scale=scale)` (the numbers drawn off, as a model may): the copy rows' `column`, and the
    parent's `of` each should equal."""
    data = make()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(r["column"], r["of"]) for r in pre.stats["flagged_copies"]] == [(column, f"{parent}.{of}")]
    back = pre.inverse_transform(pre.transform(make(scale=scale)), seed=0)
    copies = back[table][back[table]["kind"] == "copy"]
    return copies[column], copies[data.schema.parent(table).fk].map(back[parent].set_index("id")[of])


def populations(cities: list[tuple], countries: list[tuple], region) -> RelationalData:
    """Cities under countries under regions, each row with a population, the catalog listing cities
    first (rules fitted in schema order would scale the cities before their countries): `cities` as
    (id, country, population), `countries` as (id, region, population), `region` the regions'."""
    schema = Schema(
        city=Table(id=PrimaryKey(), country=ForeignKey(parent="country"), population=Integer()),
        country=Table(id=PrimaryKey(), region=ForeignKey(parent="region"), population=Integer()),
        region=Table(id=PrimaryKey(), population=Integer()),
    )
    frames = {
        "city": pd.DataFrame(cities, columns=["id", "country", "population"]),
        "country": pd.DataFrame(countries, columns=["id", "region", "population"]),
        "region": pd.DataFrame({"id": range(len(region)), "population": region}),
    }
    return RelationalData(frames, schema)
