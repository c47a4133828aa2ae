"""Columns that are a part of a date of their row: a calendar's day name, month name, quarter, year
and weekend flag, all read off its date (a warehouse's dim_date: 2024-01-31, 'Wednesday',
'January', 1, 2024, False).

The model writes each as a token of its own, beside the date's bins: a small model's 516
generated calendar days named the right weekday in 14 %, the right month in 59 %, the right
quarter in 73 %. The fit keeps, per categorical, integer or boolean column of a table, the first
date (or timestamp) of its row and the first part of it (`PARTS`: numbers, English names and
their 3-letter abbreviations, as written or in upper or lower case) that it equals in every
training row holding both, with at least `MIN_ROWS` such rows and two values at least (a constant
is no evidence). Generation sets the column from the generated date, once every date is set; and,
where the date is a series' step from the previous sibling's (a store's days: the model never sees
the date itself), as soon as the step's token is drawn, so the row's other columns read the date's
part, not the model's own (`stepped_parts`). Not fitted under DP.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.relational.orders import DATED
from relsynth.synth.tabular.rules.apart_values import apart_pairs

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows holding both the column and the date, at least
SCREEN = 200  # rows each part is tried on before all rows
_KINDS = (Column.CATEGORICAL, Column.INTEGER, Column.BOOLEAN)


def _parts() -> dict[str, Callable[[pd.Series], pd.Series]]:
    """part name -> the part of datetime64 values (NaT in, missing out)."""
    return {
        "year": lambda d: d.dt.year,
        "quarter": lambda d: d.dt.quarter,
        "month": lambda d: d.dt.month,
        "day": lambda d: d.dt.day,
        "weekday": lambda d: d.dt.dayofweek,  # Monday 0
        "isoweekday": lambda d: d.dt.dayofweek + 1,  # Monday 1
        "dayofyear": lambda d: d.dt.dayofyear,
        "isoweek": lambda d: d.dt.isocalendar().week.astype("Int64"),
        "yyyymm": lambda d: d.dt.year * 100 + d.dt.month,
        "yyyymmdd": lambda d: d.dt.year * 10_000 + d.dt.month * 100 + d.dt.day,
        "is_weekend": lambda d: (d.dt.dayofweek >= 5).where(d.notna()),
        "day_name": lambda d: d.dt.day_name(),
        "day_abbr": lambda d: d.dt.day_name().str[:3],
        "month_name": lambda d: d.dt.month_name(),
        "month_abbr": lambda d: d.dt.month_name().str[:3],
    }


PARTS = _parts()
CASES: dict[str, Callable[[str], str]] = {"as is": str, "upper": str.upper, "lower": str.lower}


def find_date_parts(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "date", "part", "case"}]: `table.column` is `PARTS[part]` of `date`, as
    text in `case` (a categorical column) or as the number or flag. Not context columns (given at
    generation), whose dates are read from all the same (a calendar of given days)."""
    out = []
    for table in data.schema.synth_tables:
        kinds = data.schema.tables[table].columns
        given = pre.given_columns(table)
        modelled = pre.modelled_columns(table)
        dates = [c for c in modelled if kinds[c].kind in DATED]
        if not dates:
            continue
        frame = data[table]
        screens = _Screens(frame)  # one table's parts on its screened rows, shared by all its columns
        for col in (c for c in modelled if c not in given and kinds[c].kind in _KINDS):
            found = _first_part(frame, dates, frame[col], kinds[col].kind, screens)
            if found is not None:
                out.append({"table": table, "column": col, **found})
                log.info("%s.%s is the %s of %s in every row: kept so", table, col, found["part"], found["date"])
    return out


