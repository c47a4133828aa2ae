"""The text models' spelling modes side by side on the main job's output: per Chinook text column,
the share of generated words seen in training, of word pairs seen in training, of whole values
copied from training, the length KS complement against the held-out texts and the mean length,
for `spell_words` False (word tokens only), True (spelled as spelled) and "replace".

Needs a finished `kedro run` (data/02_intermediate, data/06_models/text_models,
data/07_model_output/synthetic_tabular). The modes are forced, so models of any age do.

    python benchmarks/text_spelling.py [--seed 0]
"""

from __future__ import annotations

import argparse
import re
import warnings
from pathlib import Path

import numpy as np
import torch
from numeric_tails import ks  # benchmarks/, this script's folder

from relsynth.datasets import RelationalDataDataset
from relsynth.relational import RelationalData
from relsynth.synth import TextModel, fill_texts

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = [("artist", "name"), ("album", "title"), ("track", "name")]


def words(text: str) -> list[str]:
    return re.findall(r"\w+", str(text).lower())


def pairs(text: str) -> list[tuple[str, str]]:
    w = words(text)
    return list(zip(w, w[1:], strict=False))


def measure(texts: list[str], train: list[str], held_out: list[str]) -> dict[str, float]:
    vocab = {w for t in train for w in words(t)}
    pair_vocab = {p for t in train for p in pairs(t)}
    ws = [w for t in texts for w in words(t)]
    ps = [p for t in texts for p in pairs(t)]
    lengths = np.array([len(t) for t in texts])
    return {
        "words_seen": float(np.mean([w in vocab for w in ws])) if ws else 0.0,
        "pairs_seen": float(np.mean([p in pair_vocab for p in ps])) if ps else 0.0,
        "copies": float(np.mean([t in set(train) for t in texts])),
        "length_ks": ks(np.array([len(t) for t in held_out]), lengths),
        "mean_chars": float(lengths.mean()),
    }


def values(data: RelationalData, table: str, column: str) -> list[str]:
    return [str(v) for v in data[table][column].dropna()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    load = lambda part: RelationalDataDataset(path=str(ROOT / "data" / part)).load()  # noqa: E731
    train, test = load("02_intermediate/database_train"), load("02_intermediate/database_test")
    synthetic = load("07_model_output/synthetic_tabular")
    models = [TextModel.load(ROOT / "data/06_models/text_models" / t) for t, _ in COLUMNS]
    rows = [("held-out", c, measure(values(test, *c), values(train, *c), values(test, *c))) for c in COLUMNS]
    for mode in (False, True, "replace"):
        out = fill_texts(synthetic, models, avoid=train, seed=args.seed, spell_words=mode)
        rows += [(str(mode), c, measure(values(out, *c), values(train, *c), values(test, *c))) for c in COLUMNS]
    keys = ["words_seen", "pairs_seen", "copies", "length_ks", "mean_chars"]
    print("| column | mode | " + " | ".join(keys) + " |")
    print("|---|---|" + "---|" * len(keys))
    for mode, (table, column), m in sorted(rows, key=lambda r: COLUMNS.index(r[1])):
        print(f"| {table}.{column} | {mode} | " + " | ".join(f"{m[k]:.2f}" for k in keys) + " |")


if __name__ == "__main__":
    main()
