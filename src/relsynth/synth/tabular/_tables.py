"""Reading the relational structure of a database: children per parent, root entity of each
row, key formats, small tables as records. Shared by the plain and the DP fit and the datasets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData, Schema
from relsynth.relational.numbers import to_numbers
from relsynth.relational.orders import datetimes
from relsynth.relational.shapes import CLASSES, LOWER, UPPER, UUID, char_shapes, hex_case


def child_counts(data: RelationalData, schema: Schema, child: str) -> np.ndarray:
    """Children in `child` per row of its parent table, zeros included, in parent row order."""
    edge = schema.parent(child)
    parent_keys = data[edge.parent][schema.tables[edge.parent].primary_key]
    pos = pd.Index(parent_keys).get_indexer(data[child][edge.fk])
    return np.bincount(pos, minlength=len(parent_keys))


MIN_KEY_RHO = 0.98  # rank correlation of keys and a date above which keys are taken to follow it


def key_date(df: pd.DataFrame, pk: str, dates: list[str]) -> str | None:
    """The date column whose order the table's numbered keys follow (ids given as the rows were
    created: an order's id rises with its date), a rank correlation of at least `MIN_KEY_RHO` over
    at least 20 rows holding both, the closest; None where the keys hold no number or none does.
    Generation then numbers its rows in that date's order."""
    keys = df[pk]
    if not pd.api.types.is_integer_dtype(keys.dtype):
        keys = keys.astype("string").str.extract(r"(\d+)$")[0]
    numbers = to_numbers(keys)
    best, best_rho = None, MIN_KEY_RHO
    for d in dates:
        held = numbers.notna() & df[d].notna()
        if held.sum() < 20 or numbers[held].nunique() < 20 or df[d][held].nunique() < 2:  # a constant: no order
            continue
        rho = numbers[held].rank().corr(datetimes(df[d][held]).rank())
        if rho >= best_rho:
            best, best_rho = d, rho
    return best


def pk_format(keys: pd.Series, dates: pd.DataFrame | None = None) -> dict:
    """How to regenerate keys: an integer sequence, or the `yyyymmdd` of a date of their row (`dates`:
    the row's dates; a warehouse's date_key 20240131), or a string prefix plus a number (zero-padded as
    the source pads it), or UUIDs, or the character shape of keys such as `2019_AB12`, or random
    hexadecimal strings of the source's length and case (hashes: `3f9a0c...`), or letters of one case
    at the source's lengths (tickers `ABC`, `ABCDE`)."""
    if pd.api.types.is_integer_dtype(keys.dtype):
        if dates is not None and (day := _day_of_key(keys, dates)) is not None:
            return {"type": "date", "column": day}
        return {"type": "int", "start": 1}
    s = keys.dropna().astype(str)
    if len(s) and s.str.match(UUID).all():  # a database's uuid column must get UUIDs back (id_1 is refused)
        return {"type": "uuid"}
    m = s.str.extract(r"^(\D*)(\d+)$")
    if len(s) and m[0].notna().all():
        prefixes = m[0].unique()
        if len(prefixes) == 1:
            return {"type": "pattern", "prefix": str(prefixes[0]), "width": digits_width(m[1])}
    shape = key_shape(s)
    if shape is not None:
        return {"type": "shape", "alphabets": shape}
    words = word_shape(s)
    if words is not None:
        return {"type": "words", **words}
    hex_digits = hex_case(s)
    if hex_digits is not None and s.str.len().nunique() == 1:  # a hash's letters and digits change places
        return {"type": "hex", "alphabet": CLASSES[hex_digits], "length": int(s.str.len().iloc[0])}
    return {"type": "pattern", "prefix": "id_", "width": 1}


MIN_FIXED_WIDTH_KEYS = 5  # keys that must all have one number of digits to be read as a fixed width


