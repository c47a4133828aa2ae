"""TextDataset: the token sequences of one table's texts, in memory or memory-mapped on disk.

One sample per row and non-null text column: `[bos] context [column marker] text [end]`; where a table has
several text columns, `[bos] context [marker] earlier text ... [column marker] text [end]`: each text sees the
non-null texts of its row written before it (`TextPreproc.row_texts`: a post's body its tags and title), each
cut to `row_text_tokens` (ROW_TEXT_TOKENS, less where the block is short). The loss covers the text tokens and
`end`. A sample whose input (all tokens but the last) is longer than `block_size` is cut into windows that each
repeat the context (with the earlier texts) as a prefix; the windows overlap by half their text, and a window
after the first only scores the tokens the previous one did not, each seen after at least half a window of
text. Nothing is dropped.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from relsynth.relational import RelationalData
from relsynth.relational.progress import progress
from relsynth.synth.core.arrays import ARRAYS_FILE, open_arrays, save_arrays, write_arrays
from relsynth.synth.core.files import LoadError
from relsynth.synth.core.packing import pack_rows
from relsynth.synth.text.preproc import ROW_TEXT_TOKENS, TextPreproc

IGNORE = -100  # target of a position without loss (context, marker, padding)
KIND = "TextDataset"


def sample_prefixes(
    preproc: TextPreproc,
    contexts: list[list[int]],
    column: str,
    earlier: list[dict[str, list[int]]] | None = None,
    block_size: int | None = None,
) -> list[list[int]]:
    """`[bos] context [column marker]` for each context; with `earlier` (per row, the token ids of its non-null
    texts of `preproc.earlier_texts(column)`), `[bos] context [marker] text ... [column marker]`, each earlier
    text cut to `row_text_tokens(...)` tokens."""
    bos, marker = preproc.bos_id, preproc.column_id(column)
    before = preproc.earlier_texts(column)
    if not before or earlier is None:
        return [[bos, *ctx, marker] for ctx in contexts]
    out = []
    for ctx, texts in zip(contexts, earlier, strict=True):
        cap = row_text_tokens(len(ctx), len(before), block_size)
        shown = [[preproc.column_id(c), *texts[c][:cap]] for c in before if c in texts] if cap else []
        out.append([bos, *ctx, *(t for part in shown for t in part), marker])
    return out


def row_text_tokens(context_len: int, n_earlier: int, block_size: int | None) -> int:
    """Tokens of each earlier text of the row a text sees: ROW_TEXT_TOKENS, less where the prefix would pass half
    the block (the text keeps half a window at least), 0 where not even one token each fits."""
    if block_size is None:
        return ROW_TEXT_TOKENS
    room = block_size // 2 - context_len - 2 - n_earlier  # bos, column marker and a marker per earlier text
    return max(0, min(ROW_TEXT_TOKENS, room // max(n_earlier, 1)))


class TextDataset:
    """Training samples of a `TextPreproc`'s table: `len(ds)` windows, `ds.collate(indices)` a batch.

    `TextDataset.from_data(data, preproc)` encodes in memory; `on_disk=True` writes the token
    arrays to `path` (a temporary directory removed at exit when None) `chunk_size` rows at a
    time, and `TextDataset.from_disk(preproc, path)` reopens them memory-mapped.
    """

    def __init__(
        self,
        preproc: TextPreproc,
        tokens: np.ndarray,
        offsets: np.ndarray,
        prefix: np.ndarray,
        block_size: int = 256,
        path: Path | None = None,
    ):
        self.preproc = preproc
        self.tokens, self.offsets, self.prefix = tokens, offsets, prefix
        self.path = path
        self.pad_id = preproc.pad_id
        lengths = np.diff(offsets)
        self.max_text_len = int(lengths.max()) - 1 if len(lengths) else 0
        self.block_size = block_size

    # ---- construction ----------------------------------------------------------------------
    @classmethod
    def from_data(
        cls,
        data: RelationalData,
        preproc: TextPreproc,
        *,
        on_disk: bool = False,
        path: str | Path | None = None,
        chunk_size: int | None = None,
        block_size: int = 256,
    ) -> TextDataset:
        """Encode every non-null text of the preproc's table in `data`."""
        if not preproc.is_fitted:
            raise RuntimeError("the TextPreproc is not fitted: call preproc.fit(data) before building a dataset")
        if chunk_size is not None and chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive number of rows, got {chunk_size}")
        if path is not None and not on_disk:
            raise ValueError("a path was given with on_disk=False: pass on_disk=True to write the dataset there")
        df = data[preproc.table] if preproc.table in data.data else None
        if df is None:
            raise ValueError(f"the data has no table {preproc.table!r}")
        missing = [c for c in preproc.text_columns if c not in df.columns]
        if missing:
            raise ValueError(f"table {preproc.table!r} of the data has no text column(s) {missing}")
        if not df[preproc.text_columns].notna().any().any():
            raise ValueError(
                f"table {preproc.table!r} has no text to learn from: every value of its text column(s) "
                f"{preproc.text_columns} is null in this data ({len(df)} rows); leave the table out of the text models"
            )
        contexts = preproc.contexts(data)
        copies = preproc.copy_words(data)
        chunks = _counted(_chunks(len(df), chunk_size or len(df) or 1), len(df), f"encode {preproc.table}")
        if not on_disk:
            parts = [_encode_chunk(preproc, df, contexts, copies, rows, block_size) for rows in chunks]
            tokens, lengths, prefix = _concat(parts)
            offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
            return cls(preproc, tokens, offsets, prefix, block_size=block_size)
        return cls._write(preproc, df, contexts, copies, chunks, path, block_size)

    @classmethod
    def _write(cls, preproc, df, contexts, copies, chunks, path, block_size) -> TextDataset:
        temporary = path is None
        final = Path(tempfile.mkdtemp(prefix="relsynth-text-")) / "dataset" if temporary else Path(path)
        dtypes = {"tokens": _token_dtype(preproc.n_input_tokens), "offsets": np.int64, "prefix": np.int32}
        with write_arrays(final, KIND, dtypes) as w:
            w.append(offsets=np.zeros(1, dtype=np.int64))
            n_tokens = 0
            for rows in chunks:
                toks, lens, pre = _encode_chunk(preproc, df, contexts, copies, rows, block_size)
                w.append(tokens=toks, offsets=n_tokens + np.cumsum(lens), prefix=pre)
                n_tokens += len(toks)
            w.meta = {"table": preproc.table, "preproc": preproc.fingerprint()}
        ds = cls.from_disk(preproc, final, block_size=block_size)
        if temporary:
            weakref.finalize(ds, shutil.rmtree, final.parent, True)
        return ds

    @classmethod
    def from_disk(cls, preproc: TextPreproc, path: str | Path, block_size: int = 256) -> TextDataset:
        """Reopen a dataset written by `from_data(..., on_disk=True, path=path)` or `save`, memory-mapped."""
        path = Path(path)
        arrays, meta = open_arrays(path, KIND)
        if meta.get("table") != preproc.table or meta.get("preproc") != preproc.fingerprint():
            raise LoadError(
                f"{path / ARRAYS_FILE}: the dataset was encoded for table {meta.get('table')!r} with another tokenizer "
                f"than this TextPreproc (table {preproc.table!r}): rebuild it with TextDataset.from_data"
            )
        return cls(preproc, arrays["tokens"], arrays["offsets"], arrays["prefix"], block_size=block_size, path=path)

    config_file = ARRAYS_FILE  # what `save` writes: the mark of a saved dataset

    def save(self, path: str | Path) -> None:
        """Write the token arrays to the directory `path` (atomically), to reopen with `from_disk`."""
        arrays = {"tokens": self.tokens, "offsets": np.asarray(self.offsets, np.int64), "prefix": self.prefix}
        save_arrays(path, KIND, arrays, {"table": self.preproc.table, "preproc": self.preproc.fingerprint()})

    # ---- windows ---------------------------------------------------------------------------
    @property
    def block_size(self) -> int:
        return self._block_size

    @block_size.setter
    def block_size(self, value: int) -> None:
        """Setting it recomputes the windows."""
        if not isinstance(value, int | np.integer) or value < 2:
            raise ValueError(f"block_size must be an integer >= 2, got {value!r}")
        self._block_size = int(value)
        self._windows()

    def _windows(self) -> None:
        """Index of training windows: sample, text start, first scored text token, sequence length."""
        lengths = np.diff(np.asarray(self.offsets)).astype(np.int64)
        prefix = np.asarray(self.prefix).astype(np.int64)
        b = self._block_size
        too_long = prefix >= b
        if too_long.any():
            raise ValueError(
                f"{int(too_long.sum())} sample(s) have a context of up to {int(prefix.max())} tokens, which leaves no "
                f"room for text in block_size={b}: raise block_size or shorten the contexts (max_value_chars)"
            )
        text_len = lengths - prefix  # text tokens + end
        room = b - prefix + 1  # text tokens a window holds (the input drops the last one)
        stride = np.maximum(1, room // 2)
        n_win = np.where(lengths - 1 <= b, 1, 1 + np.ceil(np.maximum(text_len - room, 0) / stride)).astype(np.int64)
        sample = np.repeat(np.arange(len(lengths)), n_win)
        k = np.arange(len(sample)) - np.repeat(np.cumsum(n_win) - n_win, n_win)  # window number within its sample
        start = k * stride[sample]
        self.win_sample = sample
        self.win_start = start
        self.win_loss = np.where(k == 0, 0, room[sample] - stride[sample])  # scored from this text index on
        self.win_len = prefix[sample] + np.minimum(room[sample], text_len[sample] - start)
        self.lengths = self.win_len - 1  # input length of each window (read by the trainer)

    def __len__(self) -> int:
        return len(self.win_sample)

    @property
    def n_samples(self) -> int:
        """Texts in the dataset (a long text may give several windows)."""
        return len(self.offsets) - 1

    def sample(self, i: int) -> np.ndarray:
        """The full token sequence of sample `i`."""
        return np.asarray(self.tokens[self.offsets[i] : self.offsets[i + 1]], dtype=np.int64)

    def collate(self, indices: np.ndarray, pack: bool = False) -> dict[str, Tensor]:
        """`input` (B, T) token ids right-padded, `target` (B, T) next tokens with IGNORE where unscored.

        With `pack=True` several windows share a row (first fit, longest first): `pos` (positions
        within each window) and `segments` (which window each position belongs to, -1: padding)
        come with the batch, and far fewer positions are computed (contexts and texts are short)."""
        idx = np.asarray(indices, dtype=np.int64)
        if idx.ndim != 1 or not len(idx):
            raise ValueError("collate needs a non-empty 1-d array of window indices")
        i = self.win_sample[idx]
        off, c = np.asarray(self.offsets[i], np.int64), np.asarray(self.prefix[i], np.int64)
        start, n = self.win_start[idx], self.win_len[idx]
        j = np.arange(int(n.max()))[None, :]  # sequence positions (1, L)
        src = off[:, None] + j + np.where(j >= c[:, None], start[:, None], 0)
        valid = j < n[:, None]
        seq = np.asarray(self.tokens[np.where(valid, src, 0)], dtype=np.int64)  # (B, L)
        seq[~valid] = self.pad_id
        target = seq[:, 1:].copy()
        pos = j[:, 1:]
        scored = (pos >= (c + self.win_loss[idx])[:, None]) & valid[:, 1:]
        target[~scored] = IGNORE
        if not pack:
            return {"input": torch.from_numpy(seq[:, :-1]), "target": torch.from_numpy(target)}
        return _packed(seq[:, :-1], target, n - 1, self.pad_id)

    def __repr__(self) -> str:
        where = f", path={str(self.path)!r}" if self.path else ""
        return (
            f"TextDataset(table={self.preproc.table!r}, samples={self.n_samples}, windows={len(self)}, "
            f"block_size={self.block_size}, max_text_len={self.max_text_len}{where})"
        )


# ---- helpers ---------------------------------------------------------------------------------
def _packed(inputs: np.ndarray, target: np.ndarray, lengths: np.ndarray, pad: int) -> dict[str, Tensor]:
    """The rows of a padded batch (B, L) packed into fewer rows of width L, each keeping its positions."""
    width = inputs.shape[1]
    row, offset, n_rows = pack_rows(lengths, width)
    x = np.full((n_rows, width), pad, dtype=np.int64)
    y = np.full((n_rows, width), IGNORE, dtype=np.int64)
    pos = np.zeros((n_rows, width), dtype=np.int64)
    seg = np.full((n_rows, width), -1, dtype=np.int64)
    for b, (r, o, m) in enumerate(zip(row, offset, lengths, strict=True)):
        x[r, o : o + m], y[r, o : o + m] = inputs[b, :m], target[b, :m]
        pos[r, o : o + m] = np.arange(m)
        seg[r, o : o + m] = b
    t = torch.from_numpy
    return {"input": t(x), "target": t(y), "pos": t(pos), "segments": t(seg)}


def _chunks(n: int, size: int) -> list[np.ndarray]:
    return [np.arange(s, min(s + size, n)) for s in range(0, n, size)]


def _counted(chunks: list[np.ndarray], total: int, desc: str) -> Iterator[np.ndarray]:
    """The chunks, their rows counted on a progress display (a bar on a terminal, else log lines)."""
    bar = progress(total, desc, "rows")
    for rows in chunks:
        yield rows
        bar.update(len(rows))
    bar.close()


def _token_dtype(vocab_size: int) -> type:
    return np.uint16 if vocab_size <= np.iinfo(np.uint16).max else np.int32


def _encode_chunk(
    preproc: TextPreproc, df, contexts: list[str], copies: list[list[str]], rows: np.ndarray, block_size: int
):
    """(flat tokens, sample lengths, prefix lengths) of the non-null texts of these rows (`copies`:
    each row's copy words)."""
    ctx = preproc.encode_contexts([contexts[r] for r in rows])
    end = preproc.end_id
    seqs, prefixes = [], []
    frame, given = df.iloc[rows], [copies[r] for r in rows]
    words = preproc.row_words(frame) if preproc.config.row_copies else {}  # a text may copy its row's earlier texts
    encoded = {
        col: encoded_texts(preproc, frame[col], col, preproc.column_copies(col, given, words))
        for col in preproc.text_columns
    }
    for col in preproc.text_columns:
        keep = np.array(sorted(encoded[col]), dtype=np.int64)
        texts = [encoded[col][k] for k in keep]
        earlier = [{c: encoded[c][k] for c in preproc.earlier_texts(col) if k in encoded[c]} for k in keep]
        pre = sample_prefixes(preproc, [ctx[k] for k in keep], col, earlier, block_size)
        seqs += [p + t + [end] for p, t in zip(pre, texts, strict=True)]
        prefixes += [len(p) for p in pre]
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    flat = np.fromiter((t for s in seqs for t in s), dtype=np.int64, count=int(lengths.sum()))
    return flat, lengths, np.array(prefixes, dtype=np.int32)


def encoded_texts(preproc: TextPreproc, values, col: str, copies: list[list[str]]) -> dict[int, list[int]]:
    """The token ids of each non-null text of `values` (one column's, a chunk's rows), by its position there."""
    values = preproc.modelled(values, col)  # JSON documents without \\u escapes
    keep = np.flatnonzero(values.notna().to_numpy())
    texts = preproc.encode([str(values.iloc[k]) for k in keep], [copies[k] for k in keep])
    return dict(zip(keep.tolist(), texts, strict=True))


def _concat(parts):
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)
    toks, lens, pre = zip(*parts, strict=True)
    return np.concatenate(toks), np.concatenate(lens), np.concatenate(pre)