class _Screens:
    """Each date of a table as datetimes, and its parts on the screened rows as `_equal` compares
    them, read once for all the columns that hold the same rows (most do): a wide table read every
    date's parts again for each of its columns. One screen a date is kept (a column holding other
    rows replaces it), so memory stays a few hundred values a part."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.dates: dict[str, pd.Series] = {}
        self.parts: dict[str, tuple[bytes, dict[tuple[str, str | None], np.ndarray]]] = {}

    def date(self, name: str) -> pd.Series:
        if name not in self.dates:
            self.dates[name] = pd.to_datetime(self.frame[name], errors="coerce")
        return self.dates[name]

    def part(self, date: str, part: str, case: str | None, rows: np.ndarray) -> np.ndarray:
        screen = rows.tobytes()
        if self.parts.get(date, (None,))[0] != screen:
            self.parts[date] = (screen, {})
        read = self.parts[date][1]
        if (part, case) not in read:
            read[part, case] = _part_values(PARTS[part](self.date(date).iloc[rows]), case)
        return read[part, case]


def _first_part(
    frame: pd.DataFrame, dates: list[str], values: pd.Series, kind: Column, screens: _Screens | None = None
) -> dict | None:
    """{"date", "part", "case"} of the first date and part that `values` equal wherever both are held."""
    if values.nunique(dropna=True) < 2:
        return None
    screens = screens or _Screens(frame)
    cases = CASES if kind is Column.CATEGORICAL else (None,)
    for date in dates:
        d = screens.date(date)
        held = d.notna().to_numpy() & values.notna().to_numpy()
        if held.sum() < MIN_ROWS:
            continue
        screen = np.flatnonzero(held)[:SCREEN]  # most parts fail on a few rows already
        screened = _own_values(values.iloc[screen], kind)
        for part, of in PARTS.items():
            for case in cases:
                if _equal(screens.part(date, part, case, screen), screened) and _equal(
                    _part_values(of(d[held]), case), _own_values(values[held], kind)
                ):
                    return {"date": date, "part": part, "case": case}
    return None


def _part_values(part: pd.Series, case: str | None) -> np.ndarray:
    """A date's part as `_equal` compares it: as text in `case` (None: as numbers, NaN for none)."""
    if case is None:
        return _numbers(part)
    return part.astype(object).map(lambda v: CASES[case](str(v))).to_numpy()


def _own_values(values: pd.Series, kind: Column) -> np.ndarray:
    """A column's values as `_equal` compares them: labels as text, numbers and flags as numbers."""
    return values.astype(str).to_numpy() if kind is Column.CATEGORICAL else _numbers(values)


def _numbers(x: pd.Series) -> np.ndarray:
    return to_numbers(x.astype(object)).to_numpy(dtype=float, na_value=np.nan)


def _equal(part: np.ndarray, values: np.ndarray) -> bool:
    """Whether every value is its row's part (`_part_values`, `_own_values`): as text for labels,
    else as numbers or flags (NaN, a part or a value that is no number, never equal)."""
    if part.dtype.kind == "f":
        return bool(np.array_equal(part, values))
    return bool((part == values).all())


def apply_date_parts(pre, rules: list[dict], tables: dict[str, pd.DataFrame]) -> None:
    """Set (in place) each fitted column of the generated `tables` from its row's generated date;
    a missing date leaves the value as generated. A label is written as the column's category of
    that text (`TabularPreproc.category_texts`), a number or flag in the column's dtype."""
    for r in rules:
        frame = tables.get(r["table"])
        if frame is None or not len(frame):
            continue
        d = pd.to_datetime(frame[r["date"]], errors="coerce")
        rows = d.notna().to_numpy()
        part = PARTS[r["part"]](d[rows])
        column = frame[r["column"]].astype(object).to_numpy().copy()
        if r["case"] is not None:
            as_category = pre.category_texts(r["table"], r["column"])
            texts = [CASES[r["case"]](str(v)) for v in part]
            column[rows] = [as_category.get(t, t) for t in texts]
        else:
            column[rows] = part.astype(object).to_numpy()
        frame[r["column"]] = pd.Series(column, index=frame.index).astype(frame[r["column"]].dtype)


def moved_date_parts(schema, rules: list[dict], formats) -> list[dict]:
    """The rules whose column no UNIQUE set nor CHECK (a <> b) of its table holds: set again once
    those sets and checks may have moved a date (a store's repeated sales day), which they change
    no such column of (a part they changed themselves stays, so the set stays free)."""
    held = {
        (t, c)
        for t in schema.synth_tables
        for group in [*schema.tables[t].unique, *apart_pairs(schema, formats, t)]
        for c in group
    }
    return [r for r in rules if (r["table"], r["column"]) not in held]


