"""Formulas within a row: a number computed from one to three earlier numbers of its row (an order
line's amount is its quantity times its unit price; a tax, 0.2 times the net amount; a gross
amount, net plus tax; a percentage, a part over a whole times 100; an unsigned copy of a signed
number, its absolute value: a stock movement's quantity written -40 out and 40 unsigned).

The model writes each value in bins, so a generated row almost never keeps such an identity (an
amount equals quantity x unit price to the cent in 12 % of generated rows, net = amount -
discount in none). The fit keeps, per number of a table, the first formula `factor x (a op b)`
(or `factor x a`, then `a x b - c` or `a x b + c`: a line's quantity times its unit price less its
discount, which no two of them give, a missing `c` counting 0, or `a x b x (1 - c)`: the same less a
discount rate; among pairs also `a x (1 - b)` and `a x (1 - b / 100)`: a list price less a discount
rate or percentage, a missing `b` counting 0, or `a - b - c` and `a + b - c`: a net pay, its gross less tax and deductions;
`TRIPLE_WINDOW`), else the sum or the mean of a run of at least `MIN_RUN` numbers
that follow one another among the `RUN_WINDOW` before it (a survey's total score, the sum of its 10
items; `_match_run`)
over earlier numbers of its row that it
equals, to its own decimals, in at least
`MIN_SHARE` of at least `MIN_ROWS` rows holding the values (and of the rows where it is not its
most common value: a column of zeros times anything is no formula), its operands among the
nearest earlier numbers (`PAIR_WINDOW`); candidates are screened on 200 rows, found on a sample
of rows and checked on all (values written with more than 6 decimals, 1e-8, to 1e-9 of
their size). Generation sets each such value, in field order (a formula may use an earlier
formula's column), to its formula rounded to the column's decimals (such values unrounded), and
a quotient's dividend to the rounded quotient times the divisor where the data's dividends always
are that product (`_exact_dividend`: amount = duration x payments, with payments = amount / duration); a
value the model left missing, whose operands are missing, or whose formula has a sign the column
never has (`span`, its least and greatest value: no training row held the formula there, as a
detection limit that is 0.01 x a value but never negative where a value is), is left as written. Totals (`_totals`,
set later) are no formulas, but operands (a tax, 8 % of its order's subtotal, the sum of its lines,
computed again once the totals are set); formulas are left out of the orders within rows
(`orderings`) as totals are, but for a child row's base: a formula set once and for all when its
table is decoded (no referenced operand, no reference copying into its row) may be the base a
child's number follows (a refund at most its line's total). Not fitted under DP.

A number may also be the difference of two dates or timestamps of its row, in seconds, minutes,
hours, days or milliseconds (a session's `duration_s`, its end less its start: in 1 % of generated
sessions before, the model drawing the duration apart from the two timestamps): `dates` says the
operands are dates, read as seconds since the epoch; only such differences of two dates are tried.
Or a rate per unit of the time one date passes another, 0 where it does not (a loan's fine, 0.25 a
day returned past its due date: `_match_late_dates`), on the rows holding both dates.
Where a formula is undefined (an operand missing) in at least `MIN_ROWS` rows that all hold one
value, the column takes it there too (`undefined_as`: an open loan's fine, 0); a value computed
within float noise of a half of its last decimal is rounded as the data's are (`ties`).

An operand may also be a number of the row a reference names (`"l_partkey->p_retailprice"`: a
line's amount is its quantity times its part's price, the part named by the line's reference,
not nested above it): `refs` says which table, key and column; generation sets such formulas
once the references are drawn (the first pass, before them, leaves them as written).

A number that no formula gives in `MIN_SHARE` of the rows may give one in every row of some labels
of a category of its row and in few of the others (a work order's scrap, planned less produced once
done, while planned or in progress it counts what is scrapped so far): `where` says the category and
the labels (`_match_under_labels`, of a category of `MAX_LABELS` at most, `MAX_OFF_SHARE` at most held
elsewhere); generation sets it on the rows of those labels only (in 73 % of generated done orders before).

An operand may also be the whole days between two dates of its row (`"check_in..check_out"`: a
booking's total is its nights times its nightly rate, in 7 % of generated bookings before, the
model drawing the total apart from the dates): `spans` says which two dates. Only pairs of dates
whose differences are whole days never negative are spans, and a span is only taken times a
number (`_candidates`), a duration alone being `_match_dates`'s.

A number may also be another times or over the time between two timestamps of its row, any length,
not whole days (`timed_spans`: a trip's average speed, its distance over the hours from its start to
its end; tried last, `_match_durations`). Drawn apart, no generated trip held it; computed from the
distance and hours the model drew apart, 17 % of generated speeds passed 150 km/h (93.8 at most in
the data). Such a quotient keeps the speed the model drew, within the data's range, and sets the
dividend from it (`dividend_decimals`, `_dividend_from_quotient`).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.relational.orders import DATED, as_numbers
from relsynth.synth.tabular.encoders import plain_texts
from relsynth.synth.tabular.rules.numbers import screen_rows, written_decimals

log = logging.getLogger(__name__)
MIN_SHARE = 0.95  # a column is a formula when it equals it in this share of the rows holding the values
MIN_ROWS = 20  # rows holding the values the share is read from, at least
SAMPLE = 5000  # rows a candidate formula is tried on before it is checked on all
PAIR_WINDOW = 8  # a formula takes two columns among this many numbers before it (one among twice as many)
TRIPLE_WINDOW = 6  # a product plus or minus a third number takes its three among this many
# the third number of such a formula may be missing, as 0: a discount NULL on the lines without one
# (70 % of them: no formula held before, and generated totals did not add up)
MAX_BRACKETS = 6  # rates a number times a rate stepping with it takes (a tax's brackets), at most
MIN_RUN = 3  # a sum of the numbers of a run, at least this many (two: a pair's "+")
RUN_WINDOW = 64  # ... among this many numbers before it: all of them, before each of 300 numbers, took 16 s
# a scale's total or mean score of its items: 9 % of generated rows added up with 10 items, no window of 8 held it
PRESCREEN = 20  # rows every run of numbers is screened on first (in 3 of 4 of them: a miss or two)
SCREEN = 200  # rows holding the value each candidate is screened on first
REF = "->"  # "fk->column": an operand read from the row the reference `fk` names
SPAN = ".."  # "start..end": an operand that is the whole days from a date of the row to a later one
DAY = 86_400.0  # seconds
MAX_LABELS = 8  # labels of a category a formula is sought under, at most
MAX_OFF_SHARE = 0.5  # ... holding in at most this share of the rows of the other labels
MAX_REF_OPERANDS = 4  # referenced numbers a table's formulas may take (the first of its references)
_OPS = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}
RATE = "*(1-)"  # a x b x (1 - c): a product less a rate of it (a sale's quantity x price x (1 - discount))
PERCENT_OFF = "*(1-%)"  # a x (1 - b / 100): a number less a percentage of it (a list price less a 20 % discount)
WEIGHTED = "w+"  # w0 x a + w1 x b (+ w2 x c), whole weights: a league's points, 3 x won + drawn
MAX_WEIGHT = 10  # a weighted sum's weights are whole numbers this large at most, none 0
ABS = "abs"  # |a|: an unsigned copy of a signed number (a stock movement's quantity, -40 out, 25 in, written 40, 25)
_TRIPLE_OPS = ("*-", "*+", RATE)  # a product and a third number, which may be missing (0)
_OFF_OPS = (RATE, PERCENT_OFF)  # with two operands: a number less a rate or percentage of it, which may be missing (0)
# a difference of two dates in seconds, minutes, hours, days, milliseconds: exact factors, not read from the data
TIE_NOISE = 1e-9  # relative: a computed value this near a half of its last decimal is that half
DATE_FACTORS = (1.0, 1 / 60, 1 / 3_600, 1 / 86_400, 1_000.0)


def find_formulas(
    pre, data: RelationalData, totals: set[tuple[str, str]], targets: set[tuple[str, str]] | None = None
) -> list[dict]:
    """[{"table", "column", "of", "op", "factor", "decimals", "span"}] in field order: `table.column` is
    `factor x (of[0] op of[1])` (or `factor x of[0]`), rounded to `decimals`, where that has a sign
    the column's values have (`span`: their least and greatest). Not context columns
    (given at generation) nor `totals` ((table, column), set after generation), which may be
    operands: a tax 8 % of its order's subtotal, the sum of its lines, computed again once the
    totals are set (`_decode`'s last formulas), the total never set back from it (a dividend).
    `targets`, when given: the only (table, column) tried as formulas."""
    out = []
    for table in data.schema.synth_tables:
        if targets is not None and not any(t == table for t, _ in targets):
            continue
        kinds, modelled = data.schema.tables[table].columns, set(pre.modelled_columns(table))
        numbers = [c for c in pre.float_numbers(table, kinds) if c in modelled]  # totals: operands, not targets
        summed = {c for c in numbers if (table, c) in totals}
        dates = [c for c, k in kinds.items() if c in modelled and k.kind in DATED]
        if not numbers or len(numbers) < 2 and len(dates) < 2:
            continue
        given = pre.given_columns(table)
        values = {c: to_numbers(data[table][c]).astype(float).to_numpy() for c in numbers}
        values |= {c: _seconds(data[table][c]) for c in dates}
        refs = referenced_numbers(pre, data, table)
        values |= {name: _referenced(data[table], data[r["table"]], r) for name, r in refs.items()}
        spans = day_spans(values, dates)
        durations = timed_spans(values, dates)  # a trip's hours, beside its distance: a speed
        spans_all = spans | durations
        values |= {name: _days(values[a], values[b]) for name, (a, b) in spans_all.items()}
        sample = screen_rows(len(data[table]), SAMPLE)
        for i, col in enumerate(numbers):
            if col in given or col in summed or i == 0 and not refs and len(dates) < 2:
                continue
            if targets is not None and (table, col) not in targets:
                continue
            found = _match(values, col, numbers[:i], sample, list(refs), list(spans))
            if found is not None and _parent_copy(found, refs, data.schema.parent(table)):
                found = None  # its parent's number as it is: a copy, which `parent_copies` keeps
            found = found or _match_run(values, col, numbers[max(i - RUN_WINDOW, 0) : i], sample)
            found = found or _match_brackets(values, col, numbers[:i][-PAIR_WINDOW:], sample)
            found = found or _match_weighted(values, col, numbers[:i][-TRIPLE_WINDOW:], sample)
            if found is None and len(dates) >= 2:
                found = _match_dates(values, col, dates, sample)
            found = found or _match_durations(values, col, numbers[:i][-PAIR_WINDOW:] + list(refs), sample, durations)
            if (
                found is not None and found["of"][-1] in durations and found["op"] == "/"
            ):  # a speed: its distance from it
                found |= {
                    "dividend_decimals": written_decimals(values[found["of"][0]][~np.isnan(values[found["of"][0]])])
                }
            under = None
            if found is None:  # a formula in some labels' rows only: scrap once done
                found, under = _match_under_labels(pre, data, table, values, col, numbers[:i], refs, spans)
            if found is not None:
                held = under if under is not None else np.ones(len(data[table]), dtype=bool)
                values_held = {c: v[held] for c, v in values.items()}
                span = [float(np.nanmin(values[col])), float(np.nanmax(values[col]))]
                used = {name: refs[name] for name in found["of"] if name in refs}
                days = {name: spans_all[name] for name in found["of"] if name in spans_all}
                found = {"table": table, "column": col, **found, "span": span, **({"refs": used} if used else {})}
                found |= {"spans": days} if days else {}
                found |= (
                    {} if found["of"][0] in summed else _exact_dividend(values_held, found, out)
                )  # a total stays one
                found |= tie_rounding(values_held[col], formula_value(found, values_held), found["decimals"])
                found |= value_where_undefined(values_held[col], formula_value(found, values_held))
                log.info("%s.%s is %s in nearly every row: kept so", table, col, describe(found))
                out.append(found)
    return out


def _match_under_labels(
    pre,
    data: RelationalData,
    table: str,
    values: dict[str, np.ndarray],
    col: str,
    operands: list[str],
    refs: dict,
    spans: dict,
) -> tuple[dict | None, np.ndarray | None]:
    """(the formula `_match` finds for `col` on the rows of one label of a categorical column of its
    row, with "where": {"column", "labels"}: every label of the column under which it holds, in at
    least `MIN_ROWS` rows each (`formula_holds`), while in the other labels' rows it holds in at most
    `MAX_OFF_SHARE` of them; the rows of those labels), or (None, None)."""
    y = values[col]
    modelled, given = set(pre.modelled_columns(table)), pre.given_columns(table)
    candidates = _candidates(operands, list(refs), list(spans))
    for label_col in data.schema.tables[table].cols_of(Column.CATEGORICAL):
        if label_col not in modelled or label_col in given:
            continue
        labels = plain_texts(data[table][label_col])
        frequent = labels.value_counts().index
        if len(frequent) > MAX_LABELS:  # a status, not a city: few labels, each of many rows
            continue
        # each label's screen rows, in the table's positions, and every candidate evaluated once on
        # them all: per label it cost a wide table's fit (34 numbers, 5 such columns) 90 s of 120
        screens = {}
        for label in frequent:
            rows = (labels == label).to_numpy()
            if rows.sum() < MIN_ROWS or rows.all():
                continue
            sample = screen_rows(int(rows.sum()), SAMPLE)
            target = _target(y[rows], sample)
            screens[label] = (rows, sample, target, None if target is None else np.flatnonzero(rows)[target[1]])
        held_rows = [at for *_, at in screens.values() if at is not None]
        union = np.unique(np.concatenate(held_rows)) if held_rows else np.zeros(0, dtype=int)
        evaluated = _evaluated(values, candidates, union)
        for rows, sample, target, at in screens.values():
            if target is None:
                continue
            mine = {c: v[rows] for c, v in values.items()}
            on_screen = evaluated[:, np.searchsorted(union, at)]
            found = _first_screened(mine, col, candidates, on_screen, sample, target)
            if found is None:
                continue
            v = float(found["factor"]) * _evaluate(values, found["of"], found["op"])
            held = [
                str(x)
                for x in frequent
                if formula_holds(y[(labels == x).to_numpy()], v[(labels == x).to_numpy()], found["decimals"])
            ]
            within = labels.isin(held).to_numpy()
            off = ~within & ~np.isnan(y)
            if off.sum() and to_decimals(y[off], v[off], found["decimals"]).mean() > MAX_OFF_SHARE:
                continue  # nearly a formula everywhere: not one a label tells
            return {**found, "where": {"column": label_col, "labels": held}}, within
    return None, None


def day_spans(values: dict[str, np.ndarray], dates: list[str]) -> dict[str, list[str]]:
    """{"start..end": [start, end]}: the ordered pairs of `dates` (seconds) whose differences are
    whole days, never negative, and not all 0, in every one of at least `MIN_ROWS` rows holding both (a
    booking's nights); a timestamp with its hours (a booking's time) spans no whole days."""
    out = {}
    for a, b in itertools.permutations(dates, 2):
        days = _days(values[a], values[b])
        days = days[~np.isnan(days)]
        if len(days) >= MIN_ROWS and (days >= 0).all() and (days > 0).any() and (days == np.round(days)).all():
            out[f"{a}{SPAN}{b}"] = [a, b]
    return out


def timed_spans(values: dict[str, np.ndarray], dates: list[str]) -> dict[str, list[str]]:
    """{"start..end": [start, end]}: the ordered pairs of `dates` (seconds) whose differences are
    positive in every one of at least `MIN_ROWS` rows holding both, and not whole days in all (a
    trip's start and end times), read as days: the time a number is per (a speed, a distance over
    the hours) or times (a pay, the hours times a rate). Whole days are `day_spans`."""
    out = {}
    for a, b in itertools.permutations(dates, 2):
        days = _days(values[a], values[b])
        days = days[~np.isnan(days)]
        if len(days) >= MIN_ROWS and (days > 0).all() and (days != np.round(days)).any():
            out[f"{a}{SPAN}{b}"] = [a, b]
    return out


def _days(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The days from `start` to `end` (seconds since the epoch; NaN where either is missing)."""
    return (end - start) / DAY


def _parent_copy(found: dict, refs: dict[str, dict], nest) -> bool:
    """Whether the formula `found` is its parent row's number as it is (factor 1)."""
    of = found["of"]
    return nest is not None and len(of) == 1 and found["factor"] == 1 and refs.get(of[0], {}).get("fk") == nest.fk


def _exact_dividend(values: dict[str, np.ndarray], f: dict, earlier: list[dict]) -> dict:
    """{"dividend": decimals} where `f` is a quotient whose dividend, a number of its own row that no
    earlier formula reads or sets, is the quotient times the divisor in the data (a loan's amount
    is its duration times its monthly payment, the payment found as amount / duration): generation
    then sets the dividend from the rounded quotient too, else 2,405 x 48 != 115,422; {} otherwise."""
    if f["op"] != "/" or REF in f["of"][0]:
        return {}
    a, b = f["of"]
    if any(a == g["column"] or a in g["of"] for g in earlier if g["table"] == f["table"]):
        return {}  # changing it would break the formula that reads or sets it
    d = written_decimals(values[a][~np.isnan(values[a])])
    back = values[f["column"]] * values[b] / float(f["factor"])
    return {"dividend": d} if formula_holds(values[a], back if d is None else np.round(back, d), d) else {}


def without_ordered_late_formulas(
    formulas: list[dict], ordered: set[tuple[str, str]], later: set[tuple[str, str]]
) -> list[dict]:
    """`formulas` but those an order within rows reads (`ordered`: (table, column)) that read a number
    set after generation (`later`: a total, a running sum) or a formula that does: such a formula is
    set again once the totals are, after the rows reading it were drawn (`_decode`), so it is left
    to the model, as before totals were operands. An order's total due of its subtotal (the sum of
    its lines) read as the cap of its payments: 130 of 465 payments past the final total due."""
    changed = set(later)
    while grown := {
        (f["table"], f["column"])
        for f in formulas
        if (f["table"], f["column"]) not in changed and any((f["table"], c) in changed for c in f["of"])
    }:
        changed |= grown
    out = []
    for f in formulas:
        if (f["table"], f["column"]) in changed and (f["table"], f["column"]) in ordered:
            log.info(
                "%s.%s: left to the model, not set from %s: an order within rows reads it",
                f["table"],
                f["column"],
                f["of"],
            )
            continue
        out.append(f)
    return out


def without_ordered_dividends(formulas: list[dict], ordered: set[tuple[str, str]]) -> list[dict]:
    """`formulas` with no dividend set (`_exact_dividend`) that an order within rows reads or
    writes (`ordered`: (table, column)): setting it from the rounded quotient after decoding could
    break the order (an amount kept below its cap, moved by up to half its divisor)."""
    out = []
    for f in formulas:
        if "dividend" in f and (f["table"], f["of"][0]) in ordered:
            log.info(
                "%s.%s: left as written, not set from %s: an order within rows reads it",
                f["table"],
                f["of"][0],
                f["column"],
            )
            f = {k: v for k, v in f.items() if k != "dividend"}
        out.append(f)
    return out


def referenced_numbers(pre, data: RelationalData, table: str) -> dict[str, dict]:
    """`"fk->column"` -> {"fk", "table", "key", "column"}: the numbers of the rows `table`'s
    references and lookup keys name (at most `MAX_REF_OPERANDS`, in key order), operands a formula
    may take (a line's part's price)."""
    schema, out = data.schema, {}
    keys = {e.fk: e.parent for e in schema.references(table)} | dict(schema.lookup_fks(table))
    if (nest := schema.parent(table)) is not None:  # last: a payslip's base, its employee's salary / 12
        keys.setdefault(nest.fk, nest.parent)
    for fk, parent in keys.items():
        pk = schema.tables[parent].primary_key
        if pk is None or parent not in data.data or parent == table:
            continue
        modelled = set(pre.modelled_columns(parent)) if parent in pre.layouts else set(data[parent].columns)
        for c in pre.float_numbers(parent, schema.tables[parent].columns):
            if c in modelled and len(out) < MAX_REF_OPERANDS:
                out[f"{fk}{REF}{c}"] = {"fk": fk, "table": parent, "key": pk, "column": c}
    return out


def _referenced(frame: pd.DataFrame, parent: pd.DataFrame, ref: dict) -> np.ndarray:
    """Each row's value of `ref["column"]` in the row of `parent` its key `ref["fk"]` names (NaN: none)."""
    by_key = pd.Series(
        to_numbers(parent[ref["column"]]).astype(float).to_numpy(),
        index=parent[ref["key"]].to_numpy(),
    )
    by_key = by_key[~by_key.index.duplicated()]
    return frame[ref["fk"]].map(by_key).astype(float).to_numpy()


def describe(f: dict) -> str:
    """The formula as it reads: "0.2 x net", "quantity * unit_price", "end - start in seconds"."""
    if f["op"] in _OFF_OPS:
        rate = f"{f['of'][-1]} / 100" if f["op"] == PERCENT_OFF else f["of"][-1]
        return f"{' * '.join(f['of'][:-1])} * (1 - {rate})"
    if f["op"] == WEIGHTED:
        return " + ".join(c if w == 1 else f"{w:g} x {c}" for w, c in zip(f["weights"], f["of"], strict=True))
    if f["op"] == ABS:
        return f"|{f['of'][0]}|" if f["factor"] == 1 else f"{f['factor']:g} x |{f['of'][0]}|"
    ops = f["op"] * (len(f["of"]) - 1) if len(f["op"]) == 1 else f["op"]
    body = f["of"][0] + "".join(f" {o} {c}" for o, c in zip(ops, f["of"][1:], strict=True))
    if f.get("late"):
        unit = {1.0: "second", 1 / 60: "minute", 1 / 3_600: "hour", 1 / 86_400: "day", 1_000.0: "millisecond"}
        per = unit[float(f["factor"]) / float(f["rate"])] if float(f["factor"]) / float(f["rate"]) in unit else "second"
        return f"{float(f['rate']):g} x max({body}, 0) per {per}"
    if f.get("dates"):
        units = dict(zip(DATE_FACTORS, ("seconds", "minutes", "hours", "days", "milliseconds"), strict=True))
        return f"{body} in {units.get(f['factor'], 'seconds x ' + format(f['factor'], 'g'))}"
    if "brackets" in f:
        return f"{body} x its bracket's rate ({', '.join(format(r, 'g') for r in f['brackets']['rates'])})"
    if f["factor"] == 1:
        return body
    return f"{f['factor']:g} x {body}" if len(f["of"]) == 1 else f"{f['factor']:g} x ({body})"


def _candidates(
    operands: list[str], refs: Sequence[str] = (), spans: Sequence[str] = ()
) -> list[tuple[list[str], str]]:
    """(columns, operation) to try: one column (times a factor), then sums, differences,
    products and quotients of two (both orders where the order matters), among the nearest
    earlier numbers (`PAIR_WINDOW`): a formula's operands sit near it, and every pair cost a
    table of 150 numbers minutes to fit (3,000 rows: 9 s with 12, where the fit took 0.6 s).
    The numbers of referenced rows (`refs`) come after each window's own numbers, not in place of
    them: four of a line's product and order in the last six left a line's quantity out of
    quantity x unit price x (1 - discount). A span of days (`spans`) is taken times a number only,
    after the pairs of numbers: a booking's nights times its nightly rate."""
    refs = list(refs)
    out: list[tuple[list[str], str]] = [([a], "*") for a in operands[-2 * PAIR_WINDOW :] + refs]
    out += [([a], ABS) for a in operands[-2 * PAIR_WINDOW :] + refs]  # after a itself: a never-negative a is a copy
    for a, b in itertools.combinations(operands[-PAIR_WINDOW:] + refs, 2):
        out += [([a, b], "+"), ([a, b], "-"), ([b, a], "-"), ([a, b], "*"), ([a, b], "/"), ([b, a], "/")]
        out += [([a, b], op) for op in _OFF_OPS] + [([b, a], op) for op in _OFF_OPS]  # a price less its discount
    out += [([a, s], "*") for a in operands[-PAIR_WINDOW:] + refs for s in spans]
    near = operands[-TRIPLE_WINDOW:] + refs  # then a product plus or minus a third: qty x price - discount
    for (a, b), c in itertools.product(itertools.combinations(near, 2), near):
        if c not in (a, b):
            out += [([a, b, c], "*-"), ([a, b, c], "*+"), ([a, b, c], RATE)]
    # then one number less two others, or two less a third: a payslip's net, its gross less tax and
    # deductions (in none of 620 generated payslips before), which no pair gives and no run (a sum) does
    for (a, b), c in itertools.product(itertools.combinations(near, 2), near):
        if c not in (a, b):
            out += [([c, a, b], "--"), ([a, b, c], "+-")]
    return out


def _target(y: np.ndarray, sample: np.ndarray) -> tuple[int | None, np.ndarray] | None:
    """(the decimals of the column `y` a formula is sought for, the sample rows holding it that
    candidates are screened on); None where it holds too few values or one value only."""
    present = ~np.isnan(y)
    if present.sum() < MIN_ROWS or np.nanstd(y) == 0:
        return None
    return written_decimals(y[present]), sample[present[sample]][:SCREEN]  # most candidates fail on a few rows already


def _match(
    values: dict[str, np.ndarray],
    col: str,
    operands: list[str],
    sample: np.ndarray,
    refs: Sequence[str] = (),
    spans: Sequence[str] = (),
) -> dict | None:
    """The first formula over `operands`, the referenced numbers `refs` and the spans of days `spans`
    that `col` equals (factor 1 before any other factor)."""
    return _first_match(values, col, lambda: _candidates(operands, refs, spans), sample)


def _match_durations(
    values: dict[str, np.ndarray], col: str, operands: list[str], sample: np.ndarray, durations: Sequence[str]
) -> dict | None:
    """The first number of `operands` divided by or times a span of time of `durations` that `col`
    equals, times a factor (a trip's average speed, its distance over its hours: the span is in
    days, the factor 1 / 24), tried after every other formula: a duration alone is `_match_dates`'s."""
    if not durations:
        return None
    return _first_match(values, col, lambda: [([a, s], op) for a in operands for s in durations for op in "/*"], sample)


def _first_match(values: dict[str, np.ndarray], col: str, candidates, sample: np.ndarray) -> dict | None:
    """The first of `candidates()` ((operands, operation)) that `col` equals (factor 1 before any
    other factor)."""
    if (target := _target(values[col], sample)) is None:
        return None
    found = candidates()
    return _first_screened(values, col, found, _evaluated(values, found, target[1]), sample, target)


def _evaluated(values: dict[str, np.ndarray], candidates: list[tuple[list[str], str]], rows: np.ndarray) -> np.ndarray:
    """(candidates, rows): each candidate's value on `rows`, all screened at once (`_first_screened`)."""
    out = np.empty((len(candidates), len(rows)))
    for k, (of, op) in enumerate(candidates):
        out[k] = _evaluate(values, of, op, rows)
    return out


def _first_screened(
    values: dict[str, np.ndarray],
    col: str,
    candidates: list[tuple[list[str], str]],
    on_screen: np.ndarray,
    sample: np.ndarray,
    target: tuple[int | None, np.ndarray],
) -> dict | None:
    """The first of `candidates` that `col` equals (factor 1 before any other factor), screened on the
    rows of `target` (`_target`: the decimals, the screen rows) from `on_screen`, their values there
    (candidates, screen rows), then checked on `sample` and on all rows one by one. The screen is one
    array operation for every candidate: one `_evaluate` and `_factor` each cost a wide table's fit 90 s of
    120 (34 numbers under 25 labels: 620,000 calls)."""
    y = values[col]
    d, screen = target
    if not len(screen):  # no row of the sample holds it: no screen passes
        return None
    y_screen = y[screen]
    triple = np.array([len(of) > 2 for of, _ in candidates], dtype=bool)
    for any_factor in (False, True):  # factor 1 first: a sum is a sum, not 0.99 x one column
        if any_factor:  # a product and a third number: as it is, not scaled
            factors = _factors(y_screen, on_screen)
            usable = ~triple & ~np.isnan(factors) & (factors != 1)
        else:
            factors, usable = np.ones(len(candidates)), np.ones(len(candidates), dtype=bool)
        close = to_decimals(y_screen[None, :], factors[:, None] * on_screen, d).mean(axis=1) >= MIN_SHARE
        for k in np.flatnonzero(usable & close):
            (of, op), factor = candidates[k], float(factors[k])
            if formula_holds(y[sample], factor * _evaluate(values, of, op, sample), d) and formula_holds(
                y, factor * _evaluate(values, of, op), d
            ):
                return {"of": of, "op": op, "factor": factor, "decimals": d}
    return None


def _match_run(values: dict[str, np.ndarray], col: str, operands: list[str], sample: np.ndarray) -> dict | None:
    """The sum (factor 1) or the mean (1 / its length) of a run of at least `MIN_RUN` consecutive
    `operands` that `col` equals, the run ending nearest the column first, then the shortest. Every
    run is screened at once from cumulative sums over the row, on a few rows first (a table of 120
    numbers has 7,000 runs before its last)."""
    y = values[col]
    if len(operands) < MIN_RUN or (target := _target(y, sample)) is None:
        return None
    d, screen = target
    x = np.column_stack([values[c][screen] for c in operands])  # (rows, k)
    zero = np.zeros((len(screen), 1))
    sums = np.hstack([zero, np.cumsum(np.nan_to_num(x), axis=1)])  # sums[:, e] - sums[:, s]: operands s..e-1
    gaps = np.hstack([zero, np.cumsum(np.isnan(x), axis=1)])
    ends, starts = _runs(len(operands))

    def close(rows: slice, runs: np.ndarray, factor: np.ndarray) -> np.ndarray:
        """The share of `rows` of the screen where y is each run's sum times its factor."""
        e, s = ends[runs], starts[runs]
        v = np.where(gaps[rows, e] > gaps[rows, s], np.nan, sums[rows, e] - sums[rows, s]) * factor
        t = y[screen[rows], None]
        return to_decimals(t, v, d).mean(axis=0)

    every = np.arange(len(ends))
    for_sum, for_mean = np.ones(len(ends)), 1.0 / (ends - starts)
    first = slice(0, PRESCREEN)
    kept = every[(close(first, every, for_sum) >= 0.75) | (close(first, every, for_mean) >= 0.75)]
    for j in kept:
        for factor in (1.0, float(for_mean[j])):  # a mean's 1/n exactly (not read off the data as `_factor`)
            if close(slice(None), np.array([j]), np.array([factor]))[0] < MIN_SHARE:
                continue
            of, op = operands[starts[j] : ends[j]], "+" * (ends[j] - starts[j] - 1)
            if formula_holds(y[sample], factor * _evaluate(values, of, op, sample), d) and formula_holds(
                y, factor * _evaluate(values, of, op), d
            ):
                return {"of": of, "op": op, "factor": factor, "decimals": d}
    return None


def _match_weighted(values: dict[str, np.ndarray], col: str, operands: list[str], sample: np.ndarray) -> dict | None:
    """`col` as whole multiples of two or three of `operands` added (`WEIGHTED`: a league's points, 3
    x won + drawn, which no sum or product of them gives): the weights read by least squares on the
    screen's rows, each rounded to a whole number of at most `MAX_WEIGHT`, none 0, then checked on all
    rows as any formula. Pairs first, then triples (basketball points, 2 x twos + 3 x threes + free throws)."""
    y = values[col]
    if (target := _target(y, sample)) is None:
        return None
    d, screen = target
    for k in (2, 3):
        for of in itertools.combinations(operands, k):
            x = np.column_stack([values[c][screen] for c in of])  # (rows, k)
            rows = np.isfinite(x).all(axis=1)
            if rows.sum() < MIN_ROWS:
                continue
            fitted = np.linalg.lstsq(x[rows], y[screen][rows], rcond=None)[0]
            weights = np.round(fitted)
            if np.any(weights == 0) or np.any(np.abs(weights) > MAX_WEIGHT) or np.abs(fitted - weights).max() > 0.05:
                continue
            weights = [float(w) for w in weights]
            if not _close(y[screen], _evaluate(values, list(of), WEIGHTED, screen, weights), d):
                continue
            if formula_holds(y[sample], _evaluate(values, list(of), WEIGHTED, sample, weights), d) and formula_holds(
                y, _evaluate(values, list(of), WEIGHTED, weights=weights), d
            ):
                return {"of": list(of), "op": WEIGHTED, "factor": 1.0, "weights": weights, "decimals": d}
    return None


def _match_brackets(values: dict[str, np.ndarray], col: str, operands: list[str], sample: np.ndarray) -> dict | None:
    """`x` times a rate that steps with `x` (a tax, 10 % of a gross pay below 3,000, 20 % below 6,000,
    30 % above: no one factor gives it, and 4,946 of 4,953 generated payslips held no bracket's):
    {"of": [x], "op": "*", "factor": 1, "decimals", "brackets": {"bounds", "rates"}}, the rates
    the `MAX_BRACKETS` ratios most rows hold at most, each over one range of x, `bounds` between them."""
    y = values[col]
    if (target := _target(y, sample)) is None:
        return None
    d = target[0]
    for x_col in reversed(operands):  # the nearest first
        x = values[x_col]
        held = ~np.isnan(y) & ~np.isnan(x) & (x > 0) & (y != 0)
        rows = sample[held[sample]]
        if len(rows) < MIN_ROWS:
            continue
        found = _brackets(x[rows], y[rows], d)
        if found is not None and formula_holds(y, _bracketed(x, found), d):
            return {"of": [x_col], "op": "*", "factor": 1.0, "decimals": d, "brackets": found}
    return None


def _brackets(x: np.ndarray, y: np.ndarray, d: int | None) -> dict | None:
    """{"bounds", "rates"}: two to `MAX_BRACKETS` ratios y / x (to 3 digits: a cent of 10 is 0.1 %),
    each held by at least `MIN_ROWS` rows, that x's rising order takes one after another, or None."""
    r = y / x
    scale = 10.0 ** (2 - np.floor(np.log10(np.abs(r))))
    ratio = np.round(r * scale) / scale
    rates, counts = np.unique(ratio, return_counts=True)
    rates = rates[counts >= MIN_ROWS]
    if not 2 <= len(rates) <= MAX_BRACKETS:
        return None
    order = np.argsort(x, kind="stable")
    nearest = np.abs(ratio[order][:, None] - rates[None, :]).argmin(1)
    steps = np.flatnonzero(np.diff(nearest) != 0)
    if len(steps) != len(rates) - 1:  # each rate over one range of x, no rate twice
        return None
    xs = x[order]
    bounds = [float((xs[i] + xs[i + 1]) / 2) for i in steps]
    return {"bounds": bounds, "rates": [float(rates[k]) for k in nearest[np.r_[steps, len(xs) - 1]]]}


def _bracketed(x: np.ndarray, brackets: dict) -> np.ndarray:
    """x times the rate of the bracket it falls in."""
    rates = np.asarray(brackets["rates"], dtype=float)
    return x * rates[np.searchsorted(np.asarray(brackets["bounds"], dtype=float), x, side="right")]


def _runs(k: int) -> tuple[np.ndarray, np.ndarray]:
    """(ends, starts) of the runs of at least `MIN_RUN` of `k` operands (operands start..end-1), in
    order of preference: the nearest end first, then the shortest run."""
    pairs = [(e, s) for e in range(k, MIN_RUN - 1, -1) for s in range(e - MIN_RUN, -1, -1)]
    return np.array([e for e, _ in pairs]), np.array([s for _, s in pairs])


def _match_dates(values: dict[str, np.ndarray], col: str, dates: list[str], sample: np.ndarray) -> dict | None:
    """The first difference of two `dates` (seconds) that `col` equals in one of `DATE_FACTORS`' units."""
    y = values[col]
    if (target := _target(y, sample)) is None:
        return None
    d, screen = target
    for of in itertools.permutations(dates, 2):
        for factor in DATE_FACTORS:
            if _close(y[screen], factor * _evaluate(values, list(of), "-", screen), d) and formula_holds(
                y, factor * _evaluate(values, list(of), "-"), d
            ):
                return {"of": list(of), "op": "-", "factor": factor, "decimals": d, "dates": True}
    return _match_late_dates(values, col, dates, sample)


def _match_late_dates(values: dict[str, np.ndarray], col: str, dates: list[str], sample: np.ndarray) -> dict | None:
    """The first rate per unit (`DATE_FACTORS`) of the time one of `dates` passes another, 0 where it
    does not (a loan's fine, 0.25 per day returned past its due date, 0 when on time: no exact
    difference gives it, and 5 % of a library's generated fines were off): {"of", "op": "-", "factor":
    rate x unit, "rate", "decimals", "dates", "late": True}. Read on the rows holding both dates (an
    open loan's fine, its return date missing, is left as the model writes it); `formula_holds` asks it of
    the rows that are not 0 too."""
    for of in itertools.permutations(dates, 2):
        dated = ~np.isnan(values[of[0]]) & ~np.isnan(values[of[1]])
        y = np.where(dated, values[col], np.nan)
        if (target := _target(y, sample)) is None:
            continue
        d, screen = target
        found = []
        for unit in DATE_FACTORS:
            late = np.maximum(unit * _evaluate(values, list(of), "-", screen), 0.0)
            if (rate := _factor(y[screen], late)) is None or not _close(y[screen], rate * late, d):
                continue
            if formula_holds(y, rate * np.maximum(unit * _evaluate(values, list(of), "-"), 0.0), d):
                found.append((_digits(rate), rate, unit))
        if found:  # the unit the rate is roundest in: 0.25 a day, not 2.894e-06 a second
            _, rate, unit = min(found, key=lambda f: f[0])
            return {"of": list(of), "op": "-", "factor": rate * unit, "rate": rate, "decimals": d, "dates": True,
                    "late": True}  # fmt: skip
    return None


def _digits(x: float) -> int:
    """The significant digits x is written with (at most 4, as `_factor` keeps)."""
    return next((k for k in range(1, 4) if float(f"{x:.{k}g}") == x), 4)


def _seconds(values: pd.Series) -> np.ndarray:
    """Dates or timestamps as seconds since the epoch (NaN: missing)."""
    return as_numbers(values, Column.DATETIME) / 1e9


def _close(y: np.ndarray, v: np.ndarray, d: int | None) -> bool:
    """The screen: y is v to d decimals in `MIN_SHARE` of these rows (all holding y)."""
    return bool(to_decimals(y, v, d).mean() >= MIN_SHARE)


def _factor(y: np.ndarray, v: np.ndarray) -> float | None:
    """The constant the data shows: the median ratio of y to v, to 4 significant digits, or one
    over a whole number where it is that to them (a month's pay, a year's / 12: 0.08333 missed
    the cent on salaries above 6,000)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = y / v
    ratio = ratio[np.isfinite(ratio) & (ratio != 0)]
    if not len(ratio):
        return None
    return _round_factor(float(np.median(ratio)))


def _factors(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    """`_factor(y, v[k])` for each row k of `v` (candidates, rows), NaN for None: the median as
    np.median takes it (the middle value, or the mean of the two middle ones), without a call per row."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = y[None, :] / v
    ratio = np.sort(np.where(np.isfinite(ratio) & (ratio != 0), ratio, np.nan), axis=1)  # NaN last
    n = (~np.isnan(ratio)).sum(axis=1)
    k = np.arange(len(v))
    upper, lower = ratio[k, n // 2], ratio[k, np.maximum(n - 1, 0) // 2]
    median = np.where(n % 2 == 1, upper, (lower + upper) / 2)
    return np.array([_round_factor(float(m)) if c else np.nan for m, c in zip(median, n, strict=True)])


def _round_factor(median: float) -> float:
    """A median ratio to 4 significant digits, or one over a whole number where it is that to them."""
    factor = float(f"{median:.4g}")
    whole = round(1 / factor) if factor else 0
    return 1 / whole if whole >= 2 and float(f"{1 / whole:.4g}") == factor else factor


def _evaluate(
    values: dict[str, np.ndarray],
    of: list[str],
    op: str,
    rows: np.ndarray | None = None,
    weights: Sequence[float] | None = None,
) -> np.ndarray:
    """`of[0] op of[1]` (or `of[0]`; `of[0] op[0] of[1] op[1] of[2]` from the left) per row (of
    `rows`); NaN where undefined (a missing operand, a division by 0). A missing third operand, the
    term added to or taken from a product, or its rate (`RATE`), counts 0 (a line without a discount,
    `TRIPLE_WINDOW`). `WEIGHTED`: the operands times their `weights`, added."""
    xs = [values[c] if rows is None else values[c][rows] for c in of]
    if op == WEIGHTED:
        return np.sum([w * x for w, x in zip(weights, xs, strict=True)], axis=0)
    if len(xs) == 3 and op in _TRIPLE_OPS or len(xs) == 2 and op in _OFF_OPS:
        xs[-1] = np.nan_to_num(xs[-1], nan=0.0)
    if op in _OFF_OPS:  # a x b x (1 - c), or a x (1 - b), or a x (1 - b / 100)
        v = np.prod(xs[:-1], axis=0) * (1 - xs[-1] / (100.0 if op == PERCENT_OFF else 1.0))
        return np.where(np.isfinite(v), v, np.nan)
    if op == ABS:
        return np.abs(xs[0])
    v = xs[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        for o, x in zip(op, xs[1:], strict=False):  # one operand: op is the factor's "*", unused
            v = _OPS[o](v, x)
    return np.where(np.isfinite(v), v, np.nan)


def to_decimals(y: np.ndarray, v: np.ndarray, d: int | None) -> np.ndarray:
    """Whether each y is v to d decimals (within half a unit of the last; None: to 1e-9 of y's size);
    a NaN on either side: not."""
    unit = 0.5 * 10.0**-d if d is not None else 0.0
    return np.abs(y - v) <= unit + 1e-9 * np.abs(y)


def formula_holds(y: np.ndarray, v: np.ndarray, d: int | None) -> bool:
    """Whether y is v to d decimals (None: to 1e-9 of its size) in `MIN_SHARE` of at least
    `MIN_ROWS` rows holding y, and also of the rows where y is not its most common value (zeros
    times anything are zeros)."""
    rows = ~np.isnan(y)
    if rows.sum() < MIN_ROWS:
        return False
    equal = to_decimals(y[rows], v[rows], d)
    if equal.mean() < MIN_SHARE:  # most candidates: no need to find the most common value
        return False
    values, counts = np.unique(y[rows], return_counts=True)
    other = y[rows] != values[np.argmax(counts)]
    return equal.mean() >= MIN_SHARE and other.sum() >= MIN_ROWS and equal[other].mean() >= MIN_SHARE


def rounded(v: np.ndarray, d: int, ties: str | None = None) -> np.ndarray:
    """v rounded to d decimals as float arithmetic does (`ties` None), or with a value within float
    noise (`TIE_NOISE`) of a half taken as that half and rounded to even ("even") or away from 0
    ("up"), as `tie_rounding` found the data's ties (63 days over 42, in seconds times 1 / 3600 / 1008,
    is 1.4999999, 1 as floats round it, where the data's 1.5 is 2)."""
    if ties is None:
        return np.round(v, d)
    scaled = np.asarray(v, dtype=np.float64) * 10.0**d
    half = np.floor(scaled) + 0.5
    with np.errstate(invalid="ignore"):
        tie = np.abs(scaled - half) <= TIE_NOISE * np.maximum(1.0, np.abs(scaled))
    snapped = np.where(tie, half, scaled)
    whole = np.round(snapped) if ties == "even" else np.sign(snapped) * np.floor(np.abs(snapped) + 0.5)
    return whole / 10.0**d


def tie_rounding(y: np.ndarray, v: np.ndarray, d: int | None) -> dict:
    """{"ties": "even" | "up"}: how the data rounds the values its formula puts within float noise of
    a half of their last decimal, where that matches `MIN_SHARE` of such rows and rounding the floats
    as they are matches fewer (a half ruled by noise: 21 days over 42 is 0.5, 63 days 1.4999999);
    {} otherwise, the floats rounded as they are."""
    if d is None:
        return {}
    scaled = v * 10.0**d
    with np.errstate(invalid="ignore"):
        near = np.abs(scaled - np.floor(scaled) - 0.5) <= TIE_NOISE * np.maximum(1.0, np.abs(scaled))
    near &= ~np.isnan(y)
    if not near.any():
        return {}
    unit = 0.5 * 10.0**-d

    def matched(ties: str | None) -> float:
        return float((np.abs(rounded(v[near], d, ties) - y[near]) < unit).mean())

    plain, best = matched(None), max(("even", "up"), key=matched)
    return {"ties": best} if matched(best) >= MIN_SHARE and matched(best) > plain else {}


def value_where_undefined(y: np.ndarray, v: np.ndarray) -> dict:
    """{"undefined_as": value}: the one value the column holds in every one of at least `MIN_ROWS`
    rows where its formula is undefined (an operand missing: an open loan's fine, 0 while its return
    date is missing, where 1 % to 12 % of a library's generated open loans were charged one); {}
    where such rows are fewer, miss the column or differ."""
    rows = np.isnan(v)
    if rows.sum() < MIN_ROWS or np.isnan(y[rows]).any() or len(np.unique(y[rows])) != 1:
        return {}
    return {"undefined_as": float(y[rows][0])}


def formula_value(f: dict, values: dict[str, np.ndarray]) -> np.ndarray:
    """The formula `f` per row of its operands' `values`, before rounding."""
    v = float(f["factor"]) * _evaluate(values, f["of"], f["op"], weights=f.get("weights"))
    if f.get("late"):  # the time past a date, 0 before it (NaN stays: an operand missing)
        v = np.maximum(v, 0.0)
    if "brackets" in f:  # a rate that steps with its operand
        v = _bracketed(v, f["brackets"])
    return v


def _signed_as_data(v: np.ndarray, span: list[float] | None) -> np.ndarray:
    """Where v is a number of a sign the column's values (`span`: least, greatest) have: a
    negative (or zero) value where they are never negative (positive), or never zero, is one no row
    of the data held the formula for (None: a model saved before spans, anywhere). Not the span
    itself: a product of two generated values may pass the greatest and still be its product."""
    ok = ~np.isnan(v)
    if span is None:
        return ok
    lo, hi = span
    with np.errstate(invalid="ignore"):
        if lo >= 0:
            ok &= v > 0 if lo > 0 else v >= 0
        if hi <= 0:
            ok &= v < 0 if hi < 0 else v <= 0
    return ok


def apply_formulas(formulas: list[dict], tables: dict[str, pd.DataFrame]) -> None:
    """Set (in place), in field order, every fitted formula's column of the generated `tables` that
    the model wrote and whose operands are there, to its formula rounded to its decimals."""
    for f in formulas:
        frame = tables.get(f["table"])
        if frame is None or not len(frame):
            continue
        refs, spans = f.get("refs") or {}, f.get("spans") or {}
        if any(r["table"] not in tables for r in refs.values()):
            continue
        values = {
            c: _referenced(frame, tables[refs[c]["table"]], refs[c])
            if c in refs
            else _days(_seconds(frame[spans[c][0]]), _seconds(frame[spans[c][1]]))
            if c in spans
            else _seconds(frame[c])
            if f.get("dates")
            else to_numbers(frame[c]).astype(float).to_numpy()
            for c in f["of"]
        }
        v = formula_value(f, values)
        if "dividend_decimals" in f:  # none in older models
            v = _dividend_from_quotient(frame, f, v, values)
        v = (v if f["decimals"] is None else rounded(v, int(f["decimals"]), f.get("ties"))) + 0.0  # 0 times -3 is -0.0
        if "undefined_as" in f:  # the data's one value where the formula is undefined (an open loan's fine)
            v = np.where(np.isnan(v), float(f["undefined_as"]), v)
        column = frame[f["column"]].copy()
        held = column.notna().to_numpy() & _signed_as_data(v, f.get("span"))
        if where := f.get("where"):  # only on the rows of its labels (none in older models)
            held &= plain_texts(frame[where["column"]]).isin(where["labels"]).to_numpy()
        rows = np.flatnonzero(held)
        if pd.api.types.is_integer_dtype(column.dtype):
            column.iloc[rows] = v[rows].astype(np.int64)
        else:
            column.iloc[rows] = v[rows]
        frame[f["column"]] = column
        if "dividend" in f:  # the quotient exact, as in the data: the dividend from the rounded quotient
            _set_dividend(frame, f, v, values[f["of"][1]], rows)


def _dividend_from_quotient(frame: pd.DataFrame, f: dict, v: np.ndarray, values: dict[str, np.ndarray]) -> np.ndarray:
    """`v`, the quotient `f` of a number over a span of time (a trip's speed, its distance over its
    hours), again once the dividend is set (in place, and in `values`) to the drawn quotient times the
    span, to its decimals, where the model drew the quotient within the data's `span` and the formula
    does not hold yet (so a second pass changes nothing). Computed from the distance and hours drawn
    apart, the speed passed 150 km/h in 17 % of generated trips (93.8 at most in the data: KS 0.14
    against the data's speeds, where the drawn speeds kept 0.03); the model draws the quotient last,
    beside both, and the distance it gives keeps the data's (KS 0.04-0.06)."""
    lo, hi = f["span"]
    drawn = to_numbers(frame[f["column"]]).astype(float).to_numpy()
    divisor = values[f["of"][1]]
    with np.errstate(invalid="ignore"):
        off = ~to_decimals(drawn, v, f["decimals"])
        rows = np.flatnonzero(off & (drawn >= lo) & (drawn <= hi) & (divisor > 0))
    if not len(rows):
        return v
    d = int(f["dividend_decimals"]) if f["dividend_decimals"] is not None else 9
    back = np.round(drawn[rows] * divisor[rows] / float(f["factor"]), d) + 0.0
    dividend = frame[f["of"][0]].copy()
    dividend.iloc[rows] = back.astype(np.int64) if pd.api.types.is_integer_dtype(dividend.dtype) else back
    frame[f["of"][0]] = dividend
    values[f["of"][0]] = to_numbers(dividend).astype(float).to_numpy()
    return formula_value(f, values)


def _set_dividend(frame: pd.DataFrame, f: dict, quotient: np.ndarray, divisor: np.ndarray, rows: np.ndarray) -> None:
    """Set (in place) `f`'s dividend at `rows` to the quotient times the divisor, to its decimals."""
    d = f["dividend"]
    back = quotient[rows] * divisor[rows] / float(f["factor"])
    back = (back if d is None else np.round(back, int(d))) + 0.0  # never -0.0
    column = frame[f["of"][0]].copy()
    column.iloc[rows] = back.astype(np.int64) if pd.api.types.is_integer_dtype(column.dtype) else back
    frame[f["of"][0]] = column
