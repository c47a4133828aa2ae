"""The text models' spelling modes side by side on the main job's output: per Chinook text column,
the share of generated words seen in training, of word pairs seen in training, of whole values
copied from training, the length KS complement against the held-out texts and the mean length,
for `spell_words` False (word tokens only), True (spelled as spelled) and "replace" — the text
scores of the evaluation report (`relsynth.eval.text.column_text_scores`).

Needs a finished `kedro run` (data/02_intermediate, data/06_models/text_models,
data/07_model_output/synthetic_tabular). The modes are forced, so models of any age do.

    python benchmarks/text_spelling.py [--seed 0]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import torch

from relsynth.datasets import RelationalDataDataset
from relsynth.eval.text import column_text_scores
from relsynth.relational import RelationalData
from relsynth.synth import TextModel, fill_texts

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = [("artist", "name"), ("album", "title"), ("track", "name")]
SCORES = {  # column_text_scores key -> the table's heading
    "vocab_seen_share": "words seen in train",
    "bigram_seen_share": "word pairs seen",
    "verbatim_share": "copies",
    "length": "length KS compl. (%)",
    "length_mean_synth": "mean chars",
}


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

    def scores(data: RelationalData, table: str, column: str) -> dict:
        return column_text_scores(test[table][column], data[table][column], train[table][column])

    rows = [("held-out", c, scores(test, *c)) for c in COLUMNS]
    for mode in (False, True, "replace"):
        out = fill_texts(synthetic, models, avoid=train, seed=args.seed, spell_words=mode)
        rows += [(str(mode), c, scores(out, *c)) for c in COLUMNS]
    print("| column | mode | " + " | ".join(SCORES.values()) + " |")
    print("|---|---|" + "---|" * len(SCORES))
    for mode, (table, column), m in sorted(rows, key=lambda r: COLUMNS.index(r[1])):
        print(f"| {table}.{column} | {mode} | " + " | ".join(f"{m[k]:.2f}" for k in SCORES) + " |")


if __name__ == "__main__":
    main()
