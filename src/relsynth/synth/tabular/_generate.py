"""The generation loop: sample entities token by token under the grammar.

Each sequence has a `_Cursor` that knows the slot of its next token (the grammar) and is
advanced once per token; the model runs once per step for the whole batch with a KV cache
(transformer) or carried state (LSTM). Finished entities leave the batch. When a sequence
reaches `max_block_size`, the batch restarts from each row's ancestor headers and its last
previous siblings' headers, exactly like the training windows.
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import torch

from relsynth.relational import RelationalData
from relsynth.relational.progress import progress as progress_display
from relsynth.synth.core.memory import available_mb
from relsynth.synth.core.sampling import left_pad, sample_tokens
from relsynth.synth.core.transformer import KVCache
from relsynth.synth.core.workers import can_fork, run_forked
from relsynth.synth.tabular import _sizes
from relsynth.synth.tabular._decode import decode_parsed, keep_entities, parse_entities, row_child_counts
from relsynth.synth.tabular._dp_counts import uncalibrated_edges
from relsynth.synth.tabular.dataset import recent_siblings
from relsynth.synth.tabular.grammar import BOS, PAD
from relsynth.synth.tabular.preproc import TabularPreproc
from relsynth.synth.tabular.rules.carried_values import carried_token, carried_token_positions
from relsynth.synth.tabular.rules.category_points import point_bans
from relsynth.synth.tabular.rules.chained_labels import chained_ahead_bans, chained_positions, chained_token
from relsynth.synth.tabular.rules.changed_rows import ahead_bans, changed_ahead, changed_row_positions, repeated_token
from relsynth.synth.tabular.rules.count_rules import count_tables, parent_count_rules
from relsynth.synth.tabular.rules.count_sums import count_sum_positions, force_count_sums, given_count_tokens
from relsynth.synth.tabular.rules.date_parts import SteppedParts, part_token, stepped_date, stepped_parts
from relsynth.synth.tabular.rules.dependencies import (
    banning_tables,
    forcing_tables,
    later_null_bans,
    null_tables,
    parent_forcing,
)
from relsynth.synth.tabular.rules.edge_labels import banned_at, edge_label_bans
from relsynth.synth.tabular.rules.last_labels import last_label_forcing
from relsynth.synth.tabular.rules.last_nulls import last_null_positions
from relsynth.synth.tabular.rules.last_shares import LastRowShares, last_row_shares
from relsynth.synth.tabular.rules.lookup_matches import lookup_match_bans
from relsynth.synth.tabular.rules.never_pairs import ignored, pair_bans, reweigh
from relsynth.synth.tabular.rules.null_cuts import cut_tables
from relsynth.synth.tabular.rules.ordered_labels import (
    next_label_bans,
    ordered_label_bans,
    repeated_label_tokens,
    rows_after,
)
from relsynth.synth.tabular.rules.shared_values import shared_positions
from relsynth.synth.tabular.rules.sign_labels import sign_label_bans
from relsynth.synth.tabular.rules.unique_labels import label_pair_positions, shared_label_bans, unique_positions

log = logging.getLogger(__name__)
_AUTO_BATCH = 256
# The masks a generated token is drawn under, in the order they take precedence where together they would leave a row
# nothing to draw: a mask is applied where some value is left after every mask before it, else dropped for that row
# and counted (`_report_clashes`); `_run_pool` applies them in this order, one step each (`masks`). The grammar first
# (never dropped); then the row's own bans (a value an earlier column of the row rules out, a null or count rule);
# then the value pairs the row and its ancestor rows never hold in the data (`never_pairs`, and a lookup key matching
# its row's values): facts about the row itself; then what the row's siblings took or its place allows, which a
# repeated or misplaced label only bends (unique, shared and paired labels, ordered labels, a first or last row's
# labels, changed and carried rows); last, what keeps a later position of the row from such a clash (an earlier value
# whose every later value a never-pair allows the siblings took), which yields to every mask on the position itself.
# Before, a never-pair came last and was dropped wherever a sibling mask left only the values it bans: a flight's
# fifth business booking, row 1's four seats taken, got a row 2 seat no business fare holds in the data.
MASK_PRECEDENCE = (
    "row_bans",
    "never_pairs",
    "lookup_matches",
    "unique_labels",
    "shared_labels",
    "unique_label_pairs",
    "ordered_labels",
    "edge_labels",
    "changed_rows",
    "carried_values",
    "chained_labels",
    "chained_ahead",
    "unique_labels_ahead",
)
ROW_FACTS = MASK_PRECEDENCE[:3]  # the masks of what the row itself may hold: a drop of one may break a fact of the data
CLASH_WARN_SHARE = 0.001  # row bans, never-pairs or lookup matches dropped for more tokens than this share: a warning
# An entity drawn longer than this many times the fit's longest entity (`max_entity_len`: exact, or released under DP)
# stops generation (`RunawayEntity`): a sound model's longest came out at 0.6 to 1.14 times it (Chinook, random_db 0-20),
# while a DP model little trained drew counts near uniform over 0..max_children at every level, 4 levels of 8 rows
# still drawing after 60 s (24,000 tokens). The floor: a tiny training set's few tokens never make it fire alone.
RUNAWAY_FACTOR = 32
RUNAWAY_FLOOR = 1024


class RunawayEntity(RuntimeError):
    """Generation stopped: an entity grew far past the longest the model was fitted on (`max_entity_tokens`)."""


def max_entity_tokens(pre: TabularPreproc) -> int:
    """The tokens an entity may take before generation stops: public under DP, being `max_entity_len`."""
    return max(RUNAWAY_FACTOR * int(pre.stats.get("max_entity_len", 0)), RUNAWAY_FLOOR)


def _runaway_error(pre: TabularPreproc, root: str, limit: int) -> RunawayEntity:
    """What stopped a runaway entity, and what to change."""
    if "dp" in (pre.stats or {}):
        advice = (
            "under DP the children per row the fit did not release are the model's own, near uniform over "
            "0..max_children after a short training, and multiply down the tree: a lower DpBudget(max_children=...), "
            "a larger DpBudget(preproc_share=...) or epsilon (to release them), or more training"
        )
    else:
        advice = "the model's child counts are far from the data's: train it longer, or generate with a lower temp"
    return RunawayEntity(
        f"generate: an entity of {root} grew past {limit:,} tokens ({RUNAWAY_FACTOR} times the longest entity of the "
        f"fit, {pre.stats.get('max_entity_len', 0):,} tokens) and generation stopped rather than run on; {advice}"
    )


class _Cursor:
    """Row-level grammar state of one entity: the table of the row being written and, for
    each ancestor row, its header and its children still to write. Advanced once per row;
    the per-token work is vectorised over the batch in `_run_batch`."""

    def __init__(
        self,
        pre: TabularPreproc,
        root: str,
        rng: np.random.Generator,
        sibling_context: int = 0,
        unique: dict[str, dict[int, frozenset[int] | None]] | None = None,
        pairs: dict[str, list[tuple[int, int, frozenset[int], frozenset[int]]]] | None = None,
        scopes: dict[str, dict[int, int]] | None = None,
        shares: dict[str, list[tuple[int, int, int, frozenset[int]]]] | None = None,
    ):
        self.pre, self.table, self.rng = pre, root, rng  # rng: the number in a child count's range
        self.sibling_context = sibling_context  # tokens of the last children's headers kept per frame
        # table -> {header position: its labels never repeated under one parent row (None: all)}
        self.unique = unique or {}
        self.pairs = pairs or {}  # table -> [(position a, position b, their value tokens)] (`sibling_pairs`)
        self.scopes = scopes or {}  # table -> {header position: levels up its labels are never repeated under}
        # table -> [(header position, levels up, label position, its tokens)]: a value cousins share (`shared_positions`)
        self.shares = shares or {}
        # [table, header, remaining counts per child, last children's headers, {(child, position): tokens},
        #  counts per child as drawn, tokens in those last children's headers]
        self.frames: list[list] = []
        self.done = False

    def end_row(self, header: list[int]) -> None:
        """Record a finished row and move to the next row to write (or finish)."""
        counts = row_child_counts(self.pre, self.table, header, self.rng)
        if self.frames:  # the labels its later siblings may not repeat; a missing one they may
            slots = self.pre.layouts[self.table].slots
            for pos, labels in self.unique.get(self.table, {}).items():
                if header[pos] >= self.pre.slots[slots[pos]].offset + 2 and (labels is None or header[pos] in labels):
                    self._scope(pos)[4].setdefault((self.table, pos), []).append(header[pos])
            for a, b, values_a, values_b in self.pairs.get(self.table, ()):
                if header[a] in values_a and header[b] in values_b:
                    self.frames[-1][4].setdefault((self.table, a, b), []).append((header[a], header[b]))
            for pos, level, label, tokens in self.shares.get(self.table, ()):  # the first row of its group sets it
                if len(self.frames) >= level and (label < 0 or header[label] in tokens):
                    key = ("shared", self.table, pos, header[label] if label >= 0 else -1)
                    self.frames[-level][4].setdefault(key, header[pos])
            self.frames[-1][4][(self.table, "previous")] = header  # what its next sibling changes (`_changed_rows`)
        if self.frames and self.sibling_context:  # a sibling of the rows its parent writes next
            frame = self.frames[-1]  # its tokens counted as they come and go, not summed again per row
            frame[3].append((self.table, header))
            frame[6] += len(header)
            while frame[6] > self.sibling_context:
                frame[6] -= len(frame[3].pop(0)[1])
        self.frames.append([self.table, header, counts, [], {}, list(counts), 0])
        while self.frames:
            table, _, remaining, *_ = self.frames[-1]
            k = next((i for i, n in enumerate(remaining) if n > 0), None)
            if k is not None:
                remaining[k] -= 1
                self.table = self.pre.layouts[table].children[k]
                return
            self.frames.pop()
        self.done = True

    def is_last(self) -> bool:
        """Whether the row being written is the last of its table under its parent row (the
        parent's child counts are drawn before its children); a root row: True."""
        if not self.frames:
            return True
        parent, _, remaining, *_ = self.frames[-1]
        return remaining[self.pre.layouts[parent].children.index(self.table)] == 0

    def is_first(self) -> bool:
        """Whether the row being written is the first of its table under its parent row (a root row: True)."""
        if not self.frames:
            return True
        parent, _, remaining, _, _, drawn, _ = self.frames[-1]
        k = self.pre.layouts[parent].children.index(self.table)
        return drawn[k] - remaining[k] == 1

    def rows_left(self) -> int:
        """Rows of this row's table its parent row still has to write, this one included (a root: 1)."""
        if not self.frames:
            return 1
        parent, _, remaining, *_ = self.frames[-1]
        return remaining[self.pre.layouts[parent].children.index(self.table)] + 1

    def parent_header(self) -> list[int]:
        """The header of this row's parent row (a root row: none)."""
        return self.ancestor_header(1)

    def ancestor_header(self, level: int) -> list[int]:
        """The header of the row `level` steps above this one (1: its parent; none above the root)."""
        return self.frames[-level][1] if len(self.frames) >= level else []

    def sibling_tokens(self, position: int) -> list[int]:
        """The tokens the earlier rows of this row's table under the same parent row took at
        header `position` (`_unique_labels`)."""
        return self._scope(position)[4].get((self.table, position), []) if self.frames else []

    def _scope(self, position: int) -> list:
        """The frame of the row whose rows below never repeat a label at header `position`: the parent
        row's, or one further up (`_unique_labels.find_ancestor_unique_labels`)."""
        level = self.scopes.get(self.table, {}).get(position, 1)
        return self.frames[-min(level, len(self.frames))]

    def shared_token(self, position: int, level: int, label: int) -> int | None:
        """The token the first row of this row's table under the same row `level` levels up holding
        label token `label` (-1: any) took at header `position` (`_shared_values`); None: no such row yet."""
        if len(self.frames) < level:
            return None
        return self.frames[-level][4].get(("shared", self.table, position, label))

    def previous_sibling(self) -> list[int] | None:
        """The header of the row of this row's table written last under the same parent row (None: none)."""
        return self.frames[-1][4].get((self.table, "previous")) if self.frames else None

    def sibling_pairs(self, a: int, b: int) -> list[tuple[int, int]]:
        """The (token at `a`, token at `b`) pairs of values the earlier rows of this row's table under
        the same parent row took (`_unique_labels.find_unique_label_pairs`)."""
        return self.frames[-1][4].get((self.table, a, b), []) if self.frames else []

    def context(self, partial: list[int], capacity: int) -> tuple[list[int], list[int]]:
        """Ancestor headers, the last previous siblings' headers that fit (as in a training window
        of `capacity` tokens starting at this row) and the current partial row: tokens and slots."""
        tokens, slots = [], []
        for table, header, *_ in self.frames:
            tokens += header
            slots += self.pre.layouts[table].slots
        siblings = self.frames[-1][3] if self.frames else []
        cap = min(self.sibling_context, capacity - len(tokens) - self.pre.layouts[self.table].header_len)
        for table, header in siblings[len(siblings) - recent_siblings([len(h) for _, h in siblings], cap) :]:
            tokens += header
            slots += self.pre.layouts[table].slots
        tokens += partial
        slots += self.pre.layouts[self.table].slots[: len(partial)]
        return tokens, slots


def check_generate_args(n_samples, batch_size, max_block_size, temp, seed, workers) -> None:
    """What `TabularModel.generate` refuses among its options (`n_samples` None: given by `ctx`)."""
    if n_samples is not None and (
        isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer) or n_samples < 1
    ):
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    if isinstance(temp, bool) or not isinstance(temp, int | float | np.number) or not np.isfinite(temp) or temp <= 0:
        raise ValueError(f"temp must be a finite number > 0, got {temp!r}")
    # max_block_size=None is automatic too: aindo.rdml's docs pass dataset.block_size, None for a dataset without windows
    for name, value in (
        ("batch_size", batch_size),
        ("max_block_size", 0 if max_block_size is None else max_block_size),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"{name} must be an integer >= 0 (0 = automatic), got {value!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise TypeError(f"seed must be an integer or None, got {seed!r}")
    if isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")


# a value's memory at generation's peak (its token, parsed, decoded into a frame): 260 bytes measured
# (100,000 entities of a small model, 2026-12-04); 200 so that only what clearly cannot fit is refused
_BYTES_PER_VALUE = 200


def check_fits_in_memory(pre: TabularPreproc, n_samples: int) -> None:
    """Refuse `n_samples` entities whose tables could not fit in the memory left: the whole database
    is held until it is returned, so a too large request would otherwise grow until the system
    kills the process. The estimate: the values per entity as in training, `_BYTES_PER_VALUE` each."""
    free = available_mb()
    if free is None:
        return
    rows = pre.stats.get("rows_per_root") or {}
    tokens = sum(rows.get(t, 0.0) * pre.layouts[t].header_len for t in pre.tables) or pre.stats.get("max_entity_len", 1)
    need = n_samples * tokens * _BYTES_PER_VALUE / 2**20
    if need > free:
        fits = max(int(n_samples * free / need), 1)
        raise MemoryError(
            f"n_samples={n_samples:,} would need about {need / 1024:,.1f} GB (about {tokens:.0f} values per entity) "
            f"and {free / 1024:,.1f} GB is available: generate at most about {fits:,} at a time, with a different seed "
            "each, and write each part (to_dir, to_sql) before the next"
        )


def generate(model, n_samples, ctx, batch_size, max_block_size, temp, seed, progress, workers=1) -> RelationalData:
    pre = model.preproc
    if (n_samples is None) == (ctx is None):
        raise ValueError("give exactly one of n_samples and ctx")
    check_generate_args(n_samples, batch_size, max_block_size, temp, seed, workers)
    if edges := uncalibrated_edges(model):  # said at training too, but a loaded model generates silently
        log.warning(
            "generate: the DP fit released no child counts for %s: their counts are the model's own, which a "
            "model little trained spreads up to max_children per row at every level (see the training's "
            "warning for their size): the entities can be very large and slow to generate",
            ", ".join(edges),
        )
    if n_samples is not None:
        check_fits_in_memory(pre, n_samples)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
    roots, forced = _plan(pre, n_samples, ctx, rng)
    wanted = len(roots)
    extra = _sizes.pool_extra(wanted) if ctx is None and "rows_per_root" in pre.stats else 0
    if extra:  # a few spare entities to choose from, so the table totals come out right-sized
        roots = roots + _plan(pre, extra, None, rng)[0]
    batch_size = batch_size or min(max(len(roots), 1), _AUTO_BATCH)
    capacity = _capacity(model, max_block_size)
    limit = max_entity_tokens(pre)
    model.eval()
    bar = progress_display(len(roots), "generate", "entities", show=progress)  # a bar on a terminal, else log lines
    parts = _worker_parts(model, len(roots), batch_size, workers)
    if len(parts) == 1:
        sequences = _run_pool(model, roots, forced, batch_size, capacity, temp, gen, bar, limit)
    else:
        seeds = [int(rng.integers(2**31)) for _ in parts]

        def part(i: int, worker_bar) -> list[np.ndarray]:
            idx = parts[i]
            part_forced = [forced[e] for e in idx] if forced else None
            part_gen = torch.Generator().manual_seed(seeds[i])
            return _run_pool(
                model, [roots[e] for e in idx], part_forced, batch_size, capacity, temp, part_gen, worker_bar, limit
            )

        sequences = [s for out in run_forked(part, len(parts), bar) for s in out]
    bar.close()
    parsed = parse_entities(pre, sequences, roots)
    if extra:  # parsed once: the kept entities' rows are taken from it, not parsed again
        parsed = keep_entities(pre, parsed, _right_sized(pre, parsed, roots, wanted, rng))
    given = None if ctx is None else pre.ctx_frame(ctx)[pre.ctx_cols]
    return decode_parsed(pre, parsed, np.random.default_rng(int(rng.integers(2**31))), given)


def _capacity(model, max_block_size: int | None) -> int:
    """The tokens the KV cache holds before it re-prefixes: `max_block_size`, at most the window the
    model was trained on. Rotary positions take any length, but attention over distances never seen
    in training is garbage: a model trained on windows of 32 tokens, generating with 256, wrote a
    line's first shipment event as 'delivered' 23 % of the time (0.1 % with 32)."""
    trained = model.config.block_size
    if max_block_size and model.config.block == "free":  # an LSTM carries its state, it never re-prefixes
        _check_fits_a_row(model.preproc, max_block_size)
    if max_block_size and trained and max_block_size > trained:
        warnings.warn(
            f"max_block_size={max_block_size} is longer than the model's training window (block_size={trained} "
            f"tokens): generating with {trained}, the longest context the model has learned",
            stacklevel=4,
        )
        return trained
    return max_block_size or trained or max(model.preproc.stats.get("max_entity_len", 0) + 1, 64)


def _check_fits_a_row(pre: TabularPreproc, max_block_size: int) -> None:
    """Refuse a window too short for the longest row with its ancestors, which each re-prefix holds,
    before any work: found at the first re-prefix, the error named one token more than the window
    (max_block_size=8 'too small ... (9 tokens)' where a shipment event under its 5 ancestors takes 22)."""
    need, deepest = 0, ""
    for table in pre.layouts:
        path, up = [table], pre.schema.parent(table)
        while up is not None:
            path.append(up.parent)
            up = pre.schema.parent(up.parent)
        tokens = sum(pre.layouts[t].header_len for t in path)
        if tokens > need:
            need, deepest = tokens, " under ".join(path)
    if max_block_size < need:
        raise ValueError(
            f"max_block_size={max_block_size} is too small for a row with its ancestors: {deepest} takes {need} "
            f"tokens; give at least {need} (0: the model's block_size)"
        )


def _worker_parts(model, n_entities: int, batch_size: int, workers: int) -> list[np.ndarray]:
    """The entities each worker process generates: contiguous runs, one per worker. One part (this
    process) when one worker is asked, on a GPU (a forked process cannot use CUDA), off Linux
    (`core/workers`), or when a part would not fill a batch: a worker's start-up costs more than it saves."""
    n = min(workers, n_entities // max(batch_size, 1))
    if workers > 1 and model.head.weight.device.type != "cpu":
        log.info(
            "workers=%d ignored: the model is on %s; generating in this process", workers, model.head.weight.device
        )
        n = 1
    elif workers > 1 and not can_fork():
        log.warning("workers=%d needs Linux (forked worker processes); generating in this process", workers)
        n = 1
    return np.array_split(np.arange(n_entities), max(n, 1))


FAR_FROM_TARGET = 0.2  # a table's generated rows further than this from its target are a warning, not a log line
MIN_TARGET_ROWS = 20  # ... where the target is this many rows or more (a few rows always land far off)


def _right_sized(pre: TabularPreproc, parsed, roots: list[str], wanted: int, rng) -> np.ndarray:
    """Which `wanted` of the generated entities to keep: the planned number per root table, table
    totals near `wanted` x the training rows per root (see `_sizes`)."""
    tables = pre.tables
    counts = _sizes.rows_per_entity(pre, parsed, len(roots))
    group_of = {t: i for i, t in enumerate(tables)}
    groups = np.array([group_of[r] for r in roots])
    planned = groups[:wanted]
    quota = {int(g): int((planned == g).sum()) for g in np.unique(planned)}
    targets = np.array([wanted * pre.stats["rows_per_root"].get(t, 0.0) for t in tables])
    keep = _sizes.select_entities(counts, groups, quota, targets, rng)
    err = counts[keep].sum(0) / np.maximum(targets, 1.0) - 1
    log.info("generated rows per table vs target: %s", {t: f"{e:+.1%}" for t, e in zip(tables, err, strict=True)})
    far = {t: f"{e:+.0%} ({n:,} rows for {target:,.0f})" for t, e, n, target in zip(tables, err, counts[keep].sum(0), targets, strict=True) if abs(e) > FAR_FROM_TARGET and target >= MIN_TARGET_ROWS}  # fmt: skip
    if far:
        log.warning(
            "generated rows per table far from n_samples x the training rows per root: %s; the entities drawn hold "
            "too few or too many of them (a small root table's few rows, a heavy tail): generate more entities "
            "(n_samples) for totals closer to the data's proportions",
            far,
        )
    return keep


def _plan(pre: TabularPreproc, n_samples, ctx, rng) -> tuple[list[str], list[dict[int, int]] | None]:
    """Root table of each entity (shares as in training) and the forced context tokens."""
    schema = pre.schema
    if ctx is not None:
        ctx = pre.ctx_frame(ctx)
        pre.check_ctx(ctx)  # type, columns, rows, and every value against the fitted columns
        root = schema.roots[0]
        tokens = pre.encode_columns(root, ctx[pre.ctx_cols].reset_index(drop=True), n_fields=len(pre.ctx_cols))
        forced = [{j: int(t) for j, t in enumerate(row)} for row in tokens]
        counts = given_count_tokens(
            pre, pre.stats.get("count_sums", []), root, ctx[pre.ctx_cols].reset_index(drop=True)
        )
        for row, count in zip(forced, counts, strict=True):  # goal rows as the given scores add up to
            row.update(count)
        return [root] * len(ctx), forced
    if not isinstance(n_samples, int | np.integer) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    shares = pre.stats.get("root_shares") or {r: 1 / len(schema.roots) for r in schema.roots}
    names = list(shares)
    counts = root_counts(np.array([shares[r] for r in names]), n_samples, _first_roots(schema, names, shares), rng)
    return [r for r, c in zip(names, counts, strict=True) for _ in range(c)], None


def root_counts(shares: np.ndarray, n: int, first: list[int], rng) -> np.ndarray:
    """Entities per root table: one each to the roots `first` lists, in its order, where `n` allows
    (a root of no share, an empty table, none), then the rest in proportion to what each root's
    share of `n` still misses, right on average, in any table order. A small root's share alone
    (sites, 6 rows beside 93 alarms: 0.36 of 6 entities) gave it none, so every key naming its rows
    (or its devices') was null."""
    counts = np.zeros(len(shares), dtype=int)
    counts[[i for i in first if shares[i] > 0][:n]] = 1
    miss = np.maximum(shares * n - counts, 0.0)
    rest = n - int(counts.sum())
    if rest <= 0:
        return counts
    wanted = miss * rest / miss.sum() if miss.sum() > 0 else shares * rest
    counts += np.floor(wanted).astype(int)
    if left := n - int(counts.sum()):  # drawn in proportion to what each misses: right on average
        frac = wanted - np.floor(wanted)
        counts += rng.multinomial(left, frac / frac.sum() if frac.sum() > 0 else shares / shares.sum())
    return counts


def _first_roots(schema, names: list[str], shares: dict[str, float]) -> list[int]:
    """The roots whose tree a reference names rows of (their keys stay null without one), the
    larger first: each gets one entity before the shares split the rest (`root_counts`)."""
    named = {e.parent for t in schema.synth_tables for e in schema.references(t)}
    named_roots = [i for i, r in enumerate(names) if set(schema.depth_first(r)) & named]
    return sorted(named_roots, key=lambda i: -shares[names[i]])


class _Grammar:
    """The grammar as arrays: slot of (table, header position) and header length per table."""

    def __init__(self, pre: TabularPreproc):
        self.tables = list(pre.layouts)
        self.index = {t: i for i, t in enumerate(self.tables)}
        self.header_len = np.array([pre.layouts[t].header_len for t in self.tables], dtype=np.int64)
        self.slot = np.zeros((len(self.tables), int(self.header_len.max())), dtype=np.int64)
        for i, t in enumerate(self.tables):
            self.slot[i, : self.header_len[i]] = pre.layouts[t].slots


def _run_pool(
    model,
    roots: list[str],
    forced: list[dict[int, int]] | None,
    batch_size: int,
    capacity: int,
    temp: float,
    gen: torch.Generator,
    bar,
    limit: int,
) -> list[np.ndarray]:
    """Generate every entity through a pool of `batch_size` rows; returns their token sequences.
    An entity longer than `limit` tokens stops it (`RunawayEntity`).

    Continuous batching: a row whose entity is finished takes the next entity at once (its old
    cache entries are masked out), so one very long entity does not hold a whole batch back.
    Per token, everything is array arithmetic over the pool; Python runs once per finished row
    (to read its child counts and pick the next row's table).
    """
    pre, g = model.preproc, _Grammar(model.preproc)
    B = min(batch_size, len(roots))
    H = g.slot.shape[1]
    cursors: list[_Cursor | None] = [None] * B
    entity = np.full(B, -1, dtype=np.int64)  # entity written by each pool row (-1: none)
    table, hpos = np.zeros(B, dtype=np.int64), np.zeros(B, dtype=np.int64)
    header, force = np.zeros((B, H), dtype=np.int64), np.full((B, H), -1, dtype=np.int64)
    emitted_entities, emitted_tokens = [], []
    drawn = np.zeros(B, dtype=np.int64)  # tokens of its entity each pool row has drawn
    counts_rng = np.random.default_rng(gen.initial_seed())  # child counts above max_exact: a number in the range

    free = model.config.block == "free"
    device = model.head.weight.device
    state = KVCache(model.body.cfg, B, capacity, device=device) if free else {}
    weights = model.body.step_weights() if free else None  # read once, not through the modules each step
    inputs = torch.full((B,), BOS, dtype=torch.long, device=device)
    pos = torch.zeros(B, dtype=torch.long, device=device)
    allowed, bias = model.allowed_gen, model.count_bias
    # (n, vocab) each; a number some labels fix to one value too (an Antarctic population: none in older models)
    follows, follow_token = forcing_tables(
        pre, pre.stats.get("dependencies", []) + pre.stats.get("category_points", [])
    )
    from_parent = parent_forcing(pre, pre.stats.get("parent_dependencies", []))  # none in older models
    last_labels = last_label_forcing(pre, pre.stats.get("last_labels", []))  # none in older models, nor under DP
    bans, ban_token = banning_tables(pre, pre.stats.get("distinct", []))  # (pairs, vocab) each
    null_force, null_token, null_bans, null_ban_token = (
        np.concatenate(parts)
        for parts in zip(
            null_tables(pre, pre.stats.get("null_rules", [])),
            null_tables(pre, pre.stats.get("held_rules", [])),  # a solved ticket's first response (none: older)
            cut_tables(pre, pre.stats.get("null_cuts", [])),  # hours asked from 16 on, after an age's token
            count_tables(pre, pre.stats.get("count_rules", [])),  # no shipment of a pending order
            point_bans(pre, pre.stats.get("category_points", [])),  # no population 0 but Antarctica's
            strict=True,
        )
    )
    later_bans, later_ban_token = later_null_bans(pre, pre.stats.get("later_null_rules", []))  # none in older models
    bans = np.concatenate([bans, null_bans, later_bans])
    ban_token = np.concatenate([ban_token, null_ban_token, later_ban_token])
    # per pool row and header position: a token it may not take (the last: `<missing>` before a last row;
    # the one before: a count 0 its parent row's category bans)
    banned = np.full((B, H, len(bans) + 2), -1, dtype=np.int64)
    parent_counts = parent_count_rules(pre, pre.stats.get("count_rules", []))
    last_nulls = last_null_positions(pre, pre.stats.get("last_nulls", []))
    # tokens only a last row takes, drawn there at the data's share (none in older models, nor under DP)
    last_shares = last_row_shares(pre, pre.stats.get("last_nulls", []), pre.stats.get("edge_labels", []))
    decided = np.full((B, H), -1, dtype=np.int64)  # per pool row and header position: its `last_shares` group
    above = pre.stats.get("ancestor_unique_labels", {})  # a seat never twice in a flight (none in older models)
    labels = {
        t: list(dict.fromkeys([*pre.stats.get("unique_labels", {}).get(t, []), *above.get(t, {})])) for t in pre.layouts
    }
    unique, required = unique_positions(pre, labels, pre.stats.get("once_labels", []))
    scopes = {t: {pre.layouts[t].fields.index(c): level for c, level in cols.items()} for t, cols in above.items()}
    at_unique = np.zeros(g.slot.shape, dtype=bool)  # (table, header position): a label its siblings took is masked
    once_only = np.array([unique.get(t, {}) for t in g.tables], dtype=object)  # per table: {position: labels}
    for t, positions in unique.items():
        at_unique[g.index[t], list(positions)] = True
    never = {g.index[t]: rules for t, rules in pair_bans(pre, pre.stats.get("never_pairs", [])).items()}
    ignoring: dict[int, list[float]] = {}  # per PairBan (id): [sum, count] of how far rows it banned in ignored it
    clashes: Counter = Counter()  # per mask kind: the tokens drawn where it was dropped (`MASK_PRECEDENCE`)
    for t, rules in sign_label_bans(pre, pre.stats.get("sign_labels", [])).items():  # DEBIT where negative
        for j, signs in rules.items():
            never.setdefault(g.index[t], {}).setdefault(j, []).extend(signs)
    at_never = np.zeros(g.slot.shape, dtype=bool)  # (table, header position): a value an earlier one rules out
    for t, rules in never.items():
        at_never[t, list(rules)] = True
    matches = {g.index[t]: rules for t, rules in lookup_match_bans(pre, pre.stats.get("lookup_matches", [])).items()}
    at_match = np.zeros(g.slot.shape, dtype=bool)  # (table, header position): a lookup key matching its row's columns
    for t, rules in matches.items():  # (a scorer of one of the teams)
        at_match[t, list(rules)] = True
    # an earlier value whose every later value a never-pair allows its siblings took (a fifth business fare)
    ahead = _unique_ahead(never, at_unique, g.slot, allowed.cpu().numpy())
    at_ahead = np.zeros(g.slot.shape, dtype=bool)  # (table, header position): such a value is masked
    for t, rules in ahead.items():
        at_ahead[t, list(rules)] = True
    count_sums = count_sum_positions(pre, pre.stats.get("count_sums", []), g.tables)  # goal rows = the scores
    at_sum = np.zeros(g.slot.shape, dtype=bool)  # (table, header position): a count its row's numbers give
    for t, j in count_sums:
        at_sum[t, j] = True
    ordered, recorded = {}, {t: dict(positions) for t, positions in unique.items()}  # a semester never goes back
    at_ordered = np.zeros(g.slot.shape, dtype=bool)  # (table, header position): a label before a sibling's is masked
    following = next_label_bans(pre, pre.stats.get("ordered_labels", []))  # created never right before shipped
    repeated = repeated_label_tokens(pre, pre.stats.get("ordered_labels", []))
    places = edge_label_bans(pre, pre.stats.get("edge_labels", []))  # a process's end states: nothing after them
    for t, rules in ordered_label_bans(pre, pre.stats.get("ordered_labels", [])).items():
        once, repeats = unique.get(t, {}), repeated.get(t, {})
        # the cursor records every label taken there, also where `once_labels` bans repeating some only
        # (a session's add_to_cart once, its page_views before it): `_ban_siblings` masks those alone
        recorded.setdefault(t, {}).update(dict.fromkeys(rules))
        ordered[g.index[t]] = {
            j: (
                earlier,
                following[t][j],
                rows_after(
                    earlier, following[t][j], once.get(j, frozenset()), repeats.get(j), _only_last(places, t, j)
                ),
            )
            for j, earlier in rules.items()
        }
        at_ordered[g.index[t], list(rules)] = True
    shared = {}  # a team playing home in one match of its round, away in none of the others
    at_shared = np.zeros(g.slot.shape, dtype=bool)  # (table, header position): a label siblings took at another
    for t, rules in shared_label_bans(pre, pre.stats.get("shared_labels", [])).items():
        positions = {k for pairs in rules.values() for k, _ in pairs}
        if any(recorded.get(t, {}).get(k) is not None for k in positions):
            continue  # a column whose single values only are recorded (`once_labels`)
        recorded.setdefault(t, {}).update(dict.fromkeys(positions))
        shared[g.index[t]] = rules
        at_shared[g.index[t], list(rules)] = True
    pairs = label_pair_positions(pre, pre.stats.get("unique_label_pairs", []))  # one lesson a (weekday, period)
    at_pair = np.zeros(g.slot.shape, dtype=bool)  # (table, header position): a value its siblings paired so
    for t, rules in pairs.items():
        at_pair[g.index[t], [j for a, b, *_ in rules for j in (a, b)]] = True
    by_later = {g.index[t]: rules for t, rules in pairs.items()}
    edges = {g.index[t]: rules for t, rules in edge_label_bans(pre, pre.stats.get("edge_labels", [])).items()}
    at_edge = np.zeros(g.slot.shape, dtype=bool)  # (table, header position): a label its row's place rules out
    for t, rules in edges.items():
        at_edge[t, list(rules)] = True
    shares = shared_positions(pre, pre.stats.get("shared_values", []))  # a due date per course and assignment
    at_share = np.zeros(g.slot.shape, dtype=bool)  # (table, header position): the value of its group's first row
    sharing = {g.index[t]: {j: (level, k, tokens) for j, level, k, tokens in rules} for t, rules in shares.items()}
    for t, rules in sharing.items():
        at_share[t, list(rules)] = True

    changed = {g.index[t]: rule for t, rule in changed_row_positions(pre, pre.stats.get("changed_rows", [])).items()}
    # ... whose last row takes its parent's label: the labels it could no longer reach changing at every row
    to_last = {g.index[t]: r for t, r in changed_ahead(pre, pre.stats.get("changed_rows", []), last_labels).items()}
    at_changed = np.zeros(g.slot.shape, dtype=bool)  # (table, header position): a row's last chance to change
    for t, (_, last) in changed.items():
        at_changed[t, last] = True
    carried = {
        g.index[t]: rules for t, rules in carried_token_positions(pre, pre.stats.get("carried_values", [])).items()
    }
    at_carried = np.zeros(g.slot.shape, dtype=bool)  # (table, header position): a label kept while another changes
    for t, rules in carried.items():
        at_carried[t, [column for _, column in rules]] = True
    chains = {g.index[t]: rules for t, rules in chained_positions(pre, pre.stats.get("chained_labels", [])).items()}
    at_chained = np.zeros(g.slot.shape, dtype=bool)  # (table, header position): the previous sibling's other label
    for t, rules in chains.items():
        at_chained[t, [column for column, _, _ in rules]] = True
    at_ahead_chain = np.zeros(g.slot.shape, dtype=bool)  # (table, header position): a label the next row's place bans
    for t, rules in chains.items():
        at_ahead_chain[t, [of for column, of, _ in rules if column in edges.get(t, {})]] = True
    # a store's weekday set from its day's step token, before the row's other columns read it (none in older models)
    # ... and a series' calendar label (`series_calendars`: none in older models)
    # (its own stream of the generation's seed: the child counts' draws stay as they were)
    dated = stepped_parts(
        pre, pre.stats.get("date_parts", []) + pre.stats.get("series_calendars", []), counts_rng.spawn(1)[0]
    )
    at_dated = np.zeros(g.slot.shape, dtype=bool)  # (table, header position): a stepped date with parts
    for t, rules in dated.at.items():
        at_dated[g.index[t], list(rules)] = True

    def masking(*banned_by: Callable[[np.ndarray], tuple]) -> Callable:
        """The step masking, at the batch rows `at`, the (rows, tokens) each of `banned_by` gives there, in turn."""

        def step(logits: torch.Tensor, at: np.ndarray, kind: str) -> torch.Tensor:
            for by in banned_by:
                logits = _mask(logits, *by(at), clashes, kind)
            return logits

        return step

    def never_paired(logits: torch.Tensor, at: np.ndarray, kind: str) -> torch.Tensor:
        """Each value weighted back to its share under the row's values where a never-pair reweighs (`reweighs`),
        then the values the row and its ancestor rows never hold with it masked."""
        if (weighed := at & reweighs[tab, hp]).any():
            logits = _reweighed(logits, never, cursors, header, active, table, hpos, weighed, temp, ignoring)
        return _mask(logits, *_never_paired(never, cursors, header, active, table, hpos, at), clashes, kind)

    # a row's bans are set by these rules alone: without any, the mask is left out rather than run to find
    # nothing each step (like a mask whose positions are `nowhere`; a Chinook step at a few rows: 20-30 us each)
    bans_rows = len(bans) > 0 or any(last_nulls.values()) or any(parent_counts.values())
    nowhere = np.zeros(g.slot.shape, dtype=bool)
    # each mask of `MASK_PRECEDENCE`: the (table, header position)s it applies at (None: every one) and its step,
    # the logits it leaves given the batch rows there; applied in the constant's order, the one they hold in
    masks = {
        "row_bans": (
            None if bans_rows else nowhere,
            lambda logits, at, kind: _ban(logits, banned[active, hp], clashes),
        ),
        "never_pairs": (at_never, never_paired),
        "lookup_matches": (
            at_match,
            masking(lambda at: _lookup_matched(matches, cursors, header, active, table, hpos, at)),
        ),
        "unique_labels": (
            at_unique,
            lambda logits, at, kind: _ban_siblings(
                logits, cursors, active, hpos, at, once_only[table[active]], clashes
            ),
        ),
        "shared_labels": (at_shared, masking(lambda at: _shared_siblings(shared, cursors, active, table, hpos, at))),
        "unique_label_pairs": (
            at_pair,
            masking(lambda at: _paired_siblings(by_later, cursors, header, active, table, hpos, at)),
        ),
        "ordered_labels": (
            at_ordered,
            masking(
                lambda at: _before_siblings(ordered, cursors, active, table, hpos, at),
                lambda at: _unfillable(ordered, cursors, active, table, hpos, at),
            ),
        ),
        "edge_labels": (at_edge, masking(lambda at: _off_place(edges, cursors, active, table, hpos, at))),
        "changed_rows": (
            at_changed,
            masking(lambda at: _unchanged(changed, to_last, cursors, header, active, table, at)),
        ),
        "carried_values": (
            at_carried,
            masking(lambda at: _carried(carried, cursors, header, active, table, hpos, at, pre, g.slot)),
        ),
        "chained_labels": (
            at_chained,
            masking(lambda at: _chained(chains, cursors, active, table, hpos, at, pre, g.slot)),
        ),
        "chained_ahead": (
            at_ahead_chain,
            masking(lambda at: _chained_ahead(chains, edges, cursors, active, table, hpos, at)),
        ),
        "unique_labels_ahead": (
            at_ahead,
            masking(lambda at: _none_left(ahead, cursors, active, table, hpos, at, once_only)),
        ),
    }
    # those with a position to apply at, in their precedence
    applied = [(kind, *masks[kind]) for kind in MASK_PRECEDENCE if masks[kind][0] is None or masks[kind][0].any()]
    active = np.arange(B)  # pool rows in the model's batch, in batch order
    next_entity = 0

    def start(j: int, b: int) -> None:
        """Pool row b (batch index j) starts the next entity."""
        nonlocal next_entity
        e, next_entity = next_entity, next_entity + 1
        cursors[b], entity[b] = (
            _Cursor(pre, roots[e], counts_rng, model.config.sibling_context, recorded, pairs, scopes, shares),
            e,
        )
        table[b], hpos[b], drawn[b] = g.index[roots[e]], 0, 0
        force[b], banned[b], decided[b] = -1, -1, -1
        for k, t in (forced[e] if forced else {}).items():
            force[b, k] = t
        inputs[j], pos[j] = BOS, 0
        if free:
            state.valid[j] = False  # the previous entity's keys are not this one's context
            state.padded = True
        elif "hc" in state:
            for s_ in state["hc"]:
                s_[:, j] = 0

    for j in range(B):
        start(j, j)
    # which forcing rules this model holds, fixed for the run: a step tests them once each, not over (table, position)
    has_share, has_dated = bool(at_share.any()), bool(at_dated.any())  # the masks' own: `applied`
    # (table, header position): a never-pair there reweighs its values (`_reweighed`); most mask only
    reweighs = np.zeros(g.slot.shape, dtype=bool)
    for t, rules in never.items():
        reweighs[t, [j for j, bans in rules.items() if any(b.shares for b in bans)]] = True
    # each slot's count bias, -inf off its vocabulary: one addition a step, as (logits + bias) masked off it
    slot_bias = bias.masked_fill(~allowed, float("-inf"))  # (slots, V)
    while (entity[active] >= 0).any():
        live = entity[active] >= 0
        tab, hp = table[active], np.minimum(hpos[active], H - 1)  # each batch row's table and header position
        slots_np = np.where(live, g.slot[tab, hp], 0)
        slots = torch.from_numpy(slots_np).to(device)
        if free and state.length + 1 > capacity:
            contexts = [
                cursors[b].context(header[b, : hpos[b]].tolist(), capacity) if entity[b] >= 0 else ([], [])
                for b in active
            ]
            logits, pos = _reprefix(model, contexts, slots_np, state)
        else:
            logits = model.step_logits(inputs, slots, pos, state, weights)
        logits = logits + slot_bias[slots]
        # the masks in their precedence (`MASK_PRECEDENCE`): one that would leave a row nothing is dropped there
        for kind, where, step in applied:
            if where is None:
                logits = step(logits, live, kind)
            elif (at := where[tab, hp] & live).any():
                logits = step(logits, at, kind)
        if last_shares.groups and (at := (decided[active, hp] >= 0) & live).any():
            logits = _decide_last_rows(
                logits, np.flatnonzero(at), active, hpos, decided, force, last_shares, temp, counts_rng
            )
        tokens = sample_tokens(logits, gen, temp=temp).cpu().numpy()
        if count_sums and (at := at_sum[tab, hp] & live).any():
            force_count_sums(force, header, active[at], table, hpos, count_sums, counts_rng)
        if has_share and (at := at_share[tab, hp] & live).any():
            _force_shared(force, header, cursors, active[at], table, hpos, sharing)
        f = force[active, hp]
        use_forced = f >= 0  # context tokens of a root row, categories following an earlier one
        tokens[use_forced] = f[use_forced]
        rows, toks = active[live], tokens[live]
        emitted_entities.append(entity[rows])
        emitted_tokens.append(toks)
        header[rows, hpos[rows]] = toks
        drawn[rows] += 1
        if (over := drawn[rows] > limit).any():
            raise _runaway_error(pre, roots[entity[rows[over][0]]], limit)
        if has_dated and (at := at_dated[table[rows], hpos[rows]]).any():
            _force_date_parts(force, pre, dated, cursors, rows[at], g.tables, table, hpos, header)
        for n in range(len(follows)):  # each category following from an earlier one (a city's region, its country)
            _force_followers(force, rows, follows[n, toks], follow_token[n, toks])
        for n in range(len(null_force)):  # a value's missing column (a cancelled flight's delay), or no child row
            _force_followers(force, rows, null_force[n, toks], null_token[n, toks])
        for n in range(len(bans)):
            hit = bans[n, toks] >= 0
            banned[rows[hit], bans[n, toks[hit]], n] = ban_token[n, toks[hit]]
        hpos[rows] += 1
        inputs, pos = torch.from_numpy(tokens).to(device), pos + 1
        for j in np.flatnonzero(live)[hpos[rows] == g.header_len[table[rows]]]:
            b = active[j]
            c = cursors[b]
            c.end_row(header[b, : hpos[b]].tolist())
            force[b], banned[b], decided[b] = -1, -1, -1  # a row's forced and banned tokens are its own
            if not c.done:
                table[b], hpos[b] = g.index[c.table], 0
                _mark_last(force[b], banned[b, :, -1], last_nulls.get(c.table, ()), c.is_last(), c.parent_header())
                for j, group in last_shares.at.get(c.table, {}).items() if c.is_last() else ():
                    decided[b, j] = group
                _mark_parent_counts(force[b], banned[b, :, -2], parent_counts.get(c.table, ()), c.parent_header())
                _force_required(force[b], c, required.get(c.table, ()))
                _force_from_parent(force[b], from_parent.get(c.table, ()), c.parent_header())
                if c.is_last():  # the last child's label is its parent's (an order's status, as drawn)
                    _force_from_parent(force[b], last_labels.get(c.table, ()), c.parent_header())
                continue
            entity[b] = -1
            bar.update(1)
            if next_entity < len(roots):
                start(j, b)
        # once nothing is left to start, finished rows leave the batch in groups (a cache copy each time)
        idle = int((entity[active] < 0).sum())
        if next_entity == len(roots) and idle and (idle >= len(active) // 4 or idle == len(active)):
            keep = np.flatnonzero(entity[active] >= 0)
            active = active[keep]
            k = torch.from_numpy(keep).to(device)
            inputs, pos = inputs[k], pos[k]
            if free:
                state.keep(k)
            elif "hc" in state:
                state["hc"] = tuple(s_[:, k] for s_ in state["hc"])
    _report_clashes(clashes, sum(len(t) for t in emitted_tokens))
    return _split_by_row(emitted_entities, emitted_tokens, len(roots))


def _mark_last(force: np.ndarray, banned: np.ndarray, rules, last: bool, parent: list[int]) -> None:
    """Set (in place) a new row's forced and banned `<missing>` tokens (H,) each: a column missing
    only in its parent's last row (`_last_nulls`) is banned from it in any other row, and forced
    in the last where it is always missing there, or where its parent row's column that is
    missing with it is (banned where that is not, and set on that bound where the last rows end there),
    else drawn there at the data's share (`_decide_last_rows`); one held only in the last row
    (`held_last`) is forced missing in every other."""
    for j, missing, always, i, parent_missing, on_bound, held_last in rules:
        if held_last:
            if not last:
                force[j] = missing
        elif not last:
            banned[j] = missing
        elif always:
            force[j] = missing
        elif 0 <= i < len(parent):
            if parent[i] == parent_missing:
                force[j] = missing
            elif on_bound >= 0:
                force[j] = on_bound
            else:
                banned[j] = missing


def _decide_last_rows(
    logits: torch.Tensor,
    at: np.ndarray,
    active: np.ndarray,
    hpos: np.ndarray,
    decided: np.ndarray,
    force: np.ndarray,
    shares: LastRowShares,
    temp: float,
    rng: np.random.Generator,
) -> torch.Tensor:
    """`logits` with the tokens only a last row takes (`_last_shares`: an open rental's `<missing>`
    return date, an `active` status) masked in the last rows (`at`: batch indices) that `shares`
    gives none of them, one of them forced (in `force`) in the others: the model's probabilities
    scaled to the data's shares. Rows another rule masked them in or forced a token in are left as
    they are (and counted so), and greedy decoding (`temp` 0) to the model."""
    if temp == 0:
        return logits
    b = active[at]
    group, forced = decided[b, hpos[b]], force[b, hpos[b]]
    probs = torch.softmax(logits[torch.as_tensor(at, device=logits.device)].float() / temp, dim=-1)  # (n, V)
    rows, tokens = [], []
    for g in np.unique(group):
        sel = np.flatnonzero(group == g)
        ids = shares.groups[g][0]
        p = probs[torch.as_tensor(sel, device=probs.device)][:, torch.as_tensor(ids, device=probs.device)]
        p = p.cpu().numpy().astype(np.float64)  # (rows, k): 0 where a token is masked
        free = (forced[sel] < 0) & (p.sum(1) > 0)
        take = shares.decide(int(g), p, free, forced[sel], rng)
        hit = take >= 0
        force[b[sel[hit]], hpos[b[sel[hit]]]] = take[hit]
        for k in sel[free & ~hit]:
            rows += [at[k]] * len(ids)
            tokens += ids.tolist()
    return _mask(logits, rows, tokens)


def _mark_parent_counts(force: np.ndarray, banned: np.ndarray, rules, parent: list[int]) -> None:
    """Set (in place) a new row's forced and banned child counts 0 (H,) each from its parent row's
    categories (`_count_rules`: a cancelled flight's bookings have no boarding)."""
    for i, j, zero, none, some in rules:
        if parent[i] in none and force[j] < 0:
            force[j] = zero
        elif parent[i] in some:
            banned[j] = zero


def _force_from_parent(force: np.ndarray, rules, parent: list[int]) -> None:
    """Force (in place) into a new row (H,) the categories that follow from its parent row's
    (`_dependencies.find_parent_dependencies`), where nothing is forced there yet."""
    for i, j, token in rules:
        if force[j] < 0 and token[parent[i]] >= 0:
            force[j] = token[parent[i]]


def _force_required(force: np.ndarray, cursor: _Cursor, rules: list[tuple[int, list[int], tuple | None]]) -> None:
    """Force (in place) into a new row (H,) a label its parent row must hold once
    (`_unique_labels.find_once_labels`) where its earlier siblings have not and no later row is
    left for it: each missing label takes one of the rows left, the last ones; a rule with a
    condition, only under a parent row holding one of its labels (a sold listing's accepted offer)."""
    left = cursor.rows_left()
    for j, tokens, under in rules:
        if under is not None and (not (parent := cursor.parent_header()) or parent[under[0]] not in under[1]):
            continue
        missing = [t for t in tokens if t not in cursor.sibling_tokens(j)]
        if len(missing) >= left and force[j] < 0:
            force[j] = missing[0]


def _force_shared(force: np.ndarray, header: np.ndarray, cursors: list, rows: np.ndarray, table, hpos, sharing) -> None:
    """Force (in place) at each pool row of `rows` the token the first row of its group took (a value
    its cousins share, `_shared_values`), where it has one and nothing is forced there yet."""
    for b in rows:
        j = int(hpos[b])
        level, label, tokens = sharing[table[b]][j]
        held = -1 if label < 0 else int(header[b, label])
        if force[b, j] < 0 and (label < 0 or held in tokens):
            token = cursors[b].shared_token(j, level, held)
            if token is not None:
                force[b, j] = token


def _force_followers(force: np.ndarray, rows: np.ndarray, position: np.ndarray, token: np.ndarray) -> None:
    """Force (in place) the token of each category that follows from the token just written
    (`position` -1: none), where nothing is forced there yet (a context value stays given)."""
    hit = position >= 0
    r, p, t = rows[hit], position[hit], token[hit]
    open_ = force[r, p] < 0
    force[r[open_], p[open_]] = t[open_]


def _force_date_parts(force, pre, dated: SteppedParts, cursors: list, rows, tables, table, hpos, header) -> None:
    """Force the date parts of the rows that just drew their stepped date's token (`stepped_parts`),
    the date kept under the parent row for the next sibling's step (None once a step was a bin's)."""
    for b in rows:
        c, name, p = cursors[b], tables[table[b]], int(hpos[b])
        key = (name, "stepped date", p)
        previous = None if c.is_first() or not c.frames else c.frames[-1][4].get(key, None)
        if previous is None and not c.is_first():
            continue  # an earlier step was a bin's: the date is not known here
        ns = stepped_date(pre, dated, name, p, int(header[b, p]), previous, c.parent_header())
        if c.frames:
            c.frames[-1][4][key] = ns
        if ns is None:
            continue
        for at, rule in dated.at[name][p]:
            if (token := part_token(dated, name, rule, ns)) is not None:
                force[b, at] = token


def _ban(logits: torch.Tensor, banned: np.ndarray, clashes: Counter | None = None) -> torch.Tensor:
    """`logits` with each row's `banned` tokens (B, n; -1: none) at -inf: a value its row's
    earlier column holds, which the data never repeats there (`_dependencies.find_distinct`), a
    `<missing>` a null rule bans, or one before its parent's last row (`_last_nulls`), a child
    count 0 after a category whose rows always have that child (`_count_rules`); a row left
    with nothing to draw keeps its logits (a column whose one frequent value is banned, its others
    all rare)."""
    rows, cols = np.nonzero(banned >= 0)
    return _mask(logits, rows, banned[rows, cols], clashes, "row_bans")


def _ban_siblings(
    logits: torch.Tensor,
    cursors: list,
    active: np.ndarray,
    hpos: np.ndarray,
    at: np.ndarray,
    unique: np.ndarray | None = None,
    clashes: Counter | None = None,
) -> torch.Tensor:
    """`logits` with the labels each row's earlier siblings took masked, at the batch rows `at` of
    a label never repeated under one parent (`unique`: per batch row, {header position: those labels,
    None: all}; none: all everywhere); a row left with nothing to draw keeps its logits (more siblings than labels)."""
    rows, tokens = [], []
    for j in np.flatnonzero(at):
        labels = None if unique is None else unique[j].get(int(hpos[active[j]]))
        taken = cursors[active[j]].sibling_tokens(int(hpos[active[j]]))
        taken = taken if labels is None else [t for t in taken if t in labels]  # an ordered column records all
        rows += [j] * len(taken)
        tokens += taken
    return _mask(logits, rows, tokens, clashes, "unique_labels")


def _reweighed(logits: torch.Tensor, never, cursors: list, header, active, table, hpos, at, temp: float, ignoring):
    """`logits` with each value of a never-paired column weighted back to its share under the
    values its row and ancestor rows hold (`_never_pairs.reweigh`), before the banned ones are
    masked: a model that drew a woman's diagnosis as anyone's leaves her pregnancy codes at half
    their rate once a man's codes are masked (sex-specific codes 140 generated, 271 in the data).
    A row whose value bans nothing takes how far the rows it banned in so far ignored theirs
    (`ignoring`, per rule): a man's drug of men only, else at half his rate too. The batch rows
    `at` (each where a rule reweighs: `reweighs`) are weighed together, a rule at a time."""
    rows = np.flatnonzero(at)
    if not len(rows) or temp == 0:
        return logits
    probs = torch.softmax(logits[rows].float() / temp, dim=-1).cpu().numpy()  # one softmax for all rows
    shift = np.zeros(probs.shape)
    pool_rows = active[rows]
    width = int(hpos[pool_rows].max()) + 1
    places = table[pool_rows].astype(np.int64) * width + hpos[pool_rows]  # a (table, header position) as one number
    for place in np.unique(places):  # each rule's rows: those at its (table, header position)
        ks = np.flatnonzero(places == place)
        bans = never[int(place) // width][int(place) % width]
        for i, ban in enumerate(bans):
            if not ban.shares:
                continue
            held = _held_tokens(ban, cursors, header, pool_rows[ks])
            weighed, r = _ignoring_rows(probs, ks, held, ban, ignoring.setdefault(id(ban), [0.0, 0]))
            if not len(weighed):
                continue
            shares = np.stack([ban.shares[int(token)] for token in held[weighed]])
            weights = reweigh(shares, ban.marginal, r[:, None])
            cells = np.ix_(ks[weighed], ban.ids)
            shift[cells] += np.log(weights)
            probs[cells] *= weights  # a second rule at this position reads the first one's draw
            if i < len(bans) - 1:
                probs[ks[weighed]] /= probs[ks[weighed]].sum(-1, keepdims=True)
    out = logits.clone()
    out[rows] = out[rows] + temp * torch.as_tensor(shift, dtype=out.dtype, device=out.device)
    return out


def _held_tokens(ban, cursors: list, header: np.ndarray, pool_rows: np.ndarray) -> np.ndarray:
    """Per pool row, the earlier column's token `ban` reads: its own row's, or an ancestor row's."""
    if ban.level == 0:
        return header[pool_rows, ban.source].astype(np.int64)
    return np.array([cursors[b].ancestor_header(ban.level)[ban.source] for b in pool_rows], dtype=np.int64)


def _ignoring_rows(probs: np.ndarray, ks: np.ndarray, held: np.ndarray, ban, seen: list) -> tuple:
    """(positions in `ks` that `ban` weighs, how far each row ignored its earlier value): by the
    probability it put on the values `held` bans (`ignored`); a row whose value bans none takes the
    mean of `seen` ([sum, count] of the rule's rows before it, which those that ban some add to in
    row order); a row whose value has no shares, or none to take, is left out."""
    observed, ignores = np.zeros(len(ks)), np.zeros(len(ks), dtype=bool)
    weighs = np.zeros(len(ks), dtype=bool)
    for token in np.unique(held):
        if ban.shares.get(int(token)) is None:
            continue
        these = held == token
        weighs[these] = True
        if (banned := ban.banned.get(int(token))) is None:
            continue
        if (r := ignored(probs[np.ix_(ks[these], ban.ids)], np.isin(ban.ids, banned), ban.marginal)) is not None:
            observed[these], ignores[these] = r, True
    taken, rs = [], []
    for k in np.flatnonzero(weighs):  # in row order: the mean a row takes is of the rows before it
        if ignores[k]:
            r = float(observed[k])
            seen[0], seen[1] = seen[0] + r, seen[1] + 1
        elif seen[1]:
            r = seen[0] / seen[1]
        else:
            continue
        taken.append(k)
        rs.append(r)
    return np.asarray(taken, dtype=np.int64), np.asarray(rs, dtype=float)


def _never_paired(never, cursors: list, header: np.ndarray, active: np.ndarray, table: np.ndarray, hpos, at):
    """(batch rows, tokens) each batch row `at` a column may not take after the values its row and
    its ancestor rows hold (`_never_pairs`: no pregnancy code under a man)."""
    rows, tokens = [], []
    for j in np.flatnonzero(at):
        b = active[j]
        for ban in never.get(table[b], {}).get(int(hpos[b]), ()):
            held = header[b, ban.source] if ban.level == 0 else cursors[b].ancestor_header(ban.level)[ban.source]
            if (banned := ban.banned.get(int(held))) is not None:
                rows += [j] * len(banned)
                tokens += banned.tolist()
    return rows, tokens


def _unique_ahead(never, at_unique: np.ndarray, slots: np.ndarray, allowed: np.ndarray) -> dict:
    """{table: {header position of an earlier column: [(position of a later one never repeated under
    its parent, {earlier token: the later tokens the grammar and the never-pair leave it})]}} for
    each never-pair (`_never_pairs`) within one row whose later column is a unique label
    (`_unique_labels`): where the siblings took all those later tokens, the earlier one is masked."""
    out: dict[int, dict[int, list]] = {}
    for t, rules in never.items():
        for later, bans in rules.items():
            if not at_unique[t, later]:
                continue
            universe = np.flatnonzero(allowed[slots[t, later]])
            for ban in bans:
                if ban.level != 0 or ban.source >= later:
                    continue
                left = {v: np.setdiff1d(universe, banned) for v, banned in ban.banned.items()}
                out.setdefault(t, {}).setdefault(ban.source, []).append((later, left))
    return out


def _none_left(ahead, cursors: list, active: np.ndarray, table: np.ndarray, hpos, at, once_only):
    """(batch rows, tokens) each batch row `at` an earlier column may not take: the values whose every
    later value a never-pair leaves them its earlier siblings took at a unique label (`_unique_ahead`),
    so that the later column keeps both rules (with 4 business seats taken, no fifth business fare)."""
    rows, tokens = [], []
    for j in np.flatnonzero(at):
        b = active[j]
        for later, left in ahead[table[b]][int(hpos[b])]:
            taken = cursors[b].sibling_tokens(later)
            labels = once_only[table[b]].get(later)
            taken = np.asarray(taken if labels is None else [t for t in taken if t in labels], dtype=np.int64)
            if not len(taken):
                continue
            banned = [v for v, free in left.items() if np.isin(free, taken).all()]
            rows += [j] * len(banned)
            tokens += banned
    return rows, tokens


def _only_last(places: dict[str, dict[int, dict[str, np.ndarray]]], table: str, j: int) -> frozenset[int]:
    """The tokens of the labels only a parent's last row holds at `table`'s header position `j`
    (`edge_label_bans`), none without such a rule."""
    return frozenset(places.get(table, {}).get(j, {}).get("only_last", np.empty(0, np.int64)).tolist())


def _before_siblings(ordered, cursors: list, active: np.ndarray, table: np.ndarray, hpos, at):
    """(batch rows, tokens) each batch row `at` an ordered label may not take: the labels before
    one its earlier siblings took, and those never directly after the last label they took
    (`_ordered_labels`)."""
    rows, tokens = [], []
    for j in np.flatnonzero(at):
        b = active[j]
        earlier, after, _ = ordered[table[b]][int(hpos[b])]
        siblings = cursors[b].sibling_tokens(int(hpos[b]))
        taken = {t for t in siblings if t in earlier}
        previous = next((t for t in reversed(siblings) if t in after), None)  # a null or rare label: skipped
        parts = [earlier[t] for t in taken] + ([after[previous]] if previous is not None else [])
        banned = np.unique(np.concatenate(parts)).tolist() if parts else []
        rows += [j] * len(banned)
        tokens += banned
    return rows, tokens


def _unfillable(ordered, cursors: list, active: np.ndarray, table: np.ndarray, hpos, at):
    """(batch rows, tokens) each batch row `at` an ordered label may not take: the labels fewer rows
    can follow than its parent still has to write (`_ordered_labels.rows_after`: a purchase with
    page views left), unless that leaves nothing (`_mask`)."""
    rows, tokens = [], []
    for j in np.flatnonzero(at):
        b = active[j]
        tails = ordered[table[b]][int(hpos[b])][2]
        left = cursors[b].rows_left() - 1
        banned = [t for t, n in tails.items() if n < left]
        rows += [j] * len(banned)
        tokens += banned
    return rows, tokens


def _shared_siblings(shared, cursors: list, active: np.ndarray, table: np.ndarray, hpos, at):
    """(batch rows, tokens) each batch row `at` a column sharing its labels with another may not
    take: the labels its earlier siblings took at the other column (`_unique_labels.find_shared_labels`)."""
    rows, tokens = [], []
    for j in np.flatnonzero(at):
        b = active[j]
        for other, same in shared[table[b]][int(hpos[b])]:
            taken = same[np.asarray(cursors[b].sibling_tokens(other), dtype=np.int64)]
            banned = taken[taken >= 0].tolist()
            rows += [j] * len(banned)
            tokens += banned
    return rows, tokens


def _paired_siblings(pairs, cursors: list, header: np.ndarray, active: np.ndarray, table: np.ndarray, hpos, at):
    """(batch rows, tokens) each batch row `at` the later column of a pair never repeated under one
    parent may not take: the values its earlier siblings holding its row's value of the earlier
    column took (`_unique_labels.find_unique_label_pairs`: a lesson's period, on its weekday); at
    the earlier column, the values whose every later value its siblings took (a full weekday)."""
    rows, tokens = [], []
    for j in np.flatnonzero(at):
        b = active[j]
        for first, later, _, values in pairs[table[b]]:
            taken = cursors[b].sibling_pairs(first, later)
            if later == hpos[b]:
                banned = [t for s, t in taken if s == header[b, first]]
            elif first == hpos[b]:  # a value of the earlier column whose every later value is taken
                held = Counter(s for s, _ in set(taken))
                banned = [s for s, n in held.items() if n >= len(values)]
            else:
                continue
            rows += [j] * len(banned)
            tokens += banned
    return rows, tokens


def _unchanged(changed, to_last, cursors: list, header: np.ndarray, active: np.ndarray, table: np.ndarray, at):
    """(batch rows, tokens) each batch row `at` the last column of a `_changed_rows` rule may not
    take: its previous sibling's, where its earlier columns of the rule repeat that sibling's, and
    those from which its last sibling's label, its parent's, is out of reach (`ahead_bans`)."""
    rows, tokens = [], []
    for j in np.flatnonzero(at):
        b = active[j]
        if (token := repeated_token(changed[table[b]], header[b], cursors[b].previous_sibling())) is not None:
            rows.append(j)
            tokens.append(token)
        if table[b] in to_last:
            banned = ahead_bans(to_last[table[b]], cursors[b].parent_header(), cursors[b].rows_left())
            rows += [j] * len(banned)
            tokens += banned
    return rows, tokens


def _carried(carried, cursors: list, header: np.ndarray, active: np.ndarray, table: np.ndarray, hpos, at, pre, slots):
    """(batch rows, tokens) each batch row `at` a label carried while an earlier one changes
    (`_carried_values`) may not take: every token of its slot but its previous sibling's."""
    rows, tokens = [], []
    for j in np.flatnonzero(at):
        b = active[j]
        token = carried_token(carried[table[b]], int(hpos[b]), header[b], cursors[b].previous_sibling())
        if token is not None:
            others = _slot_tokens_but(pre, slots, table[b], hpos[b], token)
            rows += [j] * len(others)
            tokens += others
    return rows, tokens


def _slot_tokens_but(pre, slots: np.ndarray, t: int, position: int, token: int) -> list[int]:
    """Every token of the slot at header `position` of table `t` but `token`: the ones a row kept to
    that token may not take."""
    slot = pre.slots[int(slots[t, position])]
    return [x for x in range(slot.offset, slot.offset + slot.preproc.n_tokens) if x != token]


def _chained(chains, cursors: list, active: np.ndarray, table: np.ndarray, hpos, at, pre, slots):
    """(batch rows, tokens) each batch row `at` a label its previous sibling holds at another column
    (`_chained_labels`) may not take: every token of its slot but that label's."""
    rows, tokens = [], []
    for j in np.flatnonzero(at):
        b = active[j]
        token = chained_token(chains[table[b]], int(hpos[b]), cursors[b].previous_sibling())
        if token is not None:
            others = _slot_tokens_but(pre, slots, table[b], hpos[b], token)
            rows += [j] * len(others)
            tokens += others
    return rows, tokens


def _chained_ahead(chains, edges, cursors: list, active: np.ndarray, table: np.ndarray, hpos, at):
    """(batch rows, tokens) each batch row `at` a label a chain carries into its next sibling may not
    take, where that sibling's place bans the label it would be chained to (`chained_ahead_bans`)."""
    rows, tokens = [], []
    for j in np.flatnonzero(at):
        b = active[j]
        banned = chained_ahead_bans(chains[table[b]], edges.get(table[b], {}), int(hpos[b]), cursors[b].rows_left())
        rows += [j] * len(banned)
        tokens += banned.tolist()
    return rows, tokens


def _off_place(edges, cursors: list, active: np.ndarray, table: np.ndarray, hpos, at):
    """(batch rows, tokens) each batch row `at` a label kept to or off its parent's first and last
    rows may not take, by its own place (`_edge_labels`)."""
    rows, tokens = [], []
    for j in np.flatnonzero(at):
        b = active[j]
        banned = banned_at(edges[table[b]][int(hpos[b])], cursors[b].is_first(), cursors[b].is_last()).tolist()
        rows += [j] * len(banned)
        tokens += banned
    return rows, tokens


def _lookup_matched(matches, cursors: list, header: np.ndarray, active: np.ndarray, table: np.ndarray, hpos, at):
    """(batch rows, tokens) each batch row `at` a lookup key may not take: those whose lookup row
    matches none of the values its row or parent row holds (`_lookup_matches`)."""
    rows, tokens = [], []
    for j in np.flatnonzero(at):
        b = active[j]
        for match in matches.get(table[b], {}).get(int(hpos[b]), ()):
            above = header[b] if match.level == 0 else cursors[b].parent_header()
            banned = match.banned([int(above[k]) for k in match.sources])
            rows += [j] * len(banned)
            tokens += banned
    return rows, tokens


def _mask(
    logits: torch.Tensor,
    rows: Sequence[int],
    tokens: Sequence[int],
    clashes: Counter | None = None,
    kind: str = "",
) -> torch.Tensor:
    """`logits` with each (row, token) at -inf; a row left with nothing to draw keeps its logits:
    the masks applied before, which take precedence (`MASK_PRECEDENCE`), hold there and this one
    is dropped, counted in `clashes[kind]`."""
    if not len(rows):
        return logits
    if logits.device.type == "cpu" and logits.dtype != torch.bfloat16:  # numpy's calls cost a fraction of torch's
        out = logits.numpy().copy()
        out[np.asarray(rows, dtype=np.int64), np.asarray(tokens, dtype=np.int64)] = float("-inf")
        empty = out.max(-1) == float("-inf")
        if not (n := int(empty.sum())):  # the common case: no row emptied, nothing to put back
            return torch.from_numpy(out)
        out[empty] = logits.numpy()[empty]
        out = torch.from_numpy(out)
    else:
        out = logits.clone()
        at = (torch.as_tensor(np.asarray(rows, dtype=np.int64)), torch.as_tensor(np.asarray(tokens, dtype=np.int64)))
        out[at[0].to(logits.device), at[1].to(logits.device)] = float("-inf")
        empty = out.amax(-1) == float("-inf")
        if n := int(empty.sum()):
            out = torch.where(empty[:, None], logits, out)
    if clashes is not None:
        clashes[kind] += n
    return out


def _report_clashes(clashes: Counter, n_tokens: int) -> None:
    """Say how often a rule's mask was dropped because the masks before it (`MASK_PRECEDENCE`)
    left its row only values it bans: a warning where a row ban, never-pair or lookup match was
    dropped for more than `CLASH_WARN_SHARE` of the `n_tokens` drawn (a pair the data never holds
    may then be generated noticeably often), else at info level: Chinook's main job drops a
    never-pair for 1 to 13 of some 30,000 tokens, which is no news a user can act on."""
    if not clashes:
        return
    said = ", ".join(f"{kind} {n}" for kind, n in sorted(clashes.items(), key=lambda kv: MASK_PRECEDENCE.index(kv[0])))
    held = sum(n for kind, n in clashes.items() if kind in ROW_FACTS)
    level = logging.WARNING if held > CLASH_WARN_SHARE * max(n_tokens, 1) else logging.INFO
    log.log(
        level,
        "masks dropped where the masks before them left only values they ban (tokens drawn so, by rule, of %d): "
        "%s; the order they hold in: %s",
        n_tokens,
        said,
        " > ".join(MASK_PRECEDENCE),
    )


def _split_by_row(rows: list[np.ndarray], tokens: list[np.ndarray], n: int) -> list[np.ndarray]:
    """Each entity's tokens in emission order, from the per-step (entities, tokens) records."""
    all_rows, all_tokens = np.concatenate(rows), np.concatenate(tokens)
    order = np.argsort(all_rows, kind="stable")
    counts = np.bincount(all_rows, minlength=n)
    return np.split(all_tokens[order].astype(np.int64), np.cumsum(counts)[:-1])


def _reprefix(model, contexts: list[tuple[list[int], list[int]]], slots: np.ndarray, cache: KVCache):
    """Restart the cache from each sequence's ancestor headers (as the training windows do)."""
    T = max(len(t) for t, _ in contexts) + 1
    if T > cache.capacity:
        raise ValueError(f"max_block_size={cache.capacity} is too small for a row with its ancestors ({T} tokens)")
    inputs, valid = left_pad([[BOS, *tok] for tok, _ in contexts], PAD, T)
    slot_in, _ = left_pad([[*slt, int(slots[b])] for b, (_, slt) in enumerate(contexts)], 0, T)
    pos, _ = left_pad([range(len(tok) + 1) for tok, _ in contexts], 0, T)
    device = model.head.weight.device
    cache.clear()
    inputs, slot_in, pos, valid = inputs.to(device), slot_in.to(device), pos.to(device), valid.to(device)
    logits = model.logits(inputs, slot_in, pos, cache, valid=valid, last_only=True)[:, -1]
    return logits, pos[:, -1] + 1
