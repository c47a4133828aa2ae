"""Text model benchmark on Chinook: album titles and track names, held-out split.

For each text column: train a TextModel on the training split (early stopping on a slice of
it), then on the held-out split report
- perplexity per token and bits per character, and the same with the texts shuffled across
  rows (how much the model uses the context: shuffled must be clearly worse),
- texts generated for the held-out rows' contexts against the real held-out texts: length
  (mean characters, Kolmogorov-Smirnov distance), word vocabulary overlap (Jaccard with the
  held-out words; reference: a same-size sample of training texts), out-of-vocabulary words,
- copies: share of texts found verbatim in the training texts (real held-out vs synthetic),
- from_pretrained: album titles fine-tuned from the track-name model (tokens mapped by
  string), against a model trained from scratch for the same time,
- consistency: a naive Bayes classifier trained on real (track name -> genre) scores real
  held-out names and synthetic names against their rows' genres (and shuffled synthetic as
  chance); the share of texts sharing a word with the parent's text (album title -> artist
  name, track name -> album title).

    python benchmarks/text.py                      # both tables, defaults (< 5 min on 1 thread)
    python benchmarks/text.py --tables track --epochs 40 --size medium --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import logging
import math
import re
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from scipy.stats import ks_2samp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB

from relsynth.relational import RelationalData, Schema
from relsynth.synth import EarlyStop, TrainHook, Validation
from relsynth.synth.text import TextDataset, TextModel, TextPreproc, TextTrainer
from relsynth.synth.text.dataset import IGNORE

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = {"album": "title", "track": "name"}
PARENT_TEXT = {"album": ("artist", "artist", "name"), "track": ("album", "album", "title")}  # fk, table, column


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tables", nargs="+", default=["track", "album"], choices=sorted(COLUMNS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0], help="split and training seeds")
    p.add_argument("--size", default="small", help="small, medium or large")
    p.add_argument("--vocab-size", type=int, default=512)
    p.add_argument("--epochs", type=int, default=40, help="at most; early stopping on a validation slice")
    p.add_argument("--track-seconds", type=float, default=150, help="training time budget for track names")
    p.add_argument("--album-seconds", type=float, default=35, help="training time budget for album titles")
    p.add_argument(
        "--no-pretrain",
        dest="pretrain",
        action="store_false",
        help="train album titles from scratch instead of fine-tuning the track-name model",
    )
    p.add_argument(
        "--no-compare-scratch",
        dest="compare_scratch",
        action="store_false",
        help="skip the from-scratch album model trained for comparison",
    )
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--block-size", type=int, default=128)
    p.add_argument("--temp", type=float, default=1.0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--data", type=Path, default=ROOT / "data/01_raw/chinook")
    p.add_argument("--schema", type=Path, default=ROOT / "conf/base/schema_chinook.yml")
    return p.parse_args()


# ---- measures --------------------------------------------------------------------------------
@torch.no_grad()
def nll(model: TextModel, ds: TextDataset, batch_size: int = 64) -> tuple[float, int]:
    """Summed negative log-likelihood (nats) and number of scored tokens."""
    model.eval()
    total, count = 0.0, 0
    for s in range(0, len(ds), batch_size):
        batch = ds.collate(np.arange(s, min(s + batch_size, len(ds))))
        logits, _ = model(batch)
        target = batch["target"]
        total += float(F.cross_entropy(logits.flatten(0, 1), target.flatten(), ignore_index=IGNORE, reduction="sum"))
        count += int((target != IGNORE).sum())
    return total, count


def perplexity(model: TextModel, data: RelationalData, table: str, col: str) -> tuple[float, float]:
    """(perplexity per token, bits per character) of the real texts of `data`."""
    ds = TextDataset.from_data(data, model.preproc, block_size=model.max_block_size)
    total, count = nll(model, ds)
    texts = data[table][col].dropna()
    chars = int(texts.str.len().sum()) + len(texts)  # + one "end" per text
    return math.exp(total / count), total / math.log(2) / chars


def shuffled(data: RelationalData, table: str, col: str, seed: int) -> RelationalData:
    df = data[table]
    perm = np.random.default_rng(seed).permutation(len(df))
    return RelationalData({**data.data, table: df.assign(**{col: df[col].to_numpy()[perm]})}, data.schema)


def words(texts) -> list[str]:
    return [w for t in texts for w in re.findall(r"\w+", str(t).lower())]


def jaccard(a, b) -> float:
    a, b = set(a), set(b)
    return len(a & b) / max(len(a | b), 1)


def shares_parent_word(data: RelationalData, table: str, col: str) -> float:
    fk, parent, pcol = PARENT_TEXT[table]
    df = data[table]
    ptext = data[parent].set_index(data.schema.tables[parent].primary_key)[pcol]
    hits = [
        bool({w for w in words([t]) if len(w) >= 4} & set(words([ptext.get(k, "")])))
        for t, k in zip(df[col], df[fk], strict=True)
        if isinstance(t, str)
    ]
    return float(np.mean(hits))


def genre_classifier(train: RelationalData):
    names = train["track"]["name"].fillna("")
    vec = CountVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=True)
    clf = MultinomialNB(alpha=0.5).fit(vec.fit_transform(names), train["track"]["genre"].to_numpy())
    return lambda texts: clf.predict(vec.transform(pd.Series(texts).fillna("")))


# ---- training --------------------------------------------------------------------------------
class TimeBudget(TrainHook):
    """Stops training after `seconds` (the best validated weights are kept by the trainer)."""

    def __init__(self, seconds: float):
        super().__init__(each=1, trigger="step")
        self.seconds = seconds

    def _setup(self) -> None:
        self.started = time.perf_counter()

    def _hook(self, n: int) -> None:
        if time.perf_counter() - self.started > self.seconds:
            self.trainer.stop_requested = True


def train_model(args, table: str, train: RelationalData, seed: int, init: Path | None, seconds: float):
    """(model, epochs run, seconds) trained on 90% of `train`, early-stopped on the rest."""
    fit_part, valid_part = train.split(0.1, seed + 1)
    pre = TextPreproc.from_schema_table(train.schema, table, vocab_size=args.vocab_size).fit(train)
    ds_fit = TextDataset.from_data(fit_part, pre, block_size=args.block_size)
    ds_valid = TextDataset.from_data(valid_part, pre, block_size=args.block_size)
    torch.manual_seed(seed)
    if init is None:
        model = TextModel.build(pre, size=args.size, block_size=args.block_size, dropout=args.dropout)
    else:
        model = TextModel.build_from_pretrained(pre, init, block_size=args.block_size)
    started = time.perf_counter()
    result = TextTrainer(model).train(
        ds_fit,
        n_epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        valid=Validation(dataset=ds_valid, early_stop=EarlyStop(patience=3)),
        hooks=[TimeBudget(seconds)],
        seed=seed,
    )
    return model, result.n_epochs, time.perf_counter() - started


# ---- one text column -------------------------------------------------------------------------
def run_table(args, table: str, train: RelationalData, test: RelationalData, seed: int, init: Path | None):
    col = COLUMNS[table]
    seconds = args.track_seconds if table == "track" else args.album_seconds
    model, epochs, train_s = train_model(args, table, train, seed, init, seconds)
    rows_init = []
    if init is not None and args.compare_scratch:
        scratch, _, _ = train_model(args, table, train, seed, None, seconds)
        ppl0, bpc0 = perplexity(scratch, test, table, col)
        rows_init = [("", "from scratch: perplexity, bits/char", "", f"{ppl0:.1f}, {bpc0:.2f}")]
    ppl, bpc = perplexity(model, test, table, col)
    ppl_shuf, bpc_shuf = perplexity(model, shuffled(test, table, col, seed), table, col)
    started = time.perf_counter()
    synth = model.generate(test, seed=seed, temp=args.temp)
    gen_s = time.perf_counter() - started

    real, fake = test[table][col].dropna(), synth[table][col].dropna()
    train_texts = set(train[table][col].dropna())
    train_words = set(words(train_texts))
    sample = train[table][col].dropna().sample(len(real), random_state=seed)
    rows = [
        (f"{table}.{col}", "texts (held-out)", len(real), len(fake)),
        ("", "init", "", "fine-tuned from track.name" if init else "from scratch"),
        ("", "params / train s / gen s", model.n_params(), f"{train_s:.0f} / {gen_s:.1f}"),
        ("", "epochs", "", f"{epochs:.1f}"),
        ("", "perplexity / token", "", f"{ppl:.1f}  (shuffled ctx {ppl_shuf:.1f})"),
        ("", "bits / char", "", f"{bpc:.2f}  (shuffled ctx {bpc_shuf:.2f})"),
        *rows_init,
        ("", "mean chars", f"{real.str.len().mean():.1f}", f"{fake.str.len().mean():.1f}"),
        ("", "mean words", f"{len(words(real)) / len(real):.2f}", f"{len(words(fake)) / len(fake):.2f}"),
        ("", "KS length (chars)", "", f"{ks_2samp(real.str.len(), fake.str.len()).statistic:.3f}"),
        (
            "",
            "word Jaccard vs held-out",
            f"{jaccard(words(sample), words(real)):.3f} (train sample)",
            f"{jaccard(words(fake), words(real)):.3f}",
        ),
        (
            "",
            "words unseen in train",
            f"{np.mean([w not in train_words for w in words(real)]):.3f}",
            f"{np.mean([w not in train_words for w in words(fake)]):.3f}",
        ),
        (
            "",
            "copied verbatim from train",
            f"{real.isin(train_texts).mean():.3f}",
            f"{fake.isin(train_texts).mean():.3f}",
        ),
        (
            "",
            "shares a word with parent text",
            f"{shares_parent_word(test, table, col):.3f}",
            f"{shares_parent_word(synth, table, col):.3f}",
        ),
    ]
    if table == "track":
        predict = genre_classifier(train)
        genre = test["track"]["genre"].to_numpy()
        fake_all = synth["track"]["name"].to_numpy()
        perm = np.random.default_rng(seed).permutation(len(fake_all))
        rows.append(
            (
                "",
                "genre accuracy (NB on names)",
                f"{np.mean(predict(test['track']['name']) == genre):.3f}",
                f"{np.mean(predict(fake_all) == genre):.3f}  (shuffled {np.mean(predict(fake_all[perm]) == genre):.3f})",
            )
        )
    examples = pd.DataFrame(
        {"real": test[table][col].head(6).to_numpy(), "synthetic": synth[table][col].head(6).to_numpy()}
    )
    print(f"\n{table}.{col}, seed {seed}: first held-out rows\n{examples.to_string(index=False)}")
    return rows, model


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    logging.basicConfig(level=logging.WARNING)
    data = RelationalData.from_dir(args.data, schema=Schema.from_yaml(args.schema))
    rows = []
    for seed in args.seeds:
        train, test = data.split(0.1, seed)
        init = None
        with tempfile.TemporaryDirectory() as tmp:
            for table in sorted(args.tables, key=["track", "album"].index):
                table_rows, model = run_table(args, table, train, test, seed, init if args.pretrain else None)
                rows += [(f"{r[0]} s{seed}" if r[0] else "", *r[1:]) for r in table_rows]
                if table == "track":
                    init = Path(tmp) / "track_model"
                    model.save(init)
    table = pd.DataFrame(rows, columns=["column", "measure", "real held-out", "synthetic"])
    print(f"\nText model benchmark (Chinook, size={args.size}, vocab={args.vocab_size}, threads={args.threads})")
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
