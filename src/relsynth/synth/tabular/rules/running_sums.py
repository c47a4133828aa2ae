"""Running sums: a number of a row that is the previous sibling's value plus (or minus) another
number of the row, the siblings in their encoded order (`TabularPreproc.sibling_keys`, else as
stored): an account's balance after each transaction, the previous balance plus the signed amount,
going up and down. The first sibling's is a number of its parent row plus the same (the account's
opening balance) where the data's always is, or a constant plus it (an account opened empty), else
the value generated for it.

The model writes each value in bins, so a generated balance never follows from the one before it
and its amount (1,531 of 1,531 generated transactions broke the chain); a number that never goes
down is kept by `orderings.running_ordering`, a balance that also goes down was not. The fit keeps,
per number of a child table, the first such sum it equals in at least `MIN_SHARE` of at least
`MIN_ROWS` pairs of consecutive siblings holding the values; generation sets it, within each parent
row, to the start plus the cumulative sum of the generated numbers, counted in units of the
column's decimals (no float drift over long chains). Found before the formulas and orders within
rows, which then leave the column out, as they leave totals. Not fitted under DP.

A row may also hold the sum before its step (a trip's odometer_start, the previous trip's
odometer_end, beside odometer_end = odometer_start + distance): drawn apart from the chain, no
generated trip continued its predecessor's reading, and the formula distance = end - start, set
before the sum, counted the sum from two values drawn apart (a median trip of 6,709 km for 52).
The fit keeps that column (`before`); generation sets it with the sum, and the step's formula from
the sum is dropped (`without_step_formulas`): the step is generated, the sum and reading follow.

A running sum the data never takes below 0 (a stock line's balance after each movement, an
account that is never overdrawn; `side` 1, and -1 for one never above 0) stays on its side of 0:
the amounts are drawn one by one, so a generated chain of issues took more than was on hand (302 of
1,759 generated stock movements left a negative balance, 89 of 214 stock lines went below empty).
Generation shortens a step that would cross 0 to what is on hand (an issue takes what is left), and
where nothing is on hand raises the largest earlier step the other way by the step instead (the
receipt was larger), so no step of a label that never moves the sum by 0 is written 0
(`_kept_on_side`); its number is written back, and formulas and totals that read it follow.

A running sum that takes both signs may still stay within a number of its parent row: an account's
balance goes below 0 by its overdraft limit at most (0 for a savings account), a credit line's
above 0 by its limit (`floor`: the parent's column, and side 1 or -1). Drawn one by one, 30 of 389
generated accounts of a ledger went past their limit (85 of 2,407 transactions, 30 of them a savings
account's below 0). The fit keeps, where the sum takes both signs, the first number of the parent, never
negative, that every parent row's lowest (or highest) sum stays within, where `MIN_PARENTS` parent
rows at least go past 0 and the limits dealt out among the parent rows at random would have been
broken by `MIN_BREAKS` of them at least (no limit that any number would keep, a customer's
income); generation keeps the steps within the limit as within 0 above, the room being the limit.

Where no `min_count` training rows sit exactly on the bound (an overdraft never drawn to the cent,
`reached` false), a step shortened to all the room left put the generated balance on it (29 of
2,429 generated transactions of a ledger at exactly minus their limit, none in the data): it then
takes the room less a share of it drawn in [0.05, 0.95] (one unit left at least), and a receipt
raised where nothing is left is raised by such a share more. A stock issued down to empty keeps
taking all of it; older models too.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.synth.tabular._assemble import sibling_order
from relsynth.synth.tabular.encoders import decimals_of
from relsynth.synth.tabular.rules.numbers import as_floats

log = logging.getLogger(__name__)
MIN_SHARE = 0.95  # a column is a running sum when consecutive siblings keep it in this share of their pairs
MIN_ROWS = 20  # pairs of siblings holding the values the share is read from, at least
MIN_PARENTS = 10  # parent rows whose sum goes past 0, at least, for a parent's limit to be read
MIN_BREAKS = 5  # parent rows breaking the limits dealt out at random, at least, on average
N_DEALS = 20  # random deals of the limits among the parent rows
_SIGNS = {"+": 1.0, "-": -1.0}


def find_running_sums(pre, data: RelationalData, summed: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "fk", "key", "op", "of", "start", "constant", "decimals"}]: `table.column`
    is the previous sibling's (under `fk`, in order of the date `key`, None: as stored) `op` (+ or
    -) the row's `of`; or, `op` "label", plus or minus it as a label of the row's column `sign_by`
    says (`signs`: label -> 1 or -1: an unsigned amount, a credit added and a debit taken away);
    the first sibling's the parent's `start` (None: `constant`, None: as generated) plus the
    same. Not context columns nor `summed` (totals, set after generation)."""
    out: list[dict] = []
    for table in data.schema.synth_tables:
        edge = data.schema.parent(table)
        if edge is None:
            continue
        kinds = data.schema.tables[table].columns
        given = pre.given_columns(table)
        modelled = [c for c in pre.modelled_columns(table) if c not in given and (table, c) not in summed]
        numbers = pre.float_numbers(table, modelled)
        key = pre.sibling_keys.get(table)
        order, same = sibling_order(data[table], edge.fk, key)
        values = {c: as_floats(data[table][c])[order] for c in numbers}
        labels = {
            c: data[table][c].astype(object).to_numpy()[order] for c in modelled if kinds[c].kind is Column.CATEGORICAL
        }
        taken: set[str] = set()
        for col in numbers:
            others = [c for c in numbers if c not in taken | {col}]
            found = None if col in taken else _match(values, col, others, same, labels)
            if found is None:
                continue
            signs = multipliers(found, labels.get(found.get("sign_by"), np.empty(0)), len(same))
            firsts = data[table][edge.fk].to_numpy()[order][~same]
            base = values[col][~same] - (signs * values[found["of"]])[~same]
            start = _start(pre, data, edge.parent, firsts, base, summed)
            pk = data.schema.tables[edge.parent].primary_key
            side = side_of_zero(values[col])
            parents = data[table][edge.fk].to_numpy()[order]
            floor = None if side else _floor(pre, data, edge.parent, parents, values[col], summed)
            reached = _reached(data, edge.parent, parents, values[col], side, floor, pre.min_count)
            rest = [c for c in numbers if c not in taken | {col, found["of"]}]
            before = _before(values, col, values[col] - signs * values[found["of"]], rest)
            out.append(
                {"table": table, "column": col, "fk": edge.fk, "key": key, **found}
                | {
                    "parent": edge.parent,
                    "parent_key": pk,
                    "decimals": decimals_of(values[col][~np.isnan(values[col])]),
                    "side": side,
                    "floor": floor,  # None: no parent's limit (or a side of 0 kept)
                    "reached": reached,  # whether the data's sums reach their bound (0 or the limit)
                    "before": before,  # the row's column holding the sum before its step (None: none)
                }
                | start
            )
            taken |= {col, found["of"]} | ({before} if before else set())
            how = (
                f"{found['op']} {found['of']}"
                if "sign_by" not in found
                else f"{found['of']} signed by {found['sign_by']}"
            )
            log.info("%s.%s is the previous %s row's %s in nearly every row: kept so", table, col, edge.parent, how)
    return out


