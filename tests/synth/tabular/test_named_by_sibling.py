"""A reference kept among a sibling table's: a user's tags name movies the user rated, after rating them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import RelationalData, Schema
from relsynth.synth import TabularDataset, TabularModel, TabularModelSize, TabularPreproc, TabularTrainer


def ratings_db(n_users: int = 80, n_movies: int = 60, seed: int = 0, rated: bool = True) -> dict[str, pd.DataFrame]:
    """MovieLens in small: users rate 3 to 12 movies (unix-epoch integer timestamps) and tag some of
    them a while after rating them (`rated` False: tags name any movie, at any time)."""
    rng = np.random.default_rng(seed)
    ratings, tags = [], []
    for u in range(1, n_users + 1):
        start = int(rng.integers(1_000_000_000, 1_400_000_000))
        for m in rng.choice(n_movies, int(rng.integers(3, 13)), replace=False):
            t = start + int(rng.integers(0, 86400 * 365))
            ratings.append((u, int(m) + 1, float(rng.integers(1, 11)) / 2, t))
            if rng.random() < 0.3:
                movie, when = (int(m) + 1, t + int(rng.integers(60, 86400 * 3))) if rated else (0, 0)
                if not rated:
                    movie, when = int(rng.integers(1, n_movies + 1)), int(rng.integers(1_000_000_000, 1_500_000_000))
                tags.append((u, movie, str(rng.choice(["funny", "dark", "classic", "slow"])), when))
    tags_frame = pd.DataFrame(tags, columns=["user_id", "movie_id", "tag", "timestamp"])
    return {
        "users": pd.DataFrame({"user_id": range(1, n_users + 1), "gender": rng.choice(["M", "F"], n_users)}),
        "movies": pd.DataFrame(
            {"movie_id": range(1, n_movies + 1), "genre": rng.choice(["Drama", "Comedy"], n_movies)}
        ),
        "ratings": pd.DataFrame(ratings, columns=["user_id", "movie_id", "rating", "timestamp"]),
        "tags": tags_frame.drop_duplicates(["user_id", "movie_id"]),
    }


def _data(frames: dict[str, pd.DataFrame]) -> RelationalData:
    schema = Schema.infer(
        frames,
        primary_keys={"users": "user_id", "movies": "movie_id", "ratings": ["user_id", "movie_id"]},
        foreign_keys={
            "ratings": {"user_id": "users", "movie_id": "movies"},
            "tags": {"user_id": "users", "movie_id": "movies"},
        },
    )
    return RelationalData(frames, schema)


def test_a_users_tags_name_movies_it_rated_after_rating_them():
    """Tags and ratings drawn apart: 39 and 41 of 61 tags of a MovieLens-like database's tiny model
    (generation seeds 0, 1; /tmp/world_work/ml_repro.py) named a movie their user never rated, and
    here 120 of 142 (11 before their rating), where every tag of the data names a rated one, after
    its rating. Now every generated tag whose user rated as many movies names one of them (3 here
    had more tags than ratings) and comes after that rating, its timestamp a whole number still."""
    data = _data(ratings_db())
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rule = pre.stats["references"]["tags.movie_id"]["named_by"]
    assert (rule["table"], rule["fk"], rule["dates"]) == ("ratings", "movie_id", ["timestamp", "timestamp"])
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=TabularModelSize(n_layers=1, h=2, d=16), block_size=128)
    TabularTrainer(model, calibrate_counts=False).train(
        TabularDataset.from_data(data, pre, block_size=128), n_steps=3, batch_size=8, progress=False
    )
    synth = model.generate(n_samples=100, seed=0)
    tags, ratings = synth["tags"], synth["ratings"]
    assert len(tags) > 20
    both = tags.merge(ratings, on=["user_id", "movie_id"], how="left", suffixes=("", "_rating"))
    rated = ratings.groupby("user_id").size().reindex(tags["user_id"]).fillna(0).to_numpy()
    tagged = tags.groupby("user_id")["user_id"].transform("size").to_numpy()
    room = rated >= tagged  # an untrained model's user with more tags than ratings: some stay as drawn
    assert room.sum() > 20 and both["rating"][room].notna().all()
    assert (both["timestamp"] >= both["timestamp_rating"])[both["rating"].notna()].all()
    assert not tags.duplicated(["user_id", "movie_id"]).any()
    assert str(tags["timestamp"].dtype) == "Int64"


def test_tags_of_any_movie_keep_no_rule():
    """Tags naming movies at random (a user's rated ones only by chance) keep none."""
    data = _data(ratings_db(rated=False))
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["references"]["tags.movie_id"]["named_by"] is None
