from __future__ import annotations

import numpy as np
import pytest
import torch

from relsynth.relational import RelationalData
from relsynth.synth.text import TextDataset, TextPreproc
from relsynth.synth.text.dataset import IGNORE


def scored_tokens(ds: TextDataset, windows: np.ndarray) -> list[int]:
    batch = ds.collate(windows)
    t = batch["target"].numpy()
    return [int(v) for v in t[t != IGNORE]]


def test_one_sample_per_non_null_text_with_loss_on_text_and_end(songs: RelationalData, song_preproc: TextPreproc):
    ds = TextDataset.from_data(songs, song_preproc)
    titles = songs["song"]["title"].dropna().tolist()
    assert ds.n_samples == len(ds) == len(titles)
    assert ds.max_text_len == int(ds.lengths.max())
    batch = ds.collate(np.arange(len(ds)))
    x, t = batch["input"], batch["target"]
    assert x.shape == t.shape and x.shape[1] == ds.max_text_len
    assert (x[:, 0] == song_preproc.bos_id).all()
    for row, title in enumerate(titles):
        scored = t[row][t[row] != IGNORE].tolist()
        assert scored[-1] == song_preproc.end_id
        assert song_preproc.decode(scored[:-1]) == title


def test_long_texts_are_windowed_with_the_context_kept(songs: RelationalData, song_preproc: TextPreproc):
    full = TextDataset.from_data(songs, song_preproc)
    prefix = int(np.max(full.prefix))
    ds = TextDataset.from_data(songs, song_preproc, block_size=prefix + 3)
    assert len(ds) > ds.n_samples  # some samples needed several windows
    assert ds.lengths.max() <= ds.block_size
    for i in range(ds.n_samples):
        windows = np.flatnonzero(ds.win_sample == i)
        seq = ds.sample(i)
        c = int(ds.prefix[i])
        assert scored_tokens(ds, windows) == seq[c:].tolist()  # every text token scored exactly once
        inputs = ds.collate(windows)["input"].numpy()
        assert (inputs[:, :c] == seq[:c]).all()  # each window starts with the context


def test_context_longer_than_block_is_a_clear_error(songs, song_preproc):
    with pytest.raises(ValueError, match="no\\s+room for text in block_size"):
        TextDataset.from_data(songs, song_preproc, block_size=4)


def test_a_table_without_any_text_is_a_clear_error(songs, song_preproc):
    frames = dict(songs.data)
    frames["song"] = frames["song"].assign(title=None)
    empty = RelationalData(frames, songs.schema)
    with pytest.raises(ValueError, match="table 'song' has no text to learn from.*\\['title'\\] is null"):
        TextDataset.from_data(empty, song_preproc)


def test_on_disk_matches_memory_and_reopens(tmp_path, songs: RelationalData, song_preproc: TextPreproc):
    mem = TextDataset.from_data(songs, song_preproc, block_size=24)
    disk = TextDataset.from_data(songs, song_preproc, on_disk=True, path=tmp_path / "ds", chunk_size=7, block_size=24)
    assert isinstance(disk.tokens, np.memmap)
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]  # written atomically, nothing left over
    again = TextDataset.from_disk(song_preproc, tmp_path / "ds", block_size=24)
    idx = np.arange(len(mem))
    for other in (disk, again):
        assert len(other) == len(mem) and other.max_text_len == mem.max_text_len
        assert sorted(map(tuple, other.collate(idx)["target"].tolist())) == sorted(
            map(tuple, mem.collate(idx)["target"].tolist())
        )  # same samples (the chunks order them by chunk, then column)


def test_on_disk_without_path_uses_a_temporary_directory(songs, song_preproc):
    ds = TextDataset.from_data(songs, song_preproc, on_disk=True)
    path = ds.path
    assert path.is_dir() and len(ds) > 0
    del ds
    import gc

    gc.collect()
    assert not path.exists()


def test_from_disk_errors(tmp_path, songs, song_preproc):
    with pytest.raises(FileNotFoundError, match="no TextDataset"):
        TextDataset.from_disk(song_preproc, tmp_path)
    TextDataset.from_data(songs, song_preproc, on_disk=True, path=tmp_path / "ds")
    other = TextPreproc.from_schema_table(songs.schema, "band", vocab_size=300).fit(songs)
    with pytest.raises(ValueError, match="another tokenizer"):
        TextDataset.from_disk(other, tmp_path / "ds")
    with pytest.raises(ValueError, match="on_disk=True"):
        TextDataset.from_data(songs, song_preproc, path=tmp_path / "x")


def test_save_writes_a_dataset_from_disk_reopens(tmp_path, songs, song_preproc):
    ds = TextDataset.from_data(songs, song_preproc, block_size=24)  # in RAM
    ds.save(tmp_path / "saved")
    again = TextDataset.from_disk(song_preproc, tmp_path / "saved", block_size=24)
    idx = np.arange(len(ds))
    for key, value in ds.collate(idx).items():
        assert torch.equal(value, again.collate(idx)[key])