# ---- at generation: a part of a stepped date, set as soon as the date's token is drawn ------------
@dataclass
class SteppedParts:
    """Per table, where generation knows a row's date from its token: a date each row writes as
    its step from the previous sibling's (the first's from a fixed origin: a store's days, a
    station's weeks), the step one exact token (`stepped_parts`). `at[table][date position]`: the
    positions of its parts later in the row, the rule of each."""

    # a parent-stepped first row's draws within its tokens' bins: the generation's own stream, so that
    # each seed draws other dates (a fixed one gave every generation the same offsets within the bins)
    rng: np.random.Generator
    at: dict[str, dict[int, list[tuple[int, dict]]]] = field(default_factory=dict)
    orders: dict[str, object] = field(default_factory=dict)  # table -> the date's Ordering
    tokens: dict[tuple[str, str], dict[object, int]] = field(default_factory=dict)  # (table, column) -> value -> token
    seen: dict[tuple[str, str, int], int | None] = field(default_factory=dict)  # (table, column, ns) -> token, as found
    # table -> the parent row's header position of the date its first row is counted from (`is_parent_stepped`)
    parent_bases: dict[str, int] = field(default_factory=dict)


def stepped_parts(pre, rules: list[dict], rng: np.random.Generator) -> SteppedParts:
    """The date parts generation sets from the date the row's step token gives, before the row's
    other columns are written: the model wrote its own part, which its rows then read (a store's
    weekday, which its Sunday closing follows), and a small model's own weekday was the date's in
    52 % of a panel's generated days (`apply_date_parts` set it right once the rows were written,
    too late for them). None in older models nor under DP (no rules, no orders). `rng`: the draws of a
    first row counted from its parent's date (`stepped_date`)."""
    out = SteppedParts(rng)
    for r in rules:
        table, layout = r["table"], pre.layouts.get(r["table"])
        o = pre.orderings.get(table, {}).get(r["date"])
        if layout is None or o is None or r["column"] not in layout.fields:
            continue
        parent = _parent_base(pre, table, o)
        if not is_stepped(o) and parent is None:
            continue
        d, p = layout.fields.index(r["date"]), layout.fields.index(r["column"])
        if p < d or not (values := _part_tokens(pre, table, r["column"])):
            continue  # written before its date: nothing to set it from
        out.at.setdefault(table, {}).setdefault(d, []).append((p, r))
        out.orders[table], out.tokens[table, r["column"]] = o, values
        if parent is not None:
            out.parent_bases[table] = parent
    return out


def _parent_base(pre, table: str, o) -> int | None:
    """The header position, in the parent's layout, of the date a parent-stepped `o` counts its first row from."""
    edge = pre.schema.parent(table)
    if edge is None or edge.parent not in pre.layouts:
        return None
    if not is_parent_stepped(o, pre.orderings.get(edge.parent, {})) or o.base not in pre.layouts[edge.parent].fields:
        return None
    return pre.layouts[edge.parent].fields.index(o.base)


def is_stepped(o) -> bool:
    """Whether a date's value is its previous sibling's plus its own offset, the first's from the
    order's origin, in seconds (`orderings.with_offsets`): nothing else moves its base."""
    plain = o.bound is None and o.floor is None and o.first_quantiles is None and o.walk_key is None
    sequence = o.after_sibling and o.origin is not None and o.base == o.column and not o.from_parent
    return bool(plain and sequence and o.dated and o.sibling_base is None)


def is_parent_stepped(o, parent_orders) -> bool:
    """Whether a date steps as `is_stepped` but its first sibling's from a date of the parent row
    (`o.base`: a station's days from its opening) that the parent writes as itself (no order of its
    own, `parent_orders`: its token is its value)."""
    plain = o.bound is None and o.floor is None and o.first_quantiles is None and o.walk_key is None
    sequence = o.after_sibling and o.origin is None and o.from_parent and o.base not in parent_orders
    return bool(plain and sequence and o.dated and o.sibling_base is None)


def _part_tokens(pre, table: str, col: str) -> dict[object, int]:
    """A part column's values with a token of their own (categories by their text, numbers' exact
    points) -> that token: only those are set (a part rare in the data keeps the model's token)."""
    slot = pre.slots[pre.layouts[table].slots[pre.layouts[table].fields.index(col)]]
    p = slot.preproc
    if hasattr(p, "categories"):
        return {str(c): slot.offset + 2 + i for i, c in enumerate(p.categories)}
    return {float(v): slot.offset + 1 + i for i, v in enumerate(getattr(p, "points", []))}


