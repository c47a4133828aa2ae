"""Text model benchmark: does generated text read as real? Chinook and a docstring database.

For every text column (Chinook's artist.name, album.title, track.name and the `function.doc`
column of a database of the Python standard library's docstrings, built here with `inspect`),
train a text model with the *library's defaults* on a training split
(`TextPreproc.from_schema_table(schema, table).fit(train)`, `TextModel.build(preproc)`,
`TextTrainer(model).train(ds, n_epochs=E, batch_size=32)`, nothing else), generate a text for
every held-out row and compare with the real held-out texts (in brackets in the table):

- word-seen: share of generated words (lowercase `\\w+`) found in the training texts;
- bigram: share of generated word pairs found in the training texts (word order real texts use);
  `loo` beside the held-out share is what held-out texts reuse on average: the share of the
  training texts' pairs that another root entity's texts also use (a held-out set of ~30 names
  swings by +-0.09 from split to split; this estimate uses every training text);
- stray: share of texts starting or ending with whitespace or doubling a space (no line break);
- invalid: share of texts holding U+FFFD or a control/format character the training texts never had;
- copies: share of texts equal to a training text; sent8: share holding a training sentence of
  >= 8 words verbatim (long texts);
- KS: KS complement of the character lengths (1: same distribution); cut: texts that reached
  max_text_len without their end (reported by the model, where it reports it);
- consistency: genre accuracy of a naive Bayes classifier trained on real track names (rows'
  genres; shuffled synthetic names as chance) and, for album titles, the share sharing a word
  (>= 4 letters) with the artist's name.

`--before SRC` runs the same measures, in a subprocess, on the code at SRC (a `src/` folder of
an older checkout, first on PYTHONPATH), and prints both: e.g.

    git worktree add --detach /tmp/relsynth_before <commit>
    python benchmarks/text.py --before /tmp/relsynth_before/src       # ~ a few minutes on 1 thread
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import logging
import os
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml
from scipy.stats import ks_2samp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB

from relsynth.eval.text import bigram_reused_share
from relsynth.pipelines.text_training.nodes import build_text_model, encode_text_dataset, fit_text_preproc
from relsynth.relational import (
    Categorical,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
    Text,
)
from relsynth.synth.text import TextDataset, TextModel, TextPreproc, TextTrainer

ROOT = Path(__file__).resolve().parents[1]
CHINOOK = {"artist": "name", "album": "title", "track": "name"}
STDLIB = """abc argparse ast asyncio base64 bisect calendar cmath codecs collections colorsys configparser
contextlib copy csv dataclasses datetime decimal difflib dis email.message enum filecmp fnmatch fractions
ftplib functools getopt gettext glob gzip hashlib heapq hmac html http.client imaplib inspect io ipaddress
itertools json logging mailbox math mimetypes operator os os.path pathlib pickle pkgutil platform plistlib
poplib pprint queue quopri random re reprlib sched secrets selectors shlex shutil smtplib socket sqlite3 ssl
statistics string struct subprocess sysconfig tarfile tempfile textwrap threading timeit tokenize trace
traceback types typing unittest urllib.parse urllib.request uuid warnings wave weakref xml.dom.minidom
xml.etree.ElementTree zipfile zoneinfo""".split()


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--datasets", nargs="+", default=["chinook", "docstrings"], choices=["chinook", "docstrings", "tpch"]
    )
    p.add_argument(
        "--epochs",
        type=epochs_arg,
        default=12,
        help='epochs at batch 32 (the issue\'s library-defaults run), or "auto"',
    )
    p.add_argument("--tpch-sf", type=float, default=0.01, help="scale factor of the tpch dataset (orders.o_comment)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--before", type=Path, help="src/ folder of the code to compare against (run in a subprocess)")
    p.add_argument("--json", type=Path, help="write this run's results here (used for --before)")
    p.add_argument("--before-json", type=Path, help="results of an earlier --json run to print as 'before'")
    p.add_argument("--samples", type=int, default=5)
    p.add_argument(
        "--kedro",
        action="store_true",
        help="the Kedro job's settings (conf/base/parameters_text_training.yml: tokenizer, model size, epochs, "
        "batch, lr, sampling, avoid=train) instead of the library's defaults; --epochs is then ignored",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="GROUP.KEY=VALUE",
        help="with --kedro, override one parameter (YAML value), e.g. --set text_training.n_epochs=4",
    )
    return p.parse_args()


def kedro_params(overrides: list[str]) -> dict:
    """The text parameter groups of conf/base, with `GROUP.KEY=VALUE` overrides (values read as YAML)."""
    params = yaml.safe_load((ROOT / "conf/base/parameters_text_training.yml").read_text())
    for item in overrides:
        key, _, value = item.partition("=")
        group, _, name = key.partition(".")
        if group not in params or not name or not _:
            raise SystemExit(f"--set {item!r}: give GROUP.KEY=VALUE with GROUP one of {sorted(params)}")
        params[group][name] = yaml.safe_load(value)
    return params


def epochs_arg(value: str) -> int | str:
    return value if value == "auto" else int(value)


# ---- data ------------------------------------------------------------------------------------
def chinook() -> RelationalData:
    return RelationalData.from_dir(
        ROOT / "data/01_raw/chinook", schema=Schema.from_yaml(ROOT / "conf/base/schema_chinook.yml")
    )


def docstrings(min_chars: int = 100, max_chars: int = 500) -> RelationalData:
    """module -> function: the docstring of every public function, class and method of ~100
    standard-library modules (whitespace collapsed, cut at `max_chars`; those under `min_chars`
    left out: a multi-sentence column)."""
    modules, rows = [], []
    for name in STDLIB:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        modules.append((len(modules) + 1, name))
        for obj_name, obj in sorted(vars(mod).items()):
            if obj_name.startswith("_") or getattr(obj, "__module__", None) != mod.__name__:
                continue
            members = [("function", obj)] if inspect.isfunction(obj) else []
            if inspect.isclass(obj):
                members = [("class", obj)] + [
                    ("method", m)
                    for k, m in sorted(vars(obj).items())
                    if inspect.isfunction(m) and not k.startswith("_")
                ]
            for kind, m in members:
                doc = inspect.getdoc(m)
                if not doc:
                    continue
                text = " ".join(doc.split())[:max_chars].strip()
                if len(text) < min_chars:
                    continue
                try:
                    n_params = len(inspect.signature(m).parameters)
                except (TypeError, ValueError):
                    n_params = 0
                rows.append((len(rows) + 1, len(modules), kind, n_params, text))
    schema = Schema(
        module=Table(id=PrimaryKey(), name=Categorical()),
        function=Table(
            id=PrimaryKey(), module=ForeignKey(parent="module"), kind=Categorical(), n_params=Integer(), doc=Text()
        ),
    )
    frames = {
        "module": pd.DataFrame(modules, columns=["id", "name"]),
        "function": pd.DataFrame(rows, columns=["id", "module", "kind", "n_params", "doc"]),
    }
    return RelationalData(frames, schema)


def tpch_comments(sf: float) -> RelationalData:
    """TPC-H customer -> orders with the orders' free-text `o_comment` (15,000 orders at sf 0.01,
    ~49 characters each): a text column of a larger table (needs the bench extra)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from tpch import tpch_in_memory

    con = tpch_in_memory(sf)
    customer = con.execute("SELECT c_custkey, c_mktsegment, c_acctbal FROM customer").df()
    orders = con.execute(
        "SELECT o_orderkey, o_custkey, o_orderstatus, o_orderpriority, o_totalprice, o_comment FROM orders"
    ).df()
    con.close()
    for df, c in ((customer, "c_acctbal"), (orders, "o_totalprice")):
        df[c] = df[c].astype("float64")  # DECIMAL arrives as object
    schema = Schema(
        customer=Table(c_custkey=PrimaryKey(), c_mktsegment=Categorical(), c_acctbal=Numeric()),
        orders=Table(
            o_orderkey=PrimaryKey(),
            o_custkey=ForeignKey(parent="customer"),
            o_orderstatus=Categorical(),
            o_orderpriority=Categorical(),
            o_totalprice=Numeric(),
            o_comment=Text(),
        ),
    )
    return RelationalData({"customer": customer, "orders": orders}, schema)


