"""Dates kept on their side of a year a whole number of their row or parent row holds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Date, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularPreproc
from relsynth.synth.tabular.rules.year_sides import keep_year_sides


def library(seed: int = 0, n_books: int = 120, after: bool = True) -> RelationalData:
    """books (published 1960-2023) -> copies acquired from 2005 on, never before the book's year
    (`after`), else on any day from 1990."""
    rng = np.random.default_rng(seed)
    books = pd.DataFrame({"id": range(n_books), "year": rng.integers(1960, 2024, n_books)})
    book = np.repeat(books["id"].to_numpy(), rng.integers(1, 4, n_books))
    year = books["year"].to_numpy()[book]
    start = np.maximum(year, 2005) if after else np.full(len(book), 1990)
    days = (rng.random(len(book)) * (2024 - start) * 365).astype(int)
    acquired = pd.to_datetime([f"{y}-01-01" for y in start]) + pd.to_timedelta(days, "D")
    copies = pd.DataFrame({"id": range(len(book)), "book": book, "acquired": acquired})
    schema = Schema(
        books=Table(id=PrimaryKey(), year=Integer()),
        copies=Table(id=PrimaryKey(), book=ForeignKey(parent="books"), acquired=Date()),
    )
    return RelationalData({"books": books, "copies": copies}, schema)


def acquired_before_year(tables: dict[str, pd.DataFrame]) -> int:
    year = tables["copies"]["book"].map(tables["books"].set_index("id")["year"])
    return int((pd.to_datetime(tables["copies"]["acquired"]).dt.year < year).sum())


def test_a_copy_is_never_acquired_before_its_books_publication_year():
    """10 % of a library's generated copies were acquired years before their book was published."""
    data = library()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(r["column"], r["fk"], r["year"], r["sign"]) for r in pre.stats["year_sides"]] == [
        ("acquired", "book", "year", 1)
    ]
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    assert acquired_before_year({t: synth[t] for t in ("books", "copies")}) == 0


def test_a_date_moved_past_its_year_lands_between_the_year_and_the_columns_latest_date():
    """Not piled on the year's first days: spread as the data's dates lie between their year and the
    column's latest (12 % of a library's generated copies fell in their book's year, 4 % of the data's)."""
    data = library()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    tables = {"books": data["books"].copy(), "copies": data["copies"].copy()}
    tables["copies"]["acquired"] = pd.Timestamp("1950-06-30")
    keep_year_sides(pre.stats["year_sides"], tables, data.schema, np.random.default_rng(0))
    moved = tables["copies"]["acquired"]
    year = tables["copies"]["book"].map(tables["books"].set_index("id")["year"])
    assert (moved.dt.year >= year).all() and (moved <= data["copies"]["acquired"].max()).all()
    in_year = (moved.dt.year == year).mean()
    assert in_year < 2 * (data["copies"]["acquired"].dt.year == year).mean() + 0.05


def test_dates_the_data_puts_before_the_year_keep_no_rule():
    data = library(after=False)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["year_sides"] == []
