"""Copy tokens: a text may repeat its parent's text words (album "Led Zeppelin IV" of the artist
"Led Zeppelin"), words the k-anonymous vocabulary lacks, without the model learning those words."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import torch

from relsynth.relational import ForeignKey, Identifier, PrimaryKey, RelationalData, Schema, Table, Text
from relsynth.synth.text import TextDataset, TextModel, TextPreproc, TextTrainer

SCHEMA = Schema(
    artist=Table(id=PrimaryKey(), name=Text()),
    album=Table(id=PrimaryKey(), artist=ForeignKey(parent="artist"), title=Text()),
)
GENERIC = ["Greatest Hits", "Night Songs", "Live Songs", "Greatest Night"]


def _name(rng: np.random.Generator) -> str:
    """A made-up one-word name (each artist's own: never a word token)."""
    return str(rng.choice(list("BCDFGKLMNPRSTVZ"))) + "".join(rng.choice(list("aeioubcdfgklmnprstvz"), 6))


def artists_and_albums(n_artists: int, seed: int) -> RelationalData:
    """Every artist has a unique name; half its albums are titled "<name> Live", half generic."""
    rng = np.random.default_rng(seed)
    names = [_name(rng) for _ in range(n_artists)]
    albums = []
    for i, name in enumerate(names):
        for k in range(4):
            title = f"{name} Live" if k % 2 == 0 else GENERIC[(i + k) % len(GENERIC)]
            albums.append((len(albums) + 1, i + 1, title))
    frames = {
        "artist": pd.DataFrame({"id": range(1, n_artists + 1), "name": names}),
        "album": pd.DataFrame(albums, columns=["id", "artist", "title"]),
    }
    return RelationalData(frames, SCHEMA)


def trained(data: RelationalData, n_steps: int) -> TextModel:
    """A small album-title model trained on `data` for `n_steps` steps."""
    pre = TextPreproc.from_schema_table(SCHEMA, "album", vocab_size=300).fit(data)
    torch.manual_seed(0)
    model = TextModel.build(pre, size="small", block_size=64)
    TextTrainer(model).train(TextDataset.from_data(data, pre, block_size=64), n_steps=n_steps, batch_size=32)
    return model


def test_copy_words_are_the_parents_text_words_and_encode_as_copy_tokens():
    data = artists_and_albums(6, seed=0)
    pre = TextPreproc.from_schema_table(SCHEMA, "album", vocab_size=300).fit(data)
    copies = pre.copy_words(data)
    name = data["artist"]["name"][0]
    assert copies[0] == [name] and len(copies) == len(data["album"])
    title = f"{name} Live {name}"
    (ids,) = pre.encode([title], [copies[0]])
    assert ids.count(pre.copy_base) == 1 and ids.count(pre.copy_base + 1) == 1  # "<name>" then " <name>"
    assert pre.decode(ids, copies[0]) == title  # a copy token writes the row's word
    assert pre.decode(ids, ["Other"]) == "Other Live Other"
    assert pre.decode(ids) == " Live"  # no copy words: nothing
    (plain,) = pre.encode([title])  # without copy words: spelled
    assert pre.decode(plain) == title and not any(i >= pre.copy_base for i in plain)
    common = pre.encode([" Live"], [["Live"]])[0]
    assert all(i < pre.copy_base for i in common)  # a word token stays a word token


def test_copy_tokens_only_where_enough_texts_repeat_their_parent():
    data = artists_and_albums(40, seed=0)
    pre = TextPreproc.from_schema_table(SCHEMA, "album", vocab_size=300).fit(data)
    assert pre.config.stats["title"].copy_rate == pytest.approx(0.5) and pre.config.copy_slots == 8
    album = data["album"].copy()
    album.loc[album.index[4:], "title"] = "Greatest Hits"  # 2 of 160 titles repeat their artist now
    rare = RelationalData({**data.data, "album": album}, SCHEMA)
    pre = TextPreproc.from_schema_table(SCHEMA, "album", vocab_size=300).fit(rare)
    assert pre.config.stats["title"].copy_rate == pytest.approx(2 / 160) and pre.config.copy_slots == 0
    assert pre.vocab_size == pre.n_bpe + len(pre.config.words)


def test_copy_slots_are_validated_and_zero_means_no_copy_tokens():
    data = artists_and_albums(6, seed=0)
    for bad in (-1, 65, True, 2.5):
        with pytest.raises(ValueError, match="copy_slots"):
            TextPreproc.from_schema_table(SCHEMA, "album", copy_slots=bad)
    pre = TextPreproc.from_schema_table(SCHEMA, "album", vocab_size=300, copy_slots=0).fit(data)
    assert pre.vocab_size == pre.n_bpe + len(pre.config.words)
    assert pre.copy_words(data) == [[]] * len(data["album"])
    root = TextPreproc.from_schema_table(SCHEMA, "artist", vocab_size=300).fit(data)
    assert root.copy_words(data) == [[]] * len(data["artist"])  # no parent: nothing to copy
    assert root.config.copy_slots == 0 and root.vocab_size == root.n_bpe + len(root.config.words)


def test_the_model_repeats_a_parents_name_it_never_saw_in_training(tmp_path):
    train = artists_and_albums(40, seed=1)
    model = trained(train, n_steps=150)
    pre = model.preproc
    new = artists_and_albums(30, seed=2)  # other names: none of them was ever a training text
    assert not set(new["artist"]["name"]) & set(train["artist"]["name"])
    out = model.generate(new, seed=0)
    names = new["artist"].set_index("id")["name"]
    titles = out["album"]["title"].dropna()
    repeats = np.mean([names[a] in t for t, a in zip(titles, out["album"]["artist"][titles.index], strict=True)])
    assert repeats > 0.3  # half the real titles repeat the name
    words = set(pre.config.words)
    for t, a in zip(titles, out["album"]["artist"][titles.index], strict=True):  # any other word is a word token
        assert all(p in words or p.strip() == names[a] for p in re.findall(r" ?[^\W\d_]+", t))
    model.save(tmp_path / "m")
    again = TextModel.load(tmp_path / "m").generate(new, seed=0)  # copy tokens survive a save
    assert again["album"]["title"].equals(out["album"]["title"])


def test_without_the_parents_text_no_copy_token_is_drawn(monkeypatch):
    data = artists_and_albums(20, seed=0)
    model = trained(data, n_steps=60)
    pre = model.preproc
    artist = data["artist"].assign(name=None)  # the artists' names not generated yet
    blank = RelationalData({**data.data, "artist": artist}, SCHEMA)
    assert pre.copy_words(blank) == [[]] * len(data["album"])
    drawn: list[list[int]] = []
    decode = pre.decode_batch
    monkeypatch.setattr(pre, "decode_batch", lambda ids, copies=None: drawn.extend(ids) or decode(ids, copies))
    model.generate(blank, seed=0, temp=1.5)
    assert drawn and not any(i >= pre.copy_base for ids in drawn for i in ids)  # masked: no word to copy
    drawn.clear()
    model.generate(data, seed=0, temp=1.5)
    assert any(i >= pre.copy_base for ids in drawn for i in ids)  # with the names there, the model copies


CODES = Schema(
    account=Table(id=PrimaryKey(), domain=Identifier()),
    contact=Table(id=PrimaryKey(), account=ForeignKey(parent="account"), email=Text()),
)


def accounts_and_contacts(n_accounts: int, seed: int) -> RelationalData:
    """Each account's domain is a code (`globex17.com`); its contacts' e-mails are `first.last@<domain>`."""
    rng = np.random.default_rng(seed)
    firsts, lasts = ["anna", "ben", "carla", "david"], ["smith", "jones", "brown", "lee"]
    domains = [
        f"{w}{rng.integers(10, 999)}.{t}"
        for w, t in zip(
            rng.choice(["globex", "acme", "hooli"], n_accounts), rng.choice(["com", "io"], n_accounts), strict=True
        )
    ]
    emails = [(a + 1, f"{rng.choice(firsts)}.{rng.choice(lasts)}@{d}") for a, d in enumerate(domains) for _ in range(3)]
    contacts = [(i + 1, a, e) for i, (a, e) in enumerate(emails)]
    frames = {
        "account": pd.DataFrame({"id": range(1, n_accounts + 1), "domain": domains}),
        "contact": pd.DataFrame(contacts, columns=["id", "account", "email"]),
    }
    return RelationalData(frames, CODES)


def test_an_email_repeats_its_parents_domain_code():
    # the domain is an identifier (no text, no context field: its generated codes are fresh), so before copy_codes
    # no e-mail could write its account's domain: 0 of 60 did (60 of 60 with it)
    train = accounts_and_contacts(40, seed=1)
    pre = TextPreproc.from_schema_table(CODES, "contact", vocab_size=300).fit(train)
    torch.manual_seed(0)
    model = TextModel.build(pre, size="small", block_size=64)
    TextTrainer(model).train(TextDataset.from_data(train, pre, block_size=64), n_steps=80, batch_size=32)
    new = accounts_and_contacts(20, seed=2)
    out = model.generate(new, seed=0)
    domains = new["account"].set_index("id")["domain"]
    emails = out["contact"]
    same = np.mean([str(e).endswith("@" + domains[a]) for e, a in zip(emails["email"], emails["account"], strict=True)])
    assert same > 0.8


SUPPORT = Schema(
    customer=Table(id=PrimaryKey(), name=Text()),
    ticket=Table(id=PrimaryKey(), customer=ForeignKey(parent="customer"), subject=Text()),
    message=Table(id=PrimaryKey(), ticket=ForeignKey(parent="ticket"), body=Text()),
)
FIRST_NAMES = ["Anna", "Ben", "Carla", "David", "Emma", "Felix", "Grace", "Henry", "Iris", "Jack", "Karen", "Liam"]


def customers_tickets_messages(n_customers: int, seed: int, greet: bool = True) -> RelationalData:
    """Each customer's messages answer "<greeting> <first name>, ..." (`greet`), else a greeting naming nobody."""
    rng = np.random.default_rng(seed)
    names = [f"{rng.choice(FIRST_NAMES)} {rng.choice(['Smith', 'Jones', 'Brown'])}" for _ in range(n_customers)]
    tickets, messages = [], []
    for c, name in enumerate(names):
        for _ in range(2):
            tickets.append((len(tickets) + 1, c + 1, str(rng.choice(["Login problem", "Refund request"]))))
            for _ in range(2):
                who = name.split()[0] if greet else "there"
                body = f"{rng.choice(['Hi', 'Dear'])} {who}, {rng.choice(['we fixed it', 'please try again'])}."
                messages.append((len(messages) + 1, len(tickets), body))
    frames = {
        "customer": pd.DataFrame({"id": range(1, n_customers + 1), "name": names}),
        "ticket": pd.DataFrame(tickets, columns=["id", "customer", "subject"]),
        "message": pd.DataFrame(messages, columns=["id", "ticket", "body"]),
    }
    return RelationalData(frames, SUPPORT)


def test_a_message_greets_the_customer_two_tables_up():
    # the customer's name is a grandparent's text (no context field, and its first names are word tokens), so before
    # ancestor copies a greeting named the right customer only by chance: 14 of 160 did (160 of 160 with them)
    train = customers_tickets_messages(60, seed=1)
    pre = TextPreproc.from_schema_table(SUPPORT, "message", vocab_size=300).fit(train)
    assert pre.config.ancestor_copies == ["customer.name"]
    torch.manual_seed(0)
    model = TextModel.build(pre, size="small", block_size=64)
    TextTrainer(model).train(TextDataset.from_data(train, pre, block_size=64), n_steps=80, batch_size=32)
    new = customers_tickets_messages(40, seed=2)
    out = model.generate(new, seed=0)
    first = new["customer"].set_index("id")["name"].str.split().str[0]
    customer = new["ticket"].set_index("id")["customer"]
    named = [
        str(b).split(",")[0].split()[-1] == first[customer[t]] for b, t in out["message"][["body", "ticket"]].values
    ]
    assert np.mean(named) > 0.8


def test_no_ancestor_copies_where_texts_name_nobody():
    plain = customers_tickets_messages(60, seed=1, greet=False)
    pre = TextPreproc.from_schema_table(SUPPORT, "message", vocab_size=300).fit(plain)
    assert pre.config.ancestor_copies == [] and pre.config.copy_slots == 0
    assert pre.copy_words(plain) == [[]] * len(plain["message"])