# ---- measures --------------------------------------------------------------------------------
def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def bigrams(text: str) -> list[tuple[str, str]]:
    w = words(text)
    return list(zip(w, w[1:], strict=False))


def sentences8(text: str) -> list[tuple[str, ...]]:
    return [tuple(w) for s in re.split(r"(?<=[.!?])\s+", text) if len(w := words(s)) >= 8]


def unusual(c: str) -> bool:
    return c == "\ufffd" or unicodedata.category(c).startswith("C")


def stray_space(text: str) -> bool:
    """Starts or ends with whitespace, or holds two whitespace characters in a row (no line break)."""
    return text[:1].isspace() or text[-1:].isspace() or bool(re.search(r"[^\S\n\r]{2}", text))


def text_measures(train: list[str], texts: list[str]) -> dict:
    train_words = {w for t in train for w in words(t)}
    train_bigrams = {b for t in train for b in bigrams(t)}
    train_sent = {s for t in train for s in sentences8(t)}
    train_chars = {c for t in train for c in t if unusual(c)}
    ws = [w for t in texts for w in words(t)]
    bs = [b for t in texts for b in bigrams(t)]
    return {
        "word_seen": float(np.mean([w in train_words for w in ws])) if ws else float("nan"),
        "bigram": float(np.mean([b in train_bigrams for b in bs])) if bs else float("nan"),
        "invalid": float(np.mean([any(unusual(c) and c not in train_chars for c in t) for t in texts])),
        "copies": float(np.mean([t in set(train) for t in texts])),
        "sent8": float(np.mean([any(s in train_sent for s in sentences8(t)) for t in texts])),
        "mean_chars": float(np.mean([len(t) for t in texts])),
        "stray_space": float(np.mean([stray_space(t) for t in texts])),
    }