def _before(values: dict[str, np.ndarray], col: str, previous: np.ndarray, others: list[str]) -> str | None:
    """The first of `others` that holds the running sum `col` before its row's step (`previous`: the
    sum less the signed step) in MIN_SHARE of at least MIN_ROWS rows that step: a trip's
    odometer_start, the previous trip's odometer_end. None where no column does."""
    moved = ~np.isnan(previous) & (np.abs(values[col] - previous) > 0)
    d = decimals_of(values[col][~np.isnan(values[col])])
    for other in others:
        rows = moved & ~np.isnan(values[other])
        if rows.sum() >= MIN_ROWS and _holds(values[other][rows], previous[rows], d):
            return other
    return None


def before_columns(sums: list[dict]) -> set[tuple[str, str]]:
    """(table, column) of each running sum's column before the step: set with the sum, after generation."""
    return {(s["table"], s["before"]) for s in sums if s.get("before")}


def without_step_formulas(formulas: list[dict], sums: list[dict]) -> list[dict]:
    """`formulas` less those giving a running sum's step from the sum itself (distance = odometer_end -
    odometer_start): the sum is counted from the generated steps, so such a formula, applied before it,
    set each step from two values drawn apart and the sum counted those (a median trip of 6,709 km for
    the data's 52), and after it read a chain it had made."""
    steps = {(s["table"], s["of"]): s["column"] for s in sums}
    return [f for f in formulas if steps.get((f["table"], f["column"])) not in f["of"]]


