"""A database whose keys, codes, labels and texts hold hexadecimal hashes that pandas' number parser reads
as digits, an e and a huge exponent ("6991e59055083123824fa0...", which kills the process in pandas 2.3,
pandas-dev/pandas#63089) goes the whole way: SQLite, `from_sql`, `Schema.infer`, the fit, a few training
steps, generation, `to_dir` and `from_dir`. Run apart, so that a segfault fails this test, not the session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sqlite3, sys
import numpy as np, pandas as pd, torch
from relsynth.relational import RelationalData, Schema
from relsynth.synth import ModelSize, TabularDataset, TabularModel, TabularPreproc, TabularTrainer

torch.set_num_threads(1)
rng = np.random.default_rng(0)
hexd = "0123456789abcdef"


def sha(i):  # digits, an e, 14 digits (an exponent past 32 bits), then hex: pandas' parser crashes on it
    return f"{i:04d}e{rng.integers(10**13, 10**14)}" + "".join(rng.choice(list(hexd), 21))


users = pd.DataFrame({"login": [sha(i) for i in range(30)], "plan": rng.choice(["free", "1e2147483648"], 30)})
commits = pd.DataFrame({
    "sha": [sha(i) for i in range(1000, 1120)],
    "author": rng.choice(users["login"], 120),
    "tree": [sha(i) for i in range(2000, 2120)],  # a code: one hash a row
    "branch": rng.choice(["main", "5e12345678901", "dev"], 120),  # a label
    "message": [f"merge {sha(i)} into {sha(i + 1)} after review" for i in range(120)],  # text
    "additions": rng.integers(0, 500, 120),
})
path = sys.argv[1]
con = sqlite3.connect(f"{path}/db.sqlite")
con.execute("CREATE TABLE users (login TEXT PRIMARY KEY, plan TEXT)")
con.execute("CREATE TABLE commits (sha TEXT PRIMARY KEY, author TEXT REFERENCES users(login), tree TEXT, "
            "branch TEXT, message TEXT, additions INTEGER)")
con.executemany("INSERT INTO users VALUES (?, ?)", users.itertuples(index=False))
con.executemany("INSERT INTO commits VALUES (?, ?, ?, ?, ?, ?)",
                [tuple(r) for r in commits.astype(object).itertuples(index=False)])
con.commit()
con.close()
read = RelationalData.from_sql(f"sqlite:///{path}/db.sqlite")
assert sorted(read["commits"]["sha"]) == sorted(commits["sha"])
schema = Schema.infer({"users": users, "commits": commits}, primary_keys={"users": "login", "commits": "sha"},
                      foreign_keys={"commits": {"author": "users"}})
for data in (read, RelationalData({"users": users, "commits": commits}, schema)):
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    torch.manual_seed(0)
    model = TabularModel.build(preproc=pre, size=ModelSize(n_layers=1, h=2, d=16))
    TabularTrainer(model=model).train(dataset=TabularDataset.from_data(data=data, preproc=pre), n_steps=3,
                                      batch_size=8, lr=3e-3)
    synth = model.generate(n_samples=10, seed=0)
    synth.to_dir(f"{path}/synth")
    back = RelationalData.from_dir(f"{path}/synth")
    print(len(back["users"]), sorted(back["commits"].columns))
"""


def test_hash_valued_keys_codes_labels_and_texts_go_the_whole_way_without_crashing(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"rc {proc.returncode}: {proc.stderr[-3000:]}"
    columns = "['additions', 'author', 'branch', 'message', 'sha', 'tree']"
    assert proc.stdout.splitlines() == [f"10 {columns}", f"10 {columns}"]
