"""Numbers that move one way from one of a parent's rows to the next, in the sibling key's order, by
a step within a narrow band: an employee's salary, a year's raise of 0 to 10 % over the one before
(a pay cut now and then), a price index, a balance that grows by its interest.

The model writes such a number in bins, the previous sibling's value read rows earlier, so a small
model let it wander: read in date order, 23 to 26 % of an employees database's generated salaries
left the data's band of -2 % to +10 % from the previous year's (none in the data), 15 % by more than
2 % down or 10 % up. A column whose values never go down is held as its increase already
(`orderings.running_ordering`); this rule is for one whose steps mostly, not always, go one way.

The fit keeps, per number of a table with a sibling key that the model writes as itself and no other
rule sets, moves or reads within its row, the step from each row's previous sibling as a ratio (its
value over the previous one's, less 1, for a column never at or below 0) or a difference, and the
window all steps but `min_count - 1` a side keep (never a tenth), where the steps go one way in
`MIN_SIGN_SHARE` of the pairs at least, over `MIN_PAIRS` pairs (so a random walk's or independent
draws' half and half never fire), and the window is at most `MAX_WIDTH_SHARE` of the one pairs of the
column's values taken at random keep (so a column whose steps are as wide as its spread never fires):
of the two forms, the narrower. Decoding draws each step outside the window again from the data's
steps (between quantiles), the parent's later rows moved with it (their own steps kept); a parent's
rows so moved past the column's range in the data are scaled (or shifted) back into it as a whole,
every step kept, and left as the model wrote them where they span more than the range. Not under DP.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import as_numbers
from relsynth.synth.tabular._assemble import key_numbers, sibling_order
from relsynth.synth.tabular.orderings import column_grid

log = logging.getLogger(__name__)
MIN_PAIRS = 50  # consecutive sibling pairs holding the number a rule needs
MIN_SIGN_SHARE = 0.75  # the steps going one way (up or down), at least this share of the pairs
MAX_WIDTH_SHARE = 0.25  # the steps' window at most this share of the one random pairs of values keep
N_STEPS = 101  # step quantiles kept to draw from
_NUMBERS = (Column.NUMERIC, Column.INTEGER)
# rules that only mask tokens as the model samples: a value moved after decoding breaks none of theirs
# that a value drawn anew would not (a salary's exact value never paired with a first name)
_SAMPLING_MASKS = ("never_pairs",)


def find_rising_steps(pre, data: RelationalData, busy: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "key", "form", "low", "high", "steps", "lowest", "highest", "grid"}]: a number
    of a table whose step from the previous sibling (in order of the sibling `key`), as a "ratio" or a
    "difference", goes one way in most pairs and lies within [low, high] in all but `min_count - 1` a
    side; `steps`: its quantiles; not a column of `busy` (set, moved or read by another rule), nor one
    the model writes as an offset (`pre.orderings`)."""
    out = []
    for table, key in pre.sibling_keys.items():
        edge, df = pre.schema.parent(table), data[table]
        order, same = sibling_order(df, edge.fk, key)
        ordered = pre.orderings.get(table, {})
        for col in pre.modelled_columns(table):
            kind = pre.schema.tables[table].columns[col].kind
            if kind not in _NUMBERS or col in ordered or (table, col) in busy | pre.past_float:
                continue
            values = as_numbers(df[col], kind)[order]
            found = _narrowest(values, same, pre.min_count)
            if found is None:
                continue
            form, (low, high, steps) = found
            held = values[~np.isnan(values)]
            rule = {"table": table, "column": col, "key": key, "form": form, "low": low, "high": high,
                    "steps": steps, "lowest": float(held.min()), "highest": float(held.max()),
                    "grid": column_grid(df[col], kind)}  # fmt: skip
            log.info(
                "%s.%s steps from the previous sibling's by a %s of %s to %s: kept so", table, col, form, low, high
            )
            out.append(rule)
    return out


def _narrowest(values: np.ndarray, same: np.ndarray, min_count: int) -> tuple[str, tuple] | None:
    """("ratio" or "difference", its window) of the form whose window is the narrower share of the
    random pairs', where the steps go one way in most pairs; None where neither holds."""
    pairs = same[1:] & ~np.isnan(values[1:]) & ~np.isnan(values[:-1])
    previous, current = values[:-1][pairs], values[1:][pairs]
    if len(current) < MIN_PAIRS or not _one_way(current - previous):
        return None
    # the same values paired at random: a step as wide as these is no step of the series
    shuffled = np.random.default_rng(0).permutation(previous)
    forms = {"difference": (current - previous, current - shuffled)}
    if (values[~np.isnan(values)] > 0).all():
        forms["ratio"] = (current / previous - 1.0, current / shuffled - 1.0)
    found = {f: w for f, (steps, chance) in forms.items() if (w := _window(steps, chance, min_count)) is not None}
    if not found:
        return None
    form = min(found, key=lambda f: found[f][0])
    return form, found[form][1]


def _one_way(steps: np.ndarray) -> bool:
    """Whether the steps go up (or down) in `MIN_SIGN_SHARE` of the pairs at least."""
    return max(float((steps > 0).mean()), float((steps < 0).mean())) >= MIN_SIGN_SHARE