def without_floor_on_formulas(sums: list[dict], formulas: list[dict]) -> list[dict]:
    """`sums` with no side of 0 kept (`side` 0) where the number they add is a formula's column:
    the formulas are set again after the running sums, and would undo a step shortened to what is
    on hand, breaking the chain."""
    computed = {(f["table"], f["column"]) for f in formulas}
    return [s | {"side": 0, "floor": None} if (s["table"], s["of"]) in computed else s for s in sums]


def side_of_zero(values: np.ndarray) -> int:
    """1 where the values are never negative (a stock on hand), -1 where never positive (a debt
    owed), 0 where they take both signs (or none is held)."""
    held = values[~np.isnan(values)]
    if not len(held) or (held.min() < 0 and held.max() > 0):
        return 0
    return 1 if held.min() >= 0 else -1


def _floor(pre, data: RelationalData, parent: str, parents: np.ndarray, y: np.ndarray, summed) -> dict | None:
    """{"column", "side"}: the first number of the `parent` table (never negative, no total) that
    the running sum `y` (its rows' parent keys: `parents`) never goes below 0 by more than (side 1:
    an overdraft limit), or above 0 (side -1: a credit line's limit), in any parent row, where
    MIN_PARENTS parent rows go past 0 and chance would have broken it (`_chance_breaks`); None."""
    frame = data[parent]
    keys = frame[data.schema.tables[parent].primary_key].to_numpy()
    held = ~np.isnan(y)
    tol = 0.5 * 10.0 ** -decimals_of(y[held]) if held.any() else 0.0
    for c in pre.float_numbers(parent, pre.modelled_columns(parent)):
        limits = pd.Series(as_floats(frame[c]), index=keys)
        if (parent, c) in summed or not limits.index.is_unique:
            continue
        rows = held & ~np.isnan(limits.reindex(parents).to_numpy(dtype=float))
        for side in (1.0, -1.0):
            lowest = pd.Series(side * y[rows]).groupby(parents[rows]).min()
            room = limits.reindex(lowest.index).to_numpy(dtype=float)
            if (lowest < 0).sum() < MIN_PARENTS or room.min() < 0 or (lowest.to_numpy() < -room - tol).any():
                continue
            if _chance_breaks(lowest.to_numpy(), room, tol) >= MIN_BREAKS:
                return {"column": c, "side": side}
    return None


def _reached(
    data: RelationalData, parent: str, parents: np.ndarray, y: np.ndarray, side: int, floor, min_count
) -> bool:
    """Whether `min_count` rows at least hold the running sum `y` exactly on its bound (0 for a
    `side`, minus or plus the parent's limit for a `floor`): a stock issued down to empty, an
    account drawn to its limit. Where none does (an overdraft never used up to the cent), a step
    that would cross the bound takes a share of the room left, not all of it."""
    if not side and not floor:
        return True  # no bound
    bound = np.zeros(len(y))
    if floor:
        frame = data[parent]
        keys = frame[data.schema.tables[parent].primary_key].to_numpy()
        limits = pd.Series(as_floats(frame[floor["column"]]), index=keys).reindex(parents).to_numpy(dtype=float)
        bound = -floor["side"] * limits
    held = ~np.isnan(y) & ~np.isnan(bound)
    tol = 0.5 * 10.0 ** -decimals_of(y[held]) if held.any() else 0.0
    return bool((np.abs(y[held] - bound[held]) <= tol).sum() >= min_count)


