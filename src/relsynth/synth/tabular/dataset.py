"""TabularDataset: encoded root entities in RAM or memory-mapped on disk, as training samples.

A sample is a whole entity or, with `block_size`, a window of at most `block_size` tokens
starting at a row boundary, prefixed by the headers of that row's ancestors so a child never
loses its parents, then by the headers of its last previous siblings (`sibling_budget` tokens at
most) so a sequence of siblings (a device's readings, its battery running down) goes on from where
the previous window left it. Writes to disk are chunked (peak memory grows with `chunk_size`, not with
the data) and atomic: files go to a temporary sibling directory renamed into place at the end.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from relsynth.relational import RelationalData
from relsynth.relational.progress import progress
from relsynth.synth.core.arrays import ARRAYS_FILE, open_arrays, save_arrays, write_arrays
from relsynth.synth.core.files import LoadError
from relsynth.synth.core.packing import pack_rows
from relsynth.synth.tabular._tables import index_dtype, root_order
from relsynth.synth.tabular.grammar import BOS, PAD, Encoded
from relsynth.synth.tabular.preproc import TabularPreproc

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from relsynth.relational.sql_source import Partition, SQLSource

log = logging.getLogger(__name__)
IGNORE = -100
KIND = "TabularDataset"
_ARRAYS = {
    "tokens": np.int32,
    "slots": np.int16,
    "offsets": np.int64,
    "row_start": np.int64,
    "row_table": np.int16,
    "row_parent": np.int64,
}


@dataclass
class Windows:
    """Training samples: token span [start, end) of the sequence plus the row whose ancestors prefix
    it, and the first of its previous siblings that follow them (each sibling's header)."""

    start: np.ndarray  # (S,) int64
    end: np.ndarray  # (S,) int64
    anchor: np.ndarray  # (S,) int64 first row of the window; -1 = no prefix (whole entity)
    sibling: np.ndarray  # (S,) int64 the earliest previous sibling of `anchor` in the prefix; -1 = none
    sibling_len: np.ndarray  # (S,) int64 tokens of those siblings' headers


def sibling_budget(block_size: int | None) -> int:
    """Tokens of previous siblings' headers a window (and a generation restart) may keep after its
    ancestors: a quarter of the block, so a window still holds mostly rows to learn from."""
    return block_size // 4 if block_size else 0


def recent_siblings(lengths: list[int] | np.ndarray, cap: int) -> int:
    """How many of the last siblings (header lengths, oldest first) fit in `cap` tokens together:
    the one rule training windows and generation restarts share."""
    total, n = 0, 0
    for length in reversed(lengths):
        if total + length > cap:
            break
        total, n = total + int(length), n + 1
    return n


class TabularDataset:
    """Encoded entities plus their samples; `collate(indices)` gives a padded batch."""

    def __init__(
        self, preproc: TabularPreproc, arrays: dict[str, np.ndarray], block_size: int | None, path: Path | None = None
    ):
        self.preproc, self.arrays, self.block_size, self.path = preproc, arrays, block_size, path
        self.header_len = np.array([lay.header_len for lay in preproc.layouts.values()], dtype=np.int64)
        # ancestors' header lengths (one int64 per row) matter only for windows: skipped without them,
        # so reopening a large dataset on disk does not read every row into memory
        self._prefix_len = _ancestor_len(arrays, self.header_len) if block_size is not None else None
        self.sibling_context = sibling_budget(block_size)
        self.windows = _windows(arrays, self.header_len, block_size, self._prefix_len)

    # ---- constructors ----------------------------------------------------------------------
    @classmethod
    def from_data(
        cls,
        data: RelationalData,
        preproc: TabularPreproc,
        *,
        on_disk: bool = False,
        path: str | Path | None = None,
        chunk_size: int | None = None,
        block_size: int | None = None,
    ) -> TabularDataset:
        """Encode `data`; on disk (memory-mapped) when `on_disk`, in chunks of `chunk_size` root entities."""
        _check_sizes(preproc, block_size, chunk_size)
        if not on_disk:
            if path is not None:
                raise ValueError("path is only used with on_disk=True")
            enc = preproc.transform(data)
            return cls(preproc, _encoded_arrays(enc), block_size)
        target = Path(path) if path is not None else _temporary_dir()
        roots = data.schema.roots
        chunks = _chunks(data, chunk_size)
        encoded = ((_encode(preproc, chunk), sum(len(chunk[r]) for r in roots)) for chunk in chunks)
        _write(encoded, sum(len(data[r]) for r in roots), preproc, target, block_size)
        return cls.from_disk(preproc, target)

    @classmethod
    def from_source(
        cls,
        source: SQLSource,
        preproc: TabularPreproc,
        *,
        path: str | Path | None = None,
        chunk_size: int = 10_000,
        block_size: int | None = None,
        executor: Executor | None = None,
    ) -> TabularDataset:
        """Encode a database larger than memory onto disk, `chunk_size` root entities at a time.

        `source` reads the database a partition of whole entities at a time (an `SQLSource`:
        relsynth.relational.sql_source), so neither the database nor its encoding is ever whole
        in memory; `preproc` is fitted beforehand, e.g. on `source.sample(n)`. With `executor`
        (anything with `concurrent.futures.Executor.map`: a `ProcessPoolExecutor`, or a Dask
        cluster's `Client.get_executor()`), partitions are read and encoded in parallel by its
        workers and written here in order: the same bytes as without it. The source must then
        pickle (made from a URL; a DuckDB file opened `?access_mode=read_only`).
        """
        _check_sizes(preproc, block_size, chunk_size)
        _check_source_schema(source, preproc)
        target = Path(path) if path is not None else _temporary_dir()
        partitions = source.partitions(chunk_size)
        mapped = (executor.map if executor is not None else map)(
            partial(_encode_partition, source, preproc), partitions
        )
        encoded = zip(mapped, (p.n_entities for p in partitions), strict=True)
        _write(encoded, sum(p.n_entities for p in partitions), preproc, target, block_size)
        return cls.from_disk(preproc, target)

    @classmethod
    def from_disk(cls, preproc: TabularPreproc, path: str | Path) -> TabularDataset:
        """Reopen a dataset written by `from_data(on_disk=True)` or `save`; checks it belongs to `preproc`."""
        path = Path(path)
        arrays, meta = open_arrays(path, KIND, random_access=("tokens", "slots"))  # read a window at a time
        if meta.get("preproc") != preproc.fingerprint():
            raise LoadError(f"{path / ARRAYS_FILE}: the dataset was encoded with another preprocessor; re-create it")
        missing = sorted(set(_ARRAYS) - set(arrays))
        if missing:
            raise LoadError(f"{path / ARRAYS_FILE}: arrays {missing} are missing; re-create the dataset")
        return cls(preproc, arrays, meta["block_size"], path)

    config_file = ARRAYS_FILE  # what `save` writes: the mark of a saved dataset

    def save(self, path: str | Path) -> None:
        """Write the encoded arrays to the directory `path` (atomically), to reopen with `from_disk`."""
        save_arrays(path, KIND, self.arrays, {"preproc": self.preproc.fingerprint(), "block_size": self.block_size})

    # ---- samples ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.windows.start)

    @property
    def n_entities(self) -> int:
        return len(self.arrays["offsets"]) - 1

    @property
    def lengths(self) -> np.ndarray:
        """Tokens per sample, prefix included."""
        w = self.windows
        if self._prefix_len is None:
            return w.end - w.start
        prefix = np.where(w.anchor >= 0, self._prefix_len[np.maximum(w.anchor, 0)], 0)
        return w.end - w.start + prefix + w.sibling_len

    @property
    def max_len(self) -> int:
        return int(self.lengths.max()) if len(self) else 0

    def sample_tokens(self, i: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Tokens and slots of sample i (prefix first: ancestors root first, then previous
        siblings), and the prefix length."""
        w, a = self.windows, self.arrays
        s, e, anchor = int(w.start[i]), int(w.end[i]), int(w.anchor[i])
        pieces = []
        if anchor >= 0:
            r = int(a["row_parent"][anchor])
            while r >= 0:
                rs = int(a["row_start"][r])
                pieces.append((rs, rs + int(self.header_len[a["row_table"][r]])))
                r = int(a["row_parent"][r])
        pieces.reverse()
        if (first := int(w.sibling[i])) >= 0:
            rows = first + np.flatnonzero(np.asarray(a["row_parent"][first:anchor]) == a["row_parent"][anchor])
            starts, tables = np.asarray(a["row_start"])[rows], np.asarray(a["row_table"])[rows]
            pieces += [(int(rs), int(rs + self.header_len[t])) for rs, t in zip(starts, tables, strict=True)]
        pieces.append((s, e))
        tokens = np.concatenate([a["tokens"][p0:p1] for p0, p1 in pieces])
        slots = np.concatenate([a["slots"][p0:p1] for p0, p1 in pieces])
        return tokens, slots, len(tokens) - (e - s)

    def collate(self, indices: np.ndarray, pack: bool = False) -> dict[str, torch.Tensor]:
        """A batch: `inputs` (previous token), `slots` (slot of the token to predict), `targets`
        (IGNORE on prefix and padding), `pos` (positions within each sample).

        One sample per row, right-padded; with `pack=True` several samples share a row (first fit,
        longest first) and `segments` says which sample each position belongs to (-1: padding),
        so the model attends within a sample only and far fewer positions are computed.
        """
        samples = [self.sample_tokens(int(i)) for i in indices]
        lengths = np.array([len(t) for t, _, _ in samples], dtype=np.int64)
        width = int(lengths.max()) if len(lengths) else 1
        if pack:
            row, offset, n_rows = pack_rows(lengths, width)
        else:
            row, offset, n_rows = np.arange(len(samples)), np.zeros(len(samples), dtype=np.int64), len(samples)
        inputs = np.full((n_rows, width), PAD, dtype=np.int64)
        targets = np.full((n_rows, width), IGNORE, dtype=np.int64)
        slots = np.zeros((n_rows, width), dtype=np.int64)
        # one sample per row: positions past a sample's end keep counting, as the model always saw them
        pos = np.zeros((n_rows, width), dtype=np.int64) if pack else np.tile(np.arange(width), (n_rows, 1))
        segments = np.full((n_rows, width), -1, dtype=np.int64)
        for b, (tok, slt, n_prefix) in enumerate(samples):
            r, o, n = row[b], offset[b], len(tok)
            inputs[r, o] = BOS
            inputs[r, o + 1 : o + n] = tok[:-1]
            targets[r, o + n_prefix : o + n] = tok[n_prefix:]
            slots[r, o : o + n] = slt
            if pack:
                pos[r, o : o + n] = np.arange(n)
                segments[r, o : o + n] = b
        batch = {
            "inputs": torch.from_numpy(inputs),
            "targets": torch.from_numpy(targets),
            "slots": torch.from_numpy(slots),
            "pos": torch.from_numpy(pos),
        }
        if pack:
            batch["segments"] = torch.from_numpy(segments)
        return batch

    def __repr__(self) -> str:
        where = f"on disk at {self.path}" if self.path else "in RAM"
        return f"TabularDataset({self.n_entities} entities, {len(self)} samples, {where}, block_size={self.block_size})"


# ---- windows -----------------------------------------------------------------------------------
def _ancestor_len(a: dict[str, np.ndarray], header_len: np.ndarray) -> np.ndarray:
    """Tokens in the headers of each row's ancestors (rows are in depth-first order); 4 bytes a
    row, and a few more at the peak: it is computed for every row of a dataset on disk."""
    parent = np.asarray(a["row_parent"])
    has = parent >= 0
    parent = np.maximum(parent, 0).astype(index_dtype(len(parent)))
    own = header_len.astype(np.int32)[np.asarray(a["row_table"])]
    out = np.zeros(len(parent), dtype=np.int32)
    # parents precede children, so one pass per tree level settles every row
    while True:
        new = out[parent]
        new += own[parent]
        new[~has] = 0
        if np.array_equal(new, out):
            return out
        out = new


def _windows(
    a: dict[str, np.ndarray], header_len: np.ndarray, block_size: int | None, prefix: np.ndarray | None
) -> Windows:
    offsets = np.asarray(a["offsets"])
    starts, ends = offsets[:-1], offsets[1:]
    if block_size is None:
        none = np.full(len(starts), -1, dtype=np.int64)
        return Windows(starts.copy(), ends.copy(), none, none.copy(), np.zeros(len(starts), dtype=np.int64))
    row_start = np.asarray(a["row_start"])
    own = header_len[np.asarray(a["row_table"])]
    longest = int((prefix + own).max()) if len(own) else 0
    if block_size <= longest:
        raise ValueError(
            f"block_size={block_size} must be larger than the longest row with its ancestors ({longest} tokens)"
        )
    budget = sibling_budget(block_size)
    short = (ends - starts) <= block_size
    n_short = int(short.sum())
    ws, we, wa = [starts[short]], [ends[short]], [np.full(n_short, -1, dtype=np.int64)]
    wf, wl = [np.full(n_short, -1, dtype=np.int64)], [np.zeros(n_short, dtype=np.int64)]
    for e in np.flatnonzero(~short):  # long entities only: few, so a loop per window is fine
        r0, r1 = np.searchsorted(row_start, [starts[e], ends[e]])
        bounds = np.append(row_start[r0:r1], ends[e])
        prev = _previous_sibling(np.asarray(a["row_parent"][r0:r1]))
        i = 0
        while i < r1 - r0:
            r = r0 + i
            first, n_sib = _siblings(prev, own[r0:r1], i, min(budget, block_size - prefix[r] - own[r]))
            limit = row_start[r] + block_size - prefix[r] - n_sib
            k = int(np.searchsorted(bounds, limit, side="right")) - 1
            ws.append(np.array([row_start[r]]))
            we.append(np.array([bounds[k]]))
            wa.append(np.array([r]))
            wf.append(np.array([r0 + first if first >= 0 else -1]))
            wl.append(np.array([n_sib]))
            i = k
    return Windows(*(np.concatenate(x).astype(np.int64) for x in (ws, we, wa, wf, wl)))


def _previous_sibling(parents: np.ndarray) -> np.ndarray:
    """For each row of an entity (rows in order), the index of its previous sibling (the last
    earlier row of the same parent), -1 for the first child and the root."""
    order = np.argsort(parents, kind="stable")
    same = parents[order[1:]] == parents[order[:-1]]
    prev = np.full(len(parents), -1, dtype=np.int64)
    prev[order[1:][same]] = order[:-1][same]
    return prev


def _siblings(prev: np.ndarray, own: np.ndarray, i: int, cap: int) -> tuple[int, int]:
    """The earliest of row i's last previous siblings whose headers fit in `cap` tokens together
    (-1: none) and their tokens: the rule of `recent_siblings`, walked back only as far as fits."""
    first, j, total = -1, int(prev[i]), 0
    while j >= 0 and total + own[j] <= cap:
        first, total, j = j, total + int(own[j]), int(prev[j])
    return first, total


# ---- disk --------------------------------------------------------------------------------------
def _encoded_arrays(enc: Encoded) -> dict[str, np.ndarray]:
    return {name: np.asarray(getattr(enc, name), dtype=dtype) for name, dtype in _ARRAYS.items()}


def _temporary_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="relsynth-dataset-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path / "data"


def _check_sizes(preproc: TabularPreproc, block_size: int | None, chunk_size: int | None) -> None:
    preproc._check_fitted()
    for name, value in (("block_size", block_size), ("chunk_size", chunk_size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | np.integer)):
            raise TypeError(f"{name} must be an integer or None, got {value!r}")
    if block_size is not None:
        if len(preproc.schema.synth_tables) == 1:
            raise ValueError("block_size applies to multi-table data only: a single table has one row per sample")
        if block_size < 2:
            raise ValueError(f"block_size must be >= 2, got {block_size}")
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")


def _encode(preproc: TabularPreproc, tables: Mapping[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    return _encoded_arrays(preproc.transform_tables(tables))


def _check_source_schema(source: SQLSource, preproc: TabularPreproc) -> None:
    """Refuse a source whose schema is not the preprocessor's, naming the tables that differ (a
    preprocessor fitted on `from_sql`'s data, whose tables nested under a composite key's rows get
    keys an `SQLSource` does not read, failed in the middle of encoding on a KeyError)."""
    if source.schema == preproc.schema:
        return
    theirs, ours = source.schema.tables, preproc.schema.tables
    differ = [t for t in dict.fromkeys([*ours, *theirs]) if theirs.get(t) != ours.get(t)]
    raise ValueError(
        f"the source's schema differs from the preprocessor's in table(s) {differ}"
        + ("" if differ else f" (lookups {source.schema.lookups} vs {preproc.schema.lookups})")
        + ": fit the preprocessor on the source's rows (TabularPreproc.from_schema(sample.schema).fit(sample), "
        "sample = source.sample(n)); RelationalData.from_sql nests a table under a composite key's rows by keys it "
        "adds, which an SQLSource does not read"
    )


def _encode_partition(source: SQLSource, preproc: TabularPreproc, partition: Partition) -> dict[str, np.ndarray]:
    """One partition read and encoded: what an executor's worker runs."""
    return _encode(preproc, source.read(partition).data)


def _write(
    encoded: Iterable[tuple[dict[str, np.ndarray], int]],
    n_entities: int,
    preproc: TabularPreproc,
    target: Path,
    block_size: int | None,
) -> None:
    """Append encoded chunks (each with its number of root entities) as one dataset at `target`,
    their positions (token offsets, rows' parents) shifted to follow the chunks before."""
    if (target / ARRAYS_FILE).exists():
        raise FileExistsError(f"{target} already holds a dataset; remove it or choose another path")
    with write_arrays(target, KIND, _ARRAYS) as w:
        n_tokens, n_rows = 0, 0
        w.append(offsets=np.zeros(1, dtype=np.int64))
        bar = progress(n_entities, "encode", "entities")  # a bar on a terminal, else log lines
        for parts, entities in encoded:
            tokens, rows = len(parts["tokens"]), len(parts["row_start"])
            parts["offsets"] = parts["offsets"][1:] + n_tokens
            parts["row_start"] = parts["row_start"] + n_tokens
            parts["row_parent"] = np.where(parts["row_parent"] >= 0, parts["row_parent"] + n_rows, -1)
            w.append(**parts)
            n_tokens, n_rows = n_tokens + tokens, n_rows + rows
            bar.update(entities)
        bar.close()
        log.info("encoded %d tokens, %d rows", n_tokens, n_rows)
        w.meta = {"preproc": preproc.fingerprint(), "block_size": block_size}


def _chunks(data: RelationalData, chunk_size: int | None):
    """Tables restricted to `chunk_size` root entities at a time (lookups whole)."""
    schema = data.schema
    for root in schema.roots:
        n = len(data[root])
        step = chunk_size or max(n, 1)
        cuts = np.append(np.arange(0, n, step), n)
        # per table: rows grouped by root entity and where each chunk starts (~8 bytes a row in all)
        order = root_order(data, root)
        rows, bounds = {}, {}
        for t in list(order):
            root_of = order.pop(t)
            sorted_rows = np.argsort(root_of, kind="stable")
            bounds[t] = np.searchsorted(root_of[sorted_rows], cuts)
            rows[t] = sorted_rows.astype(index_dtype(len(sorted_rows)))
            del root_of, sorted_rows
        for i in range(len(cuts) - 1):
            tables = {t: data[t].iloc[:0] for t in schema.synth_tables}
            for t in rows:
                tables[t] = data[t].iloc[rows[t][bounds[t][i] : bounds[t][i + 1]]]
            yield tables