def genre_accuracy(train: RelationalData, test: RelationalData, names: np.ndarray) -> float:
    vec = CountVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=True)
    real = train["track"]["name"].fillna("")
    clf = MultinomialNB(alpha=0.5).fit(vec.fit_transform(real), train["track"]["genre"].to_numpy())
    pred = clf.predict(vec.transform(pd.Series(names).fillna("")))
    return float(np.mean(pred == test["track"]["genre"].to_numpy()))


def shares_artist_word(data: RelationalData) -> float:
    artist = data["artist"].set_index("id")["name"]
    hits = [
        bool({w for w in words(t) if len(w) >= 4} & set(words(str(artist.get(a, "")))))
        for t, a in zip(data["album"]["title"], data["album"]["artist"], strict=True)
        if isinstance(t, str)
    ]
    return float(np.mean(hits))


# ---- one column ------------------------------------------------------------------------------
def run_column(args, name: str, table: str, col: str, train: RelationalData, test: RelationalData) -> dict:
    started = time.perf_counter()
    torch.manual_seed(args.seed)
    if args.kedro:
        model, result, synth, gen_s = run_kedro_settings(args, table, train, test)
        train_s = result.seconds
    else:
        preproc = TextPreproc.from_schema_table(train.schema, table).fit(train)
        model = TextModel.build(preproc)
        ds = TextDataset.from_data(train, preproc)
        result = TextTrainer(model).train(ds, n_epochs=args.epochs, batch_size=32, seed=args.seed)
        train_s = time.perf_counter() - started
        started = time.perf_counter()
        synth = model.generate(test, seed=args.seed)
        gen_s = time.perf_counter() - started
    real_train = [str(t) for t in train[table][col].dropna()]
    real, fake = test[table][col].dropna().astype(str), synth[table][col].dropna().astype(str)
    out = {
        "real": text_measures(real_train, list(real)),
        "synth": text_measures(real_train, list(fake)),
        "ks": float(1 - ks_2samp(real.str.len(), fake.str.len()).statistic),
        "loo_bigram": bigram_reused_share(train, table, col),
        "train_s": train_s,
        "steps": result.n_steps,
        "texts_per_s": len(fake) / gen_s,
        "cut": getattr(model, "last_generation", {}).get(col, {}).get("truncated"),
        "samples_real": list(real.sample(min(args.samples, len(real)), random_state=1)),
        "samples_synth": list(fake.sample(min(args.samples, len(fake)), random_state=1)),
    }
    if name == "track.name":
        names = synth["track"]["name"].to_numpy(dtype=object)
        perm = np.random.default_rng(args.seed).permutation(len(names))
        out["consistency"] = {
            "real": genre_accuracy(train, test, test["track"]["name"].to_numpy(dtype=object)),
            "synth": genre_accuracy(train, test, names),
            "chance": genre_accuracy(train, test, names[perm]),
        }
    if name == "album.title":
        out["consistency"] = {"real": shares_artist_word(test), "synth": shares_artist_word(synth)}
    return out


def run_kedro_settings(args, table: str, train: RelationalData, test: RelationalData):
    """(model, TrainResult, synthetic test data, generation seconds) with the Kedro job's text
    parameters (`--set` overrides), through its nodes where they return what is measured here."""
    p = kedro_params(args.set)
    preproc = fit_text_preproc(train, p["text_preproc"], table=table)
    model = build_text_model(preproc, p["text_architecture"], args.seed)
    ds = encode_text_dataset(train, preproc, p["text_architecture"]["block_size"])
    result = TextTrainer(model).train(ds, **{**p["text_training"], "seed": args.seed})
    started = time.perf_counter()
    synth = model.generate(test, avoid=train, **{**p["text_generation"], "seed": args.seed})
    return model, result, synth, time.perf_counter() - started