def _chance_breaks(lowest: np.ndarray, room: np.ndarray, tol: float) -> float:
    """How many parent rows' `lowest` sums the limits (`room`) dealt out among them at random
    would leave past their limit, on average over N_DEALS deals (seeded: a fit is repeatable)."""
    rng = np.random.default_rng(0)
    return float(np.mean([(lowest < -rng.permutation(room) - tol).sum() for _ in range(N_DEALS)]))


def multipliers(found: dict, labels: np.ndarray, n: int) -> np.ndarray:
    """Each row's sign for the number a running sum adds: the op's, or its label's (a label the
    data never signed, or none: 0, no step). `signs` is keyed by the labels' text (JSON keys are
    text): a type coded 1 or 2 is looked up as "1" or "2"."""
    if "sign_by" not in found:
        return np.full(n, _SIGNS[found["op"]])
    return pd.Series(labels, dtype=object).astype(str).map(found["signs"]).astype(float).fillna(0.0).to_numpy()


def _match(
    values: dict[str, np.ndarray], col: str, others: list[str], same: np.ndarray, labels: dict[str, np.ndarray]
) -> dict | None:
    """{"op", "of"} (and "sign_by", "signs" where a label says the sign) of the first number that
    `col` is the previous sibling's plus or minus."""
    y = values[col]
    held = y[~np.isnan(y)]
    if not len(held) or held.std() == 0:
        return None
    prev, d = np.r_[np.nan, y[:-1]], decimals_of(held)
    for other in others:
        a = values[other]
        # pairs that move it: a column the same in every row of a parent follows any number mostly 0;
        # a step of 0 is read too, so a line number (always 1 on) never follows a 0/1 flag where it is 1
        pairs = same & ~np.isnan(y) & ~np.isnan(prev) & ~np.isnan(a)
        if (pairs & (a != 0)).sum() < MIN_ROWS:
            continue
        for op, sign in _SIGNS.items():
            if _holds(y[pairs], prev[pairs] + sign * a[pairs], d):
                return {"op": op, "of": other}
        up = np.abs(y - prev - a) <= 0.5 * 10.0**-d + 1e-9 * np.abs(y)  # added here, taken away elsewhere
        if not _signed_step(y[pairs], prev[pairs], a[pairs], d):
            continue  # no label can sign it: screened once, not per label (wide tables have many)
        for name, lab in labels.items():
            if (signs := _label_signs(lab[pairs], np.where(up, 1.0, -1.0)[pairs])) is not None:
                found = {"op": "label", "of": other, "sign_by": name, "signs": signs}
                if _holds(y[pairs], prev[pairs] + (multipliers(found, lab, len(y)) * a)[pairs], d):
                    return found
    return None


def _signed_step(y: np.ndarray, prev: np.ndarray, a: np.ndarray, decimals: int) -> bool:
    """Whether `y` is `prev` plus, minus or 0 times `a` in MIN_SHARE of the rows: what any label's
    signs (+1, -1, 0 for an unsigned label) would need, so a pair failing it is tried with none."""
    tol = 2 * (0.5 * 10.0**-decimals + 1e-9 * np.abs(y))  # twice `_holds`'s: rounding never screens a match out
    step = np.abs(y - prev)
    near = (np.abs(step - np.abs(a)) <= tol) | (step <= tol)
    return bool(near.mean() >= MIN_SHARE)


def _label_signs(labels: np.ndarray, signs: np.ndarray) -> dict[str, float] | None:
    """label -> the sign its rows' steps take, where each label's rows take one (in MIN_SHARE of
    the rows) and the labels both signs; None otherwise."""
    frame = pd.DataFrame({"label": labels, "sign": signs}).dropna()
    if frame.empty:
        return None
    by_label = frame.groupby("label")["sign"].agg(lambda s: s.mode().iloc[0])
    if by_label.nunique() < 2 or (frame["label"].map(by_label) == frame["sign"]).mean() < MIN_SHARE:
        return None
    return {str(k): float(v) for k, v in by_label.items()}


