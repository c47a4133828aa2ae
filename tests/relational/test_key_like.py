"""Integer columns holding another table's keys without being declared a key (an audit log's
`entity_id`, an order's or a customer's by its `entity`): generated as numbers, they name no
generated row, so the fit warns, saying how to declare them."""

from __future__ import annotations

import logging
import subprocess
import sys

import numpy as np
import pandas as pd

from relsynth.relational import Categorical, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.relational.key_like import key_like_columns
from relsynth.synth import TabularPreproc


def shop_with_audit(n: int = 100, seed: int = 0, polymorphic: bool = True) -> RelationalData:
    """customers and orders (no key between them here), and an audit log naming either by `entity`."""
    rng = np.random.default_rng(seed)
    customers = pd.DataFrame({"id": range(1, n + 1), "segment": rng.choice(["a", "b"], n)})
    orders = pd.DataFrame({"id": range(1, 3 * n + 1), "qty": rng.integers(1, 5, 3 * n)})
    entity = ["customer"] * n + ["order"] * (3 * n)
    ids = list(range(1, n + 1)) + list(range(1, 3 * n + 1))
    audit = pd.DataFrame(
        {
            "id": range(1, 4 * n + 1),
            "entity": entity,
            "entity_id": ids if polymorphic else rng.integers(1, 5, 4 * n),
            "action": rng.choice(["create", "update"], 4 * n),
        }
    )
    schema = Schema(
        customers=Table(id=PrimaryKey(), segment=Categorical()),
        orders=Table(id=PrimaryKey(), qty=Integer()),
        audit=Table(id=PrimaryKey(), entity=Categorical(), entity_id=Integer(), action=Categorical()),
    )
    return RelationalData({"customers": customers, "orders": orders, "audit": audit}, schema)


def test_a_polymorphic_reference_is_named_with_its_tables(caplog):
    """An audit log's entity_id names an order or a customer by its entity: modelled as a number,
    45 of 197 generated audit rows of orders named a generated order (by chance), and nothing said so."""
    data = shop_with_audit()
    (note,) = key_like_columns(data)
    assert "audit.entity_id" in note and "customer -> customers, order -> orders" in note and "polymorphic" in note
    train, _ = data.split(ratio=0.2, seed=0)  # the audit rows of a part name rows of the other part too
    with caplog.at_level(logging.WARNING):
        TabularPreproc.from_schema(data.schema).fit(train)
    assert "polymorphic reference" in caplog.text


def test_an_undeclared_key_is_named_and_small_counts_are_not():
    data = shop_with_audit()
    orders = data["orders"].assign(customer=np.random.default_rng(1).integers(1, 101, 300))
    schema = Schema(
        customers=data.schema.tables["customers"],
        orders=Table(id=PrimaryKey(), qty=Integer(), customer=Integer()),
    )
    (note,) = key_like_columns(RelationalData({"customers": data["customers"], "orders": orders}, schema))
    assert note.startswith("orders.customer holds keys of customers")
    assert key_like_columns(shop_with_audit(polymorphic=False)) == []  # qty, 1 to 4: no key


def test_a_count_within_the_first_keys_of_a_table_is_no_key():
    """An order's quantity, 1 to 30, held only keys 1-30 of 50 products: every value one of their keys,
    60 % of them, so every fit warned it held product keys (the review's `/tmp/review2_keylike.py`).
    Keys a column names reach the top of the table's keys; a count from 1 stops short of them."""
    rng = np.random.default_rng(0)
    products = pd.DataFrame({"id": range(1, 51), "cat": rng.choice(["a", "b"], 50)})
    orders = pd.DataFrame({"id": range(1, 2001), "quantity": rng.integers(1, 31, 2000)})
    orders["product"] = rng.integers(1, 51, 2000)
    schema = Schema(
        products=Table(id=PrimaryKey(), cat=Categorical()),
        orders=Table(id=PrimaryKey(), quantity=Integer(), product=Integer()),
    )
    notes = key_like_columns(RelationalData({"products": products, "orders": orders}, schema))
    assert [n.split(" ")[0] for n in notes] == ["orders.product"]