def measure(args) -> dict:
    results = {}
    if "chinook" in args.datasets:
        train, test = chinook().split(0.1, args.seed)
        for table, col in CHINOOK.items():
            results[f"{table}.{col}"] = run_column(args, f"{table}.{col}", table, col, train, test)
            print(f"  {table}.{col} done", file=sys.stderr, flush=True)
    if "docstrings" in args.datasets:
        train, test = docstrings().split(0.2, args.seed)
        results["function.doc"] = run_column(args, "function.doc", "function", "doc", train, test)
    if "tpch" in args.datasets:
        train, test = tpch_comments(args.tpch_sf).split(0.1, args.seed)
        results["orders.o_comment"] = run_column(args, "orders.o_comment", "orders", "o_comment", train, test)
    return results


# ---- report ----------------------------------------------------------------------------------
def _number(value: float | None) -> float:
    return float("nan") if value is None else value


def table(before: dict | None, after: dict) -> pd.DataFrame:
    rows = []
    for name, a in after.items():
        sides = ([("before", before[name])] if before and name in before else []) + [("after", a)]
        for side, r in sides:
            s, h = r["synth"], r["real"]
            cons = r.get("consistency")
            rows.append(
                {
                    "column": name,
                    "code": side,
                    "word-seen": f"{s['word_seen']:.2f} [{h['word_seen']:.2f}]",
                    "bigram": f"{s['bigram']:.2f} [{h['bigram']:.2f}; loo {_number(r.get('loo_bigram')):.2f}]",
                    "invalid": f"{100 * s['invalid']:.1f}% [{100 * h['invalid']:.1f}%]",
                    "copies": f"{s['copies']:.2f} [{h['copies']:.2f}]",
                    "sent8": f"{s['sent8']:.2f} [{h['sent8']:.2f}]",
                    "stray": f"{100 * _number(s.get('stray_space')):.1f}% [{100 * _number(h.get('stray_space')):.1f}%]",
                    "KS": f"{r['ks']:.2f}",
                    "chars": f"{s['mean_chars']:.0f} [{h['mean_chars']:.0f}]",
                    "cut": "n/a" if r["cut"] is None else str(r["cut"]),
                    "consistency": "" if not cons else f"{cons['synth']:.2f} [{cons['real']:.2f}]",
                    "steps": str(r.get("steps", "")),
                    "train s": f"{r['train_s']:.0f}",
                    "texts/s": f"{r['texts_per_s']:.0f}",
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    logging.basicConfig(level=logging.ERROR)
    before = json.loads(args.before_json.read_text()) if args.before_json else None
    if args.before is not None:
        out = args.before_json or Path(os.environ.get("TMPDIR", "/tmp")) / f"relsynth_text_before_{os.getpid()}.json"
        env = {**os.environ, "PYTHONPATH": str(args.before.resolve())}
        cmd = [sys.executable, __file__, "--json", str(out), "--epochs", str(args.epochs), "--seed", str(args.seed)]
        cmd += ["--datasets", *args.datasets, "--threads", str(args.threads), "--samples", str(args.samples)]
        cmd += (["--kedro"] if args.kedro else []) + [f"--set={item}" for item in args.set]
        print(f"before: {' '.join(cmd)} (PYTHONPATH={args.before})", file=sys.stderr, flush=True)
        subprocess.run(cmd, env=env, check=True)
        before = json.loads(out.read_text())
    after = measure(args)
    if args.json is not None:
        args.json.write_text(json.dumps(after))
        return
    pd.set_option("display.width", 250)
    settings = (
        f"the Kedro job's settings{' with ' + ', '.join(args.set) if args.set else ''}"
        if args.kedro
        else f"library defaults, {args.epochs} epochs at batch 32"
    )
    print(f"\nText benchmark: {settings}, seed {args.seed}, {args.threads} thread(s)")
    print("[real held-out texts in brackets]; consistency: track genre accuracy / album-artist shared word\n")
    print(table(before, after).to_string(index=False))
    for name, a in after.items():
        print(f"\n{name}: samples (held-out real | before | after)")
        b = before.get(name, {}).get("samples_synth", []) if before else []
        for i, real in enumerate(a["samples_real"]):
            print(f"  real  : {real!r}")
            if i < len(b):
                print(f"  before: {b[i]!r}")
            print(f"  after : {a['samples_synth'][i]!r}")


if __name__ == "__main__":
    main()