def _start(pre, data: RelationalData, parent: str, keys: np.ndarray, base: np.ndarray, summed) -> dict:
    """{"start": the parent's number each first sibling's running sum starts from (`base`: its
    value less its own number; `keys`: its parent's), or None; "constant": the constant it starts
    from where no number of the parent's is one, or None (the first value as generated)}."""
    out = {"start": None, "constant": None}
    held = ~np.isnan(base)
    if held.sum() < MIN_ROWS:
        return out
    d = decimals_of(base[held])
    frame = data[parent]
    for c in pre.float_numbers(parent, pre.modelled_columns(parent)):
        if (parent, c) in summed:
            continue
        by_key = pd.Series(as_floats(frame[c]), index=frame[data.schema.tables[parent].primary_key].to_numpy())
        if _holds(base[held], by_key.reindex(keys[held]).to_numpy(dtype=float), d):
            return {**out, "start": c}
    constant = float(np.round(np.median(base[held]), d))
    return {**out, "constant": constant} if _holds(base[held], np.full(held.sum(), constant), d) else out


def _holds(y: np.ndarray, x: np.ndarray, decimals: int) -> bool:
    """`y` equals `x` to half a unit of `y`'s last decimal in at least MIN_SHARE of the rows."""
    return bool((np.abs(y - x) <= 0.5 * 10.0**-decimals + 1e-9 * np.abs(y)).mean() >= MIN_SHARE)


def apply_running_sums(
    sums: list[dict], tables: dict[str, pd.DataFrame], rng: np.random.Generator | None = None
) -> None:
    """Set (in place) every fitted running sum of the generated `tables`: within each parent row,
    in sibling order, its start plus the cumulative sum of the row's numbers (a missing one: 0),
    in units of the column's decimals; a value the model left missing stays missing. `rng` draws
    the share of the room a step crossing a bound the data never reaches takes (None: seeded 0)."""
    rng = np.random.default_rng(0) if rng is None else rng
    for s in sums:
        frame = tables[s["table"]]
        if not len(frame):
            continue
        order, same = sibling_order(frame, s["fk"], s["key"])
        unit = 10.0 ** int(s["decimals"])
        labels = frame[s["sign_by"]].astype(object).to_numpy()[order] if "sign_by" in s else np.empty(0)
        steps = np.round(np.nan_to_num(as_floats(frame[s["of"]])[order]) * unit) * multipliers(s, labels, len(order))
        group = np.cumsum(~same)  # one number per parent row, in sibling order
        first = _first_values(s, tables, frame, order, same, steps / unit)
        starts = np.round(first * unit)
        side, room = _room(s, tables, frame, order, same, unit)
        if side:
            starts = np.where(starts * side < -room, -side * room, starts)  # an opening balance within too
            shares = None if s.get("reached", True) else rng.uniform(0.05, 0.95, len(steps))  # older: reached
            kept = side * _kept_on_side(side * steps, group, side * starts + room, shares)
            _write_steps(frame, s["of"], order, kept, steps, int(s["decimals"]), multipliers(s, labels, len(order)))
            steps = kept
        running = pd.Series(steps).groupby(group).cumsum().to_numpy() + starts[group - 1]
        _write_running(frame, s["column"], order, running / unit, int(s["decimals"]))
        if s.get("before"):  # none in older models: the sum before each row's step, the previous row's
            _write_running(frame, s["before"], order, (running - steps) / unit, int(s["decimals"]))


def _write_running(frame: pd.DataFrame, column: str, order: np.ndarray, running: np.ndarray, decimals: int) -> None:
    """Write (in place) `running` (in sibling `order`) to `column`, rounded to `decimals`; a value the
    model left missing stays missing."""
    target = frame[column].copy()
    values = np.empty(len(frame))
    values[order] = running
    written = target.notna().to_numpy() & ~np.isnan(values)
    target.iloc[np.flatnonzero(written)] = np.round(values[written], decimals)
    frame[column] = target