def _window(steps: np.ndarray, chance: np.ndarray, min_count: int) -> tuple[float, tuple] | None:
    """(the window's share of the random pairs', (low, high, step quantiles)) of all steps but a few a
    side, where that share is at most `MAX_WIDTH_SHARE`; None otherwise."""
    cut = min(max(min_count - 1, 0), (len(steps) - 1) // 10)  # a few outliers a side, never a tenth
    ordered, random = np.sort(steps), np.sort(chance)
    low, high = float(ordered[cut]), float(ordered[len(ordered) - 1 - cut])
    width = float(random[len(random) - 1 - cut] - random[cut])
    if not np.isfinite(width) or width <= 0 or high - low > MAX_WIDTH_SHARE * width:
        return None
    kept = ordered[(ordered >= low) & (ordered <= high)]
    quantiles = np.quantile(kept, np.linspace(0, 1, N_STEPS))
    return (high - low) / width, (low, high, [float(q) for q in quantiles])


def keep_rising_steps(rules: list[dict], table: str, cols: dict[str, pd.Series], parents: np.ndarray, rng) -> None:
    """Draw again (in place) each step of a rule's number outside its window from the data's steps, the
    parent's later rows moved with it (their own steps kept), in order of the sibling key where the rows
    hold it, and back into the column's range (`_within_range`). `parents`: each row's parent row."""
    for rule in (r for r in rules if r["table"] == table and r["column"] in cols):
        col = rule["column"]
        key = key_numbers(cols[rule["key"]]) if rule["key"] in cols else np.zeros(len(parents))
        order = np.lexsort((np.arange(len(parents)), key, parents))
        values = cols[col].to_numpy(dtype=float, na_value=np.nan)[order]
        moved = _chained(values, parents[order], rule, rng)
        changed = ~np.isnan(moved) & (moved != values)
        if not changed.any():
            continue
        new = np.empty(len(moved))
        new[order] = moved
        target = cols[col].copy()
        rows = np.flatnonzero(~np.isnan(new) & (new != cols[col].to_numpy(dtype=float, na_value=np.nan)))
        integer = pd.api.types.is_integer_dtype(target.dtype)
        target.iloc[rows] = np.round(new[rows]).astype(np.int64) if integer else new[rows]
        cols[col] = target
        log.debug("%s.%s: %d values moved onto their steps", table, col, len(rows))


def _chained(values: np.ndarray, parents: np.ndarray, rule: dict, rng) -> np.ndarray:
    """`values` (a parent's rows together, in sibling order) with each step outside the window drawn
    again and the later rows of its chain (rows of one parent, no value missing between) moved with it,
    back into the column's range, on its grid; a parent's rows as they were where they span more than it."""
    same = np.r_[False, parents[1:] == parents[:-1]]
    pairs = same & ~np.isnan(values) & ~np.isnan(np.r_[np.nan, values[:-1]])
    previous = np.r_[np.nan, values[:-1]]
    ratio = rule["form"] == "ratio"
    steps = values / previous - 1.0 if ratio else values - previous
    outside = pairs & ((steps < rule["low"]) | (steps > rule["high"]))
    if not outside.any():
        return values
    levels = np.linspace(0, 1, len(rule["steps"]))
    steps[outside] = np.interp(rng.random(int(outside.sum())), levels, rule["steps"])  # between the data's
    chain = np.cumsum(~pairs)  # a chain starts where a row follows no held value of its parent
    start = pd.Series(values).groupby(chain).transform("first").to_numpy()
    growth = np.where(pairs, np.log1p(steps) if ratio else steps, 0.0)
    run = pd.Series(growth).groupby(chain).cumsum().to_numpy()
    moved = start * np.exp(run) if ratio else start + run
    moved = np.where(pd.Series(outside).groupby(chain).cumsum().to_numpy() > 0, moved, values)  # from a redraw on
    moved, fits = _within_range(moved, parents, rule)
    if rule["grid"] > 0:
        moved = np.round(np.round(moved / rule["grid"]) * rule["grid"], 10)
    redrawn = pd.Series(outside).groupby(parents).transform("any").to_numpy()
    return np.where(redrawn & fits & ~np.isnan(values), moved, values)


def _within_range(moved: np.ndarray, parents: np.ndarray, rule: dict) -> tuple[np.ndarray, np.ndarray]:
    """(`moved` with each parent's rows that leave the column's range scaled (a ratio's) or shifted (a
    difference's) back into it as a whole, which keeps every step; whether each row's parent fits)."""
    group = pd.Series(moved).groupby(parents)
    least, most = group.transform("min").to_numpy(), group.transform("max").to_numpy()
    lowest, highest = rule["lowest"], rule["highest"]
    if rule["form"] == "ratio":  # least > 0: every step a ratio of values the data hold above 0
        fits = (least > 0) & (most / np.where(least > 0, least, 1.0) <= highest / lowest)
        factor = np.where(least < lowest, lowest / np.where(least > 0, least, 1.0), 1.0)
        factor = np.where(most > highest, highest / most, factor)
        return moved * factor, fits
    fits = most - least <= highest - lowest
    shift = np.where(least < lowest, lowest - least, 0.0)
    return moved + np.where(most > highest, highest - most, shift), fits


def named_by_rules(stats: dict, tables: Collection[str]) -> set[tuple[str, str]]:
    """(table, name) for every name a fitted rule of `stats` (a list of rules) holds beside a table it
    names: the columns other rules set, move or read, which a step drawn again would break (a bonus
    within 30 % of the salary, a total of the raises), taken wide: a label that is no column costs
    nothing. Not those of the masks at sampling (`_SAMPLING_MASKS`)."""
    out = set()
    for kind, rules in stats.items():
        for rule in rules if isinstance(rules, list) and kind not in _SAMPLING_MASKS else []:
            names = set(_names(rule))
            out |= {(t, name) for t in names & set(tables) for name in names}
    return out


def _names(value) -> list[str]:
    """Every string in `value`, through its lists, tuples and dicts (keys and values)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [*_names(k), *_names(v)]]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _names(v)]
    return []