def stepped_date(
    pre, parts: SteppedParts, table: str, date_pos: int, token: int, previous: int | None, parent_header=None
) -> int | None:
    """The date (ns) a row's step token gives after its previous sibling's (`previous`; None: the
    first row, from the origin or the parent's date in `parent_header`), or None where the step is a
    bin's (its value drawn at decoding) or the date is drawn again at decoding (`_drawn_again`). A
    first row counted from its parent's date draws that date and its step within their tokens' ranges
    (bins): decoding draws the parent's date again where the row's calendar labels say (`pinned_bases`)."""
    o = parts.orders[table]
    slot = pre.slots[pre.layouts[table].slots[date_pos]]
    local, points = token - slot.offset, slot.preproc.points
    first = previous is None
    from_parent = first and table in parts.parent_bases
    if from_parent and not 1 <= local < slot.preproc.n_tokens:
        return None
    if not from_parent and not 1 <= local <= len(points):
        return None
    drawn = _drawn(slot.preproc, local, parts.rng)
    step = max(drawn, o.first_gap if first else o.step_gap)  # as decoded (`orderings._at_least_gaps`)
    if (fixed := o.first_fixed if first else o.step_fixed) is not None:
        step = fixed
    if from_parent:
        since = _parent_date(pre, table, parts, parent_header)
        if since is None:
            return None
    else:
        since = int(round(o.origin)) if first else previous
    ns = since + o.sign * int(round(step * 1e9))
    return None if _drawn_again(o, since, ns) else ns


def _drawn(preproc, local: int, rng: np.random.Generator) -> float:
    """A token's number as decoding draws it: a point's own, a bin's drawn within it."""
    if local <= len(preproc.points):
        return float(preproc.points[local - 1])
    return float(to_numbers(pd.Series(preproc.decode(np.array([local]), rng).astype(object))).iloc[0])


def _parent_date(pre, table: str, parts: SteppedParts, parent_header) -> int | None:
    """The parent row's date (ns) the first row counts from, drawn within its token's range."""
    if parent_header is None or not len(parent_header):
        return None
    parent = pre.schema.parent(table).parent
    pos = parts.parent_bases[table]
    slot = pre.slots[pre.layouts[parent].slots[pos]]
    local = int(parent_header[pos]) - slot.offset
    if not 1 <= local < slot.preproc.n_tokens:
        return None
    value = pd.Timestamp(slot.preproc.decode(np.array([local]), parts.rng).iloc[0])
    if pd.isna(value):
        return None
    return int((value.tz_convert(None) if value.tzinfo else value).value)


def _drawn_again(o, since: int, ns: int) -> bool:
    """Whether decoding draws the date `ns` again, before the column's latest value (`extreme`, the
    data's end; `orderings._within_latest`): summed past it with room left from the row before
    (`since`), a part set from `ns` would not be the date's (a Sunday's closing written on the Friday
    it was drawn on: 5 of 286 rows of an untrained model's two-week panel). With no room (the row
    before on the latest) the rows past it keep their dates, or go where nothing nests under them
    (`orderings.without_room`)."""
    if o.extreme is None:
        return False
    return o.sign * (float(ns) - o.extreme) > 0 and o.sign * (o.extreme - float(since)) > 0


def part_token(parts: SteppedParts, table: str, rule: dict, ns: int) -> int | None:
    """The token of `rule`'s part of the date `ns` in its column; None: a value with no token of its own.
    Each date looked up once (a panel's stores share their days)."""
    key = (table, rule["column"], ns)
    if key not in parts.seen:
        parts.seen[key] = _part_token(parts, table, rule, ns)
    return parts.seen[key]


def _part_token(parts: SteppedParts, table: str, rule: dict, ns: int) -> int | None:
    value = PARTS[rule["part"]](pd.Series(pd.to_datetime([ns]))).iloc[0]
    if pd.isna(value):
        return None
    values = parts.tokens[table, rule["column"]]
    if rule["case"] is not None:  # a label of that text
        return values.get(CASES[rule["case"]](str(value)))
    if isinstance(value, (bool, np.bool_)):  # a flag: its category
        return values.get(str(bool(value)))
    return values.get(float(value), values.get(str(value)))  # a number's point, or an integer label
