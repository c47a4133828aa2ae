"""A small corpus for the text model: bands -> songs whose titles follow their genre."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from relsynth.relational import Categorical, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table, Text
from relsynth.synth.text import TextDataset, TextModel, TextModelSize, TextPreproc, TextTrainer

WORDS = {
    1: ["Rock", "Thunder", "Highway", "Fire"],
    2: ["Blue", "Night", "Café", "Naïve"],
    3: ["東京", "Sakura", "夜", "Tōkyō 😀"],
}
TINY = TextModelSize(n_layers=1, h=2, d=32)


def song_schema() -> Schema:
    return Schema(
        band=Table(id=PrimaryKey(), name=Text(), country=Categorical()),
        song=Table(
            id=PrimaryKey(),
            band=ForeignKey(parent="band"),
            genre=ForeignKey(parent="genre"),
            seconds=Integer(),
            title=Text(),
        ),
        genre=Table(id=PrimaryKey(), name=Categorical()),
        lookups=["genre"],
    )


def make_songs(n_bands: int = 12, songs_per_band: int = 6, null_every: int = 4, seed: int = 0) -> RelationalData:
    """Titles are two words of the song's genre; every `null_every`-th title is null."""
    rng = np.random.default_rng(seed)
    band = pd.DataFrame(
        {
            "id": range(1, n_bands + 1),
            "name": [f"The Band {i}" for i in range(1, n_bands + 1)],
            "country": ["BR" if i % 2 else "JP" for i in range(n_bands)],
        }
    )
    rows = []
    for b in range(1, n_bands + 1):
        for _ in range(songs_per_band):
            g = 1 + (b + len(rows)) % 3
            words = rng.choice(WORDS[g], size=2)
            title = None if null_every and len(rows) % null_every == 0 else " ".join(words)
            rows.append((len(rows) + 1, b, g, int(rng.integers(100, 400)), title))
    song = pd.DataFrame(rows, columns=["id", "band", "genre", "seconds", "title"])
    genre = pd.DataFrame({"id": [1, 2, 3], "name": ["Rock", "Jazz", "J-Pop"]})
    return RelationalData({"band": band, "song": song, "genre": genre}, song_schema())


@pytest.fixture(name="make_songs")
def make_songs_fixture():
    """The corpus factory: `make_songs(n_bands, songs_per_band, null_every, seed)`."""
    return make_songs


@pytest.fixture(name="genre_words")
def genre_words_fixture() -> dict[int, list[str]]:
    return WORDS


@pytest.fixture(name="tiny_size")
def tiny_size_fixture() -> TextModelSize:
    return TINY


@pytest.fixture(scope="module")
def songs() -> RelationalData:
    return make_songs()


@pytest.fixture(scope="module")
def song_preproc(songs) -> TextPreproc:
    return TextPreproc.from_schema_table(songs.schema, "song", vocab_size=320).fit(songs)


@pytest.fixture(scope="module")
def trained(songs, song_preproc) -> TextModel:
    """A tiny model trained for a few seconds on the song titles."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # module-scoped: set up before the per-test thread fixture
    try:
        torch.manual_seed(0)
        model = TextModel.build(song_preproc, size=TINY, block_size=64)
        ds = TextDataset.from_data(songs, song_preproc, block_size=64)
        TextTrainer(model).train(ds, n_epochs=40, batch_size=16, lr=1e-2, min_steps=0)
    finally:
        torch.set_num_threads(before)
    return model