def digits_width(digits: pd.Series) -> int:
    """The width a key's number is zero-padded to: the widest padded one (INV0001); else the one
    length every number has where at least `MIN_FIXED_WIDTH_KEYS` keys agree (NCT + 8 digits, none
    starting with 0: NCT1 is no trial id); else 1, numbers as they come (u-7, u-49)."""
    padded = digits[digits.str.match(r"^0\d")]
    if len(padded):
        return int(padded.str.len().max())
    lengths = digits.str.len()
    if len(digits) >= MIN_FIXED_WIDTH_KEYS and lengths.nunique() == 1:
        return int(lengths.iloc[0])
    return 1


def _day_of_key(keys: pd.Series, dates: pd.DataFrame) -> str | None:
    """The first date column whose `yyyymmdd` is the key in every row (20 rows at least), or None."""
    if len(keys) < 20 or keys.isna().any():
        return None
    for d in dates.columns:
        if (yyyymmdd(dates[d]) == keys.astype("Int64")).all():
            return d
    return None


def yyyymmdd(dates: pd.Series) -> pd.Series:
    """Each date as the integer yyyymmdd (missing where the date is)."""
    d = datetimes(dates, errors="coerce")
    return (d.dt.year * 10_000 + d.dt.month * 100 + d.dt.day).astype("Int64")


def distinct_days(dates: pd.Series) -> pd.Series:
    """`dates` with each repeated or missing day moved to the nearest free day (a missing one after
    the last), the time of day kept: the days a key of their yyyymmdd needs distinct."""
    d = pd.to_datetime(dates, errors="coerce")
    days = d.dt.normalize()
    taken, out = set(), d.copy()
    last = days.max() if days.notna().any() else pd.Timestamp("2000-01-01")
    day = pd.Timedelta(days=1)
    for i, v in enumerate(days):
        if pd.isna(v):
            while last in taken:
                last += day
            out.iloc[i], v = last, last
        else:
            step = 0
            while v + step * day in taken:  # nearest free: +1, -1, +2, -2, ... days
                step = -step + (step <= 0)
            out.iloc[i] += step * day
            v += step * day
        taken.add(v)
    return out.astype(dates.dtype) if pd.api.types.is_datetime64_any_dtype(dates.dtype) else out


def key_shape(keys: pd.Series) -> list[str] | None:
    """Per character position, the characters the keys hold there, when every key has the same
    length and the same class of character (digit, upper, lower, other) at each position: keys
    such as `2019_AB12`. Positions of another class keep their own characters; None otherwise."""
    if not len(keys) or keys.str.len().nunique() != 1 or keys.str.len().iloc[0] > 64:
        return None
    if char_shapes(keys).nunique() != 1:
        return None
    chars = np.array([list(k) for k in keys])  # (n_keys, length)
    return ["".join(sorted(set(chars[:, j]))) for j in range(chars.shape[1])]


def word_shape(keys: pd.Series) -> dict | None:
    """The characters and each length's share of keys that are letters of one case throughout but of
    several lengths (tickers `ABC`, `ABCD`, `ABCDE`: `key_shape` needs one length); None otherwise.
    Digits alone are numbered keys (`pattern`), mixed classes keep no shape."""
    if not len(keys) or keys.str.len().max() > 64:
        return None
    classes = set("".join(char_shapes(keys)))
    if classes not in ({UPPER}, {LOWER}):
        return None
    lengths = keys.str.len().value_counts(normalize=True).sort_index()
    return {
        "alphabet": "".join(sorted(set("".join(keys)))),
        "lengths": [[int(n), float(p)] for n, p in lengths.items()],
    }


def records(df: pd.DataFrame) -> dict:
    """A small table as JSON-able columns (nulls as None)."""
    return {c: [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in df[c]] for c in df.columns}


def root_order(data: RelationalData, root: str) -> dict[str, np.ndarray]:
    """For every table under `root`: each row's root entity position (for chunking)."""
    schema = data.schema
    out = {root: np.arange(len(data[root]), dtype=index_dtype(len(data[root])))}
    for t in schema.depth_first(root)[1:]:
        edge = schema.parent(t)
        keys = data[edge.parent][schema.tables[edge.parent].primary_key]
        out[t] = out[edge.parent][pd.Index(keys).get_indexer(data[t][edge.fk])]
    return out


def index_dtype(n: int):
    return np.int32 if n < 2**31 else np.int64
