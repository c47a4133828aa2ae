"""Links that close no cycle: a bill of materials, whose rows link a part to its components (a
link table nested under parts, naming parts), never leads back to the part it starts from. The
fit reads whether the data's links ever do (`back_links` finds none); generation moves each link
that closes a cycle onto a row that does not lead back to its source (`without_cycles`)."""

from __future__ import annotations

import logging
from collections import defaultdict

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)


def back_links(sources: pd.Series, targets: pd.Series) -> np.ndarray:
    """Positions of the links `sources[i] -> targets[i]` (nulls: no link) that a depth-first
    search finds closing a cycle; none when the links form no cycle. Without them the rest form none."""
    known = (sources.notna() & targets.notna()).to_numpy()
    out: defaultdict[object, list[tuple[object, int]]] = defaultdict(list)
    for i, s, t in zip(np.flatnonzero(known), sources[known], targets[known], strict=True):
        out[s].append((t, int(i)))
    state: dict[object, int] = {}  # 1: on the current path, 2: done
    back = []
    for root in list(out):
        if root in state:
            continue
        state[root], stack = 1, [(root, iter(out[root]))]
        while stack:
            node, links = stack[-1]
            step = next(links, None)
            if step is None:
                state[node] = 2
                stack.pop()
            elif state.get(step[0]) == 1:
                back.append(step[1])
            elif step[0] not in state:
                state[step[0]] = 1
                stack.append((step[0], iter(out.get(step[0], ()))))
    return np.array(sorted(back), dtype=np.int64)


def without_cycles(
    sources: pd.Series,
    targets: pd.Series,
    keys: pd.Series,
    rng: np.random.Generator,
    name: str,
    scopes: tuple[pd.Series, pd.Series] | None = None,
) -> pd.Series:
    """`targets` (keys among `keys`) with each link `sources[i] -> targets[i]` that closes a cycle
    named instead a row drawn among those with no path back to its source and not linked from it
    already (so no row names itself, nor a pair twice); one with no such row is left and counted.
    `scopes`: each link's scope row and each key's (by position, `within`: a bond's molecule and each
    atom's), the row drawn among the keys of the link's own scope row only, as the keys were drawn:
    a bond moved off a ring names an atom of its own molecule, never another's."""
    back = back_links(sources, targets)
    if len(back) == 0:
        return targets
    out = targets.copy()
    kept = np.setdiff1d(np.flatnonzero((sources.notna() & targets.notna()).to_numpy()), back)
    into: defaultdict[object, set] = defaultdict(set)  # row -> the rows linking to it
    linked: defaultdict[object, set] = defaultdict(set)  # row -> the rows it links to
    for s, t in zip(sources.iloc[kept], targets.iloc[kept], strict=True):
        into[t].add(s)
        linked[s].add(t)
    named = keys.notna().to_numpy()
    pool, left = keys[named].to_numpy(), 0
    own, theirs = scope_codes(scopes, len(targets), len(keys))
    theirs = theirs[named]
    for i in back:
        source = sources.iloc[i]
        barred = upstream(source, into) | linked[source]
        # a link without a scope row (its own got no key to name) draws among all, as it was drawn
        free = pool[~pd.Series(pool).isin(barred).to_numpy() & ((theirs == own[i]) | (own[i] < 0))]
        if len(free) == 0:
            left += 1
            continue
        target = free[rng.integers(len(free))]
        out.iloc[i] = target
        into[target].add(source)
        linked[source].add(target)
    log.warning(
        "%s: %d of %d generated link(s) closed a cycle, which the data's never do; %d named another row instead%s",
        name,
        len(back),
        int(targets.notna().sum()),
        len(back) - left,
        f", {left} left (no row without a path back{' in its scope row' if scopes else ''})" if left else "",
    )
    return out


def scope_codes(scopes: tuple[pd.Series, pd.Series] | None, n_links: int, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """Each link's and each key's scope row as one integer code (-1: none); all 0 without scopes."""
    if scopes is None:
        return np.zeros(n_links, np.int64), np.zeros(n_keys, np.int64)
    codes, _ = pd.factorize(pd.concat([scopes[0], scopes[1]], ignore_index=True))
    return codes[:n_links], codes[n_links:]


def upstream(row: object, into: dict) -> set:
    """`row` and every row with a path of links to it."""
    seen, todo = {row}, [row]
    while todo:
        for s in into.get(todo.pop(), ()):
            if s not in seen:
                seen.add(s)
                todo.append(s)
    return seen