def test_numbers_reaching_past_a_table_s_keys_are_no_keys():
    """Durations in seconds, 60 to 3,599, held 84 % of 2,992 invoice keys and covered more than half of
    them, so every fit of a SaaS database warned that events.duration_s held invoice keys, 'every value
    one of its keys', though a sixth of its values lay past the highest invoice key."""
    rng = np.random.default_rng(0)
    invoices = pd.DataFrame({"id": range(1, 2993), "cat": rng.choice(["a", "b"], 2992)})
    events = pd.DataFrame({"id": range(1, 2921), "duration_s": rng.integers(60, 3600, 2920)})
    schema = Schema(
        invoices=Table(id=PrimaryKey(), cat=Categorical()),
        events=Table(id=PrimaryKey(), duration_s=Integer()),
    )
    assert key_like_columns(RelationalData({"invoices": invoices, "events": events}, schema)) == []


def test_a_key_is_said_to_name_the_table_holding_all_its_values_not_a_smaller_one_within_them():
    """Keys counted from 1 in every table: a link's paper ids (1-300) hold every key of the 250
    authors too, and covering all its keys, the authors table was the one named (a user declaring
    that key as told would link each citation to an author). The table holding all the values wins."""
    rng = np.random.default_rng(0)
    papers = pd.DataFrame({"id": range(1, 301), "year": rng.integers(1990, 2024, 300)})
    authors = pd.DataFrame({"id": range(1, 251), "country": rng.choice(["US", "DE"], 250)})
    n = 900
    links = pd.DataFrame(
        {"id": range(1, n + 1), "paper_id": np.repeat(np.arange(1, 301), 3), "author_id": rng.integers(1, 251, n)}
    )
    schema = Schema(
        papers=Table(id=PrimaryKey(), year=Integer()),
        authors=Table(id=PrimaryKey(), country=Categorical()),
        links=Table(id=PrimaryKey(), paper_id=Integer(), author_id=Integer()),
    )
    notes = key_like_columns(RelationalData({"papers": papers, "authors": authors, "links": links}, schema))
    named = {note.split(" ")[0]: note.split(" ")[4] for note in notes}
    assert named == {"links.paper_id": "papers", "links.author_id": "authors"}


def test_hexadecimal_text_keys_are_read_without_crashing_the_process():
    """A commit's sha, "6991e59055083123824fa0...", is digits, an `e` and a 14-digit exponent to pandas'
    number parser, whose exponent overflows and kills the process (pandas 2.3, a segfault): the fit's
    look for key-like columns read every primary key that way. Run apart, so the crash fails one test."""
    script = """
import pandas as pd
from relsynth.relational import Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.relational.key_like import key_like_columns
shas = ["6991e59055083123824fa0c016a64c8361d4dd15", "05d6816f80bc60d4e56c20cef225bed5e4161af1"]
schema = Schema(commits=Table(sha=PrimaryKey(), additions=Integer()))
data = RelationalData({"commits": pd.DataFrame({"sha": shas, "additions": [3, 5]})}, schema)
print(key_like_columns(data))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"


def test_a_number_counting_its_parent_s_rows_is_no_key():
    """A repository's issues numbered 1..n (one repository of 148 issues), beside 150 users keyed from 1:
    every value one of the users' keys, reaching the top of them, so every fit warned that issues.number
    held user keys. Numbers that count each parent row's rows from one start are a counter, not a key;
    a key of the same values, not counting its rows, still is one."""
    rng = np.random.default_rng(0)
    users = pd.DataFrame({"id": range(1, 151), "cat": rng.choice(["a", "b"], 150)})
    repos = pd.DataFrame({"id": range(1, 11), "stars": rng.integers(0, 50, 10)})
    sizes = [148, 40, 30, 20, 10, 5, 3, 2, 1, 1]
    repo_of = np.repeat(np.arange(1, 11), sizes)
    issues = pd.DataFrame(
        {
            "id": range(1, len(repo_of) + 1),
            "repo": repo_of,
            "number": np.concatenate([np.arange(1, n + 1) for n in sizes]),
            "author": rng.integers(1, 151, len(repo_of)),
        }
    )
    schema = Schema(
        users=Table(id=PrimaryKey(), cat=Categorical()),
        repos=Table(id=PrimaryKey(), stars=Integer()),
        issues=Table(id=PrimaryKey(), repo=ForeignKey(parent="repos"), number=Integer(), author=Integer()),
    )
    notes = key_like_columns(RelationalData({"users": users, "repos": repos, "issues": issues}, schema))
    assert [n.split(" ")[0] for n in notes] == ["issues.author"]