def _room(s: dict, tables, frame: pd.DataFrame, order, same, unit: float) -> tuple[float, np.ndarray]:
    """(the side the running sum keeps, 0: none; per parent row in sibling order, how far past 0
    it may go, in units: 0 for a side of 0, the parent's limit for a `floor`, a missing limit
    none)."""
    n = int((~same).sum())
    if side := s.get("side", 0):  # none in older models
        return float(side), np.zeros(n)
    if not (floor := s.get("floor")):  # none in older models
        return 0.0, np.zeros(n)
    parent = tables[s["parent"]]
    limits = pd.Series(as_floats(parent[floor["column"]]), index=parent[s["parent_key"]].to_numpy())
    room = limits.reindex(frame[s["fk"]].to_numpy()[order[~same]]).to_numpy(dtype=float)
    return float(floor["side"]), np.where(np.isnan(room), np.inf, np.round(np.maximum(room, 0.0) * unit))


def _kept_on_side(
    steps: np.ndarray, group: np.ndarray, starts: np.ndarray, shares: np.ndarray | None = None
) -> np.ndarray:
    """`steps` (in sibling order, `group`: 1, 2 ... per parent row, `starts` each group's opening,
    never negative) changed so that no running sum goes below 0: a step that would is shortened to
    what is left (or to its row's share of it, in whole units, one at least, where `shares` are
    given: the data's sums never reach 0), or, where nothing is left, the group's largest earlier
    positive step is raised by it (none: the step is 0). Only the groups that go below 0 are walked."""
    out = steps.astype(float).copy()
    running = pd.Series(out).groupby(group).cumsum().to_numpy() + starts[group - 1]
    below = np.unique(group[running < 0])
    bounds = np.searchsorted(group, np.r_[below, below + 1])  # group is sorted: its rows are one run
    for lo, hi in zip(bounds[: len(below)], bounds[len(below) :], strict=True):
        left, largest = starts[group[lo] - 1], -1
        for k in range(lo, hi):
            if left + out[k] < 0:
                # where the data's sums never reach 0, a share of the room stays (`shares`: one unit at least)
                spare = 0.0 if shares is None else max(1.0, np.floor((left if left > 0 else -out[k]) * shares[k]))
                if left > 0:  # an issue takes what is on hand, less the spare
                    out[k] = -max(left - spare, 1.0)
                elif largest >= 0:  # nothing on hand: the receipt before was larger, by the spare too
                    out[largest] += spare - out[k]
                else:
                    out[k], spare = 0.0, 0.0
                left = left + out[k] if left > 0 else spare
            else:
                left += out[k]
            if out[k] > 0 and (largest < 0 or out[k] >= out[largest]):
                largest = k
    return out


def _write_steps(frame, column: str, order, kept: np.ndarray, steps: np.ndarray, decimals: int, signs) -> None:
    """Write back (in place) the numbers of the rows whose step `_kept_on_side` changed: the step
    (in units of `decimals`) over its row's sign (the label's, for an unsigned amount)."""
    changed = np.flatnonzero((kept != steps) & (signs != 0))
    if not len(changed):
        return
    values = np.round(kept[changed] / signs[changed] / 10.0**decimals, decimals) + 0.0  # never -0.0
    rows = order[changed]
    target = frame[column].copy()
    is_int = pd.api.types.is_integer_dtype(target.dtype)
    target.iloc[rows] = np.round(values).astype(np.int64) if is_int else values
    frame[column] = target


def _first_values(s: dict, tables, frame: pd.DataFrame, order, same, steps: np.ndarray) -> np.ndarray:
    """Per parent row (in sibling order), the value its running sum starts from, before the
    first sibling's number: the parent's `start`, the `constant`, else the first sibling's
    generated value less its number (NaN where that is missing)."""
    firsts = order[~same]
    if s["start"] is not None:
        parent = tables[s["parent"]]
        by_key = pd.Series(as_floats(parent[s["start"]]), index=parent[s["parent_key"]].to_numpy())
        return by_key.reindex(frame[s["fk"]].to_numpy()[firsts]).to_numpy(dtype=float)
    if s["constant"] is not None:
        return np.full(len(firsts), float(s["constant"]))
    return as_floats(frame[s["column"]])[firsts] - steps[~same]
