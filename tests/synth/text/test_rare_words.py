"""Rare words replaced by word tokens of the same shape (`spell_words="replace"` / `"auto"`)."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from relsynth.synth.text._generate import spelling_mode
from relsynth.synth.text._rare_words import RareWordReplacer, context_words, shape
from relsynth.synth.text.preproc import WORD_PIECE

WORDS = ["The", " Rock", " Guitars", " Orchestra", " Symphony", " of", " the", "Live", " 1999", " ROCK", " a"]


def test_unknown_words_become_word_tokens_of_their_shape_and_known_ones_stay():
    replacer = RareWordReplacer(WORDS)
    rng = np.random.default_rng(0)
    out, n = replacer("The Zorblax of the Quintessentialities", rng)
    pieces = re.findall(r" ?[^\W\d_]+| ?\d+", out)
    assert n == 2 and out.startswith("The ") and " of the " in out
    assert all(p in WORDS for p in pieces)  # every word written is a word token
    assert pieces[1] == " Guitars" and shape(pieces[1]) == shape(" Zorblax")  # title case, 5-7 letters
    assert pieces[-1] in (" Orchestra", " Symphony")  # a long title-case word for a long one


def test_numbers_take_a_real_number_or_random_digits_of_the_same_count():
    rng = np.random.default_rng(0)
    assert RareWordReplacer(WORDS)(" 2024", rng)[0] == " 1999"
    out, n = RareWordReplacer(["Live"])(" 123456", rng)
    assert n == 1 and re.fullmatch(r" [1-9]\d{5}", out) and out != " 123456"


def test_a_number_keeps_its_count_of_digits_and_its_zero_padding():
    rng = np.random.default_rng(0)
    replacer = RareWordReplacer(["Customer", "Tel", "1800", " 13", " 25"])
    for _ in range(20):
        out, n = replacer("Customer#000000145-989", rng)  # no 9- or 3-digit number word: drawn digits
        assert n == 2 and re.fullmatch(r"Customer#000000[1-9]\d\d-[1-9]\d\d", out), out
    assert replacer("Tel 41", rng)[0] in ("Tel 13", "Tel 25")  # a 2-digit number word


def test_numbers_come_from_the_texts_numbers_not_from_the_rounded_contexts():
    import pandas as pd

    from relsynth.relational import Numeric, PrimaryKey, RelationalData, Schema, Table, Text
    from relsynth.synth.text import TextPreproc

    n = 40
    frame = pd.DataFrame(
        {
            "id": range(n),
            "amount": [5_900 + i for i in range(n)],  # every context says amount=5900 (2 significant digits)
            "note": [f"Room {4200 + i % 2} of {1000 + i}" for i in range(n)],  # 4200, 4201 shared; the rest one each
        }
    )
    data = RelationalData({"t": frame}, Schema(t=Table(id=PrimaryKey(), amount=Numeric(), note=Text())))
    pre = TextPreproc.from_schema_table(data.schema, "t", vocab_size=300).fit(data)
    assert "5900" in pre.config.words and "5900" not in pre.config.text_numbers  # a context's rounded number
    assert {" 4200", " 4201"} <= set(pre.config.text_numbers)
    replacer = RareWordReplacer(pre.config.words, numbers=pre.config.text_numbers)
    rng = np.random.default_rng(0)
    assert {replacer(" 9999", rng)[0] for _ in range(30)} == {" 4200", " 4201"}


def test_a_word_without_any_real_word_of_its_kind_is_left_out_never_kept():
    out, n = RareWordReplacer([" 1999"])("Zorblax", np.random.default_rng(0))
    assert out == "" and n == 1


def test_a_spelled_word_of_the_rows_context_stays_and_other_rare_words_go():
    rng = np.random.default_rng(0)
    context = "year=1971; band.name=Led Zeppelin"
    out, n = RareWordReplacer(WORDS)(" Zeppelin Zorblax 1971 Zep", rng, context)
    assert out.startswith(" Zeppelin ") and " 1971 " in out  # copied from the context: kept
    assert n == 2 and "Zorblax" not in out and not out.endswith(" Zep")  # a prefix of a context word is no copy
    assert RareWordReplacer(WORDS)(" Zeppelin", rng)[0] != " Zeppelin"  # without that context: replaced
    assert context_words(context) == {"year", "1971", "band", "name", "Led", "Zeppelin"}


@pytest.mark.parametrize(
    ("mode", "rate", "expected"), [("auto", 0.64, "replace"), ("auto", 0.36, False), (True, 0.9, True)]
)
def test_auto_replaces_only_where_most_words_were_rare(mode, rate, expected):
    assert spelling_mode(mode, rate) == expected


def test_generation_with_replace_writes_only_word_tokens_or_words_of_the_rows_context(trained, songs):
    words = set(trained.preproc.config.words)
    out = trained.generate(songs, seed=0, spell_words="replace", temp=1.5)
    contexts = trained.preproc.contexts(out)
    titles = out["song"]["title"]
    pieces = [
        (p, c)
        for t, c in zip(titles, contexts, strict=True)
        if isinstance(t, str)
        for p in WORD_PIECE.findall(t)  # Han characters one by one
        if not p.strip().isdigit()
    ]
    assert pieces and all(p in words or p.lstrip(" ") in context_words(c) for p, c in pieces)
    with pytest.raises(TypeError, match="spell_words"):
        trained.generate(songs, seed=0, spell_words="sometimes")


# " Zorb" (title case, 3-4 letters) has eight words of its shape; two pair with "The"
TITLE_WORDS = ["The", " Best", " Moon", " Fire", " Rain", " Blue", " Soul", " Gold", " Star", " Orchestra", " Symphony"]
PAIRS = {"the best": 3, "the moon": 1}


def _pair_rate(replacer: RareWordReplacer, n: int = 400) -> float:
    rng = np.random.default_rng(0)
    return float(np.mean([replacer("The Zorb", rng)[0] in ("The Best", "The Moon") for _ in range(n)]))


def test_replaced_words_form_the_pairs_real_texts_use_as_often_as_real_texts_reuse_pairs():
    for share in (0.5, 0.8):  # above the 2 in 8 that uniform choices give
        assert abs(_pair_rate(RareWordReplacer(TITLE_WORDS, PAIRS, pair_share=share)) - share) < 0.02
    replacer = RareWordReplacer(TITLE_WORDS, PAIRS, pair_share=1.0)
    rng = np.random.default_rng(0)
    chosen = [replacer("The Zorb", rng)[0] for _ in range(400)]
    assert set(chosen) == {"The Best", "The Moon"}
    assert 0.65 < chosen.count("The Best") / 400 < 0.85  # weighted by the entities using each pair: 3 to 1
    assert replacer.pairs_total == 400 and replacer.pairs_seen == 400


def test_without_pairs_or_a_share_every_word_of_the_shape_is_equally_likely():
    for replacer in (RareWordReplacer(TITLE_WORDS), RareWordReplacer(TITLE_WORDS, PAIRS, pair_share=0.0)):
        assert 0.18 < _pair_rate(replacer, 800) < 0.32  # 2 in 8


def test_a_replaced_word_pairs_with_the_known_word_after_it_and_keeps_its_shape():
    replacer = RareWordReplacer(TITLE_WORDS + [" Symphonic"], {"symphony orchestra": 2}, pair_share=1.0)
    rng = np.random.default_rng(0)
    assert replacer("The Zorblax Orchestra", rng)[0] == "The Symphony Orchestra"
    out = replacer("Zorblax Orchestra", rng)[0]  # no word of its shape (no leading space) pairs: any word
    assert out == "The Orchestra"


def test_a_contraction_is_no_word_to_replace():
    out, n = RareWordReplacer(WORDS)("Zorblax's Rock", np.random.default_rng(0))
    assert out.endswith("'s Rock") and n == 1  # "'s" is the tokenizer's piece, not the word "s"


def test_generation_passes_each_columns_word_pairs_to_its_replacer(trained, songs):
    from relsynth.synth.text._generate import RowWords, _decoder, _replacer

    words = [w for w in trained.preproc.config.words if re.fullmatch(r" [A-Z][a-z]+", w)]  # " Rock", " Blue"
    a, b = words[0].strip().lower(), words[1].strip().lower()
    stats = replace(trained.preproc.config.stats["title"], word_pairs={f"{a} {b}": 2}, pair_share=1.0)  # a copy
    ids = trained.preproc.encode([f"{words[0]} Zq"])[0]
    decode = _decoder(trained.preproc, _replacer(trained.preproc, stats), np.random.default_rng(0))
    texts = decode([ids] * 20, [RowWords("", [])] * 20)
    assert set(texts) == {words[0] + words[1]}  # every replaced word pairs with the one before


# ---- the promise, end to end: no word fewer than word_k root entities use is written whole ----------------------
COMMON = ["the", "red", "blue", "night", "rock", "love", "song", "city", "of", "and", "Big", "Live", "Disc", "42"]


def _private_corpus(seed: int, n_roots: int = 30):
    """Roots with a name and children with a title, half of whose words one entity alone uses:
    letters (Title or lower case) and long numbers (a phone or account number)."""
    import pandas as pd

    from relsynth.relational import Categorical, ForeignKey, PrimaryKey, RelationalData, Schema, Table, Text

    rng = np.random.default_rng(seed)

    def text(n_words: int) -> str:
        words = []
        for _ in range(n_words):
            kind = rng.integers(4)
            if kind == 0:  # one entity's word
                word = "".join(rng.choice(list("bcdfghklmnprstvz"), int(rng.integers(3, 9))))
                words.append(word.title() if rng.random() < 0.5 else word)
            elif kind == 1:  # one entity's number
                words.append(str(rng.integers(10**6, 10**9)))
            else:
                words.append(str(rng.choice(COMMON)))
        return " ".join(words)

    roots = pd.DataFrame(
        {"id": range(1, n_roots + 1), "name": [text(int(rng.integers(1, 4))) for _ in range(n_roots)]}
    ).assign(kind=rng.choice(["a", "b"], n_roots))
    rows = [(e, text(int(rng.integers(1, 6)))) for e in range(1, n_roots + 1) for _ in range(int(rng.integers(1, 5)))]
    child = pd.DataFrame({"id": range(1, len(rows) + 1), "root": [r[0] for r in rows], "title": [r[1] for r in rows]})
    schema = Schema(
        root=Table(id=PrimaryKey(), name=Text(), kind=Categorical()),
        child=Table(id=PrimaryKey(), root=ForeignKey(parent="root"), title=Text()),
    )
    return RelationalData({"root": roots, "child": child}, schema)


def _words(text: str) -> list[str]:
    """The letter and number pieces of `text` as written, without their leading space."""
    from relsynth.synth.text.preproc import PIECES, WORD_PIECE

    return [p.lstrip(" ") for p in PIECES.findall(text) if WORD_PIECE.fullmatch(p)]


def _users(data) -> dict[str, set]:
    """Word (as `_words` gives it) -> the root entities whose texts use it."""
    from relsynth.synth.text.preproc import entity_ids

    out: dict[str, set] = {}
    for table, col in (("root", "name"), ("child", "title")):
        entity = entity_ids(data.schema, data, table)
        for row, value in enumerate(data[table][col].to_numpy(dtype=object)):
            for w in _words(value) if isinstance(value, str) else ():
                out.setdefault(w, set()).add(entity[row])
    return out


def _one_entitys_texts(data, table: str, col: str) -> set[str]:
    """The texts of `col` that one root entity alone holds (those `avoid` samples again)."""
    from relsynth.synth.text.preproc import entity_ids

    entity = entity_ids(data.schema, data, table)
    holders: dict[str, set] = {}
    for row, value in enumerate(data[table][col].to_numpy(dtype=object)):
        if isinstance(value, str):
            holders.setdefault(value, set()).add(entity[row])
    return {t for t, who in holders.items() if len(who) < 2}


@pytest.mark.parametrize("seed", range(3))
def test_no_word_fewer_than_word_k_entities_use_is_generated(seed: int, tiny_size):
    """The k-anonymous vocabulary, whatever the corpus and the mode (True excepted: it spells by
    design): every word written is one no entity used (a random number) or >= word_k used. Texts
    are written parents first on a database whose texts are blank, as the Kedro job does; with
    `avoid`, the training texts one entity alone holds left are the copies counted."""
    import pandas as pd
    import torch

    from relsynth.relational import RelationalData
    from relsynth.synth.text import TextDataset, TextModel, TextPreproc, TextTrainer, fill_texts

    data = _private_corpus(seed)
    users = _users(data)
    models = []
    for table in ("root", "child"):
        pre = TextPreproc.from_schema_table(data.schema, table, vocab_size=320).fit(data)
        torch.manual_seed(seed)
        model = TextModel.build(pre, size=tiny_size, block_size=64)
        TextTrainer(model).train(TextDataset.from_data(data, pre, block_size=64), n_steps=120, batch_size=16, lr=1e-2)
        models.append(model)
    blank = RelationalData(
        {t: df.assign(**{c: pd.NA for c in data.schema.tables[t].text_columns}) for t, df in data.data.items()},
        data.schema,
    )
    for mode in (False, "replace", "auto"):
        out = fill_texts(blank, models, seed=seed, spell_words=mode, avoid=data)
        for model, (table, col) in zip(models, (("root", "name"), ("child", "title")), strict=True):
            texts = out[table][col].dropna().tolist()
            rare = [w for t in texts for w in _words(t) if 0 < len(users.get(w, ())) < 2]
            assert not rare, (mode, table, rare, texts[:10])
            copies = sum(t in _one_entitys_texts(data, table, col) for t in texts)
            assert copies == model.last_generation[col]["copies"], (mode, table)


def test_a_table_without_word_tokens_writes_no_word_rather_than_spell_one(tiny_size, caplog):
    """No word is used by word_k entities (a tiny table): every word is rare, so none is written
    (the model spelled its training texts back word for word), and fit says so."""
    import pandas as pd
    import torch

    from relsynth.relational import PrimaryKey, RelationalData, Schema, Table, Text
    from relsynth.synth.text import TextDataset, TextModel, TextPreproc, TextTrainer

    texts = ["Zorblax Quentin 5551234", "Mirabel Oskarson", "Tiberius 0987654"]
    data = RelationalData(
        {"t": pd.DataFrame({"id": [1, 2, 3], "x": texts})}, Schema(t=Table(id=PrimaryKey(), x=Text()))
    )
    pre = TextPreproc.from_schema_table(data.schema, "t", vocab_size=300).fit(data)
    assert pre.config.words == [] and "no word tokens" in caplog.text
    torch.manual_seed(0)
    model = TextModel.build(pre, size=tiny_size, block_size=64)
    TextTrainer(model).train(TextDataset.from_data(data, pre, block_size=64), n_steps=60, batch_size=3, lr=1e-2)
    for mode in (False, "replace", "auto"):
        out = model.generate(data, seed=0, spell_words=mode)["t"]["x"].dropna().tolist()
        assert not [w for t in out for w in _words(t) if not w.isdigit()], (mode, out)
        assert not set(w for t in out for w in _words(t)) & set(w for t in texts for w in _words(t)), (mode, out)


def test_a_replacement_word_keeps_the_script_of_the_spelled_word():
    """The shape had no script: a spelled Arabic or Chinese word (case 'other') fell back to any word of
    the table, 'digit' or 'which' from an English column of it. It now stays in its script, and is left
    out where the vocabulary has no word of it."""
    words = ["digit", " which", " Магазин", "北", "京", " جديد", " سوق"]
    replacer = RareWordReplacer(words)
    rng = np.random.default_rng(0)
    for _ in range(20):
        text, n = replacer("深 مكتبة", rng)
        assert n == 2 and text[:1] in "北京" and text[1:] in (" جديد", " سوق"), text
    assert replacer("दुकान", rng) == ("", 1)  # no Devanagari word at all


def test_texts_left_empty_for_want_of_any_word_are_counted_and_named(tiny_size, caplog):
    """A league's 8 teams, each name and city its own (the one word two teams use a number): every
    generated team name and city was written "" into the synthetic SQLite, with no word of it in
    the log. Such texts are now counted (`emptied`) and named in a warning."""
    import pandas as pd
    import torch

    from relsynth.relational import PrimaryKey, RelationalData, Schema, Table, Text
    from relsynth.synth.text import TextDataset, TextModel, TextPreproc, TextTrainer

    names = ["Lyon Rovers", "Porto United", "Bremen Athletic", "Turin City", "Leeds 1900", "Ghent 1900"]
    data = RelationalData(
        {"t": pd.DataFrame({"id": range(1, 7), "x": names})}, Schema(t=Table(id=PrimaryKey(), x=Text()))
    )
    pre = TextPreproc.from_schema_table(data.schema, "t", vocab_size=300).fit(data)
    torch.manual_seed(0)
    model = TextModel.build(pre, size=tiny_size, block_size=64)
    TextTrainer(model).train(TextDataset.from_data(data, pre, block_size=64), n_steps=60, batch_size=6, lr=1e-2)
    out = model.generate(data, seed=0, spell_words="replace")["t"]["x"].tolist()
    emptied = sum(not t.strip() for t in out)
    assert emptied > 0, out  # the case itself: words of no shape the vocabulary holds are left out
    assert model.last_generation["x"]["emptied"] == emptied
    assert f"t.x: {emptied} of 6 generated texts are empty" in caplog.text


# ---- a column of a dozen names, each its own: new spellings where the vocabulary has too few words ----------------
DEPARTMENTS = ["Finance", "Sales", "Engineering", "Support", "Legal", "Marketing", "Operations", "Research"]
DEPARTMENTS += ["Logistics", "Procurement", "Quality", "Facilities"]


def test_a_spelled_name_that_copies_a_training_word_is_respelled_into_a_new_one():
    """Every spelled name here is one of the training names or holds one ("Saleses"): each comes back
    a new word of the column's case and lengths, joined from two of its names, copying none."""
    from relsynth.synth.text._rare_words import NewSpellings

    spellings = NewSpellings(DEPARTMENTS, DEPARTMENTS, ["CC", "-"])
    rng = np.random.default_rng(0)
    out = [spellings.spelling(w, rng) for w in ["Sales", "Saleses", "Financie", "Fi"] + DEPARTMENTS * 3]
    assert all(w is not None and w[:1].isupper() and w[1:].islower() for w in out), out
    assert not [w for w in out if spellings.copies(w) or any(d.lower() in w.lower() for d in DEPARTMENTS)], out
    assert all(5 <= len(w) <= 11 for w in out), out  # the training names' lengths
    assert len(set(out)) >= len(out) - 2  # names each their own: a spelling twice only where no fresh one is found
    fresh = NewSpellings(DEPARTMENTS, DEPARTMENTS, ["CC", "-"])
    assert fresh.spelling(" Operales", rng) == " Operales"  # new already: kept, leading space and all


def test_spelled_words_with_too_few_vocabulary_words_of_their_case_stay_new_not_one_shared_word():
    """The HR trial: a dozen departments, whose only word two entities use is the cost centres' "CC":
    every department was named "CC". With the training words, the names are new words, distinct;
    without them, "CC" as before, counted for the warning."""
    from relsynth.synth.text._rare_words import NewSpellings

    rng = np.random.default_rng(0)
    replacer = RareWordReplacer(["CC", "-"], spellings=NewSpellings(DEPARTMENTS, DEPARTMENTS, ["CC", "-"]))
    names = [replacer(name, rng)[0] for name in DEPARTMENTS * 2]
    assert "CC" not in names and len(set(names)) == len(names) and not set(names) & set(DEPARTMENTS), names
    assert replacer.thin == len(names) and replacer.thin_replaced == 0
    blind = RareWordReplacer(["CC", "-"])
    assert {blind(name, rng)[0] for name in DEPARTMENTS} == {"CC"} and blind.thin_replaced == len(DEPARTMENTS)


def test_a_wide_vocabulary_still_replaces_with_real_words():
    """Where the vocabulary holds enough words of the case (Chinook's names), spelled words are
    replaced by them as before, training words given or not."""
    from relsynth.synth.text._rare_words import MIN_SHAPE_WORDS, NewSpellings

    words = [f"{a}{b}" for a in "BDFGKLMNPRST" for b in ("ane", "ore", "ite")][: MIN_SHAPE_WORDS + 2]
    replacer = RareWordReplacer(words, spellings=NewSpellings(DEPARTMENTS, DEPARTMENTS, words))
    out = [replacer(name, np.random.default_rng(i))[0] for i, name in enumerate(DEPARTMENTS)]
    assert set(out) <= set(words) and replacer.thin == 0, out


def test_a_dozen_department_names_come_back_distinct_new_and_never_one_shared_word(tiny_size, caplog):
    """End to end, as the Kedro job generates them (avoid= the training data): a table of a dozen
    departments, each name its own, beside a cost centre 'CC-1234' (the vocabulary: 'CC', '-'). The
    names were all 'CC'; they are now new words, as distinct as the training names, none a training
    name's word. Without the training data, generation warns that the texts repeat a few words."""
    import pandas as pd
    import torch

    from relsynth.relational import PrimaryKey, RelationalData, Schema, Table, Text
    from relsynth.synth.text import TextDataset, TextModel, TextPreproc, TextTrainer

    frame = pd.DataFrame(
        {"id": range(1, 13), "name": DEPARTMENTS, "cost_center": [f"CC-{1000 + 617 * i}" for i in range(12)]}
    )
    data = RelationalData({"d": frame}, Schema(d=Table(id=PrimaryKey(), name=Text(), cost_center=Text())))
    pre = TextPreproc.from_schema_table(data.schema, "d", vocab_size=300).fit(data)
    torch.manual_seed(0)
    model = TextModel.build(pre, size=tiny_size, block_size=64)
    TextTrainer(model).train(TextDataset.from_data(data, pre, block_size=64), n_steps=80, batch_size=12, lr=1e-2)
    taken = {w.lower() for w in DEPARTMENTS}
    for seed in (0, 1):
        names = model.generate(data, seed=seed, avoid=data)["d"]["name"].tolist()
        assert len(set(names)) >= 10 and names.count("CC") <= 1, names
        assert not [n for n in names for w in _words(n) if w.lower() in taken], names
    caplog.clear()
    names = model.generate(data, seed=0)["d"]["name"].tolist()
    assert "d.name:" in caplog.text and "spelled words were written as one of the few" in caplog.text, names


def test_one_letter_training_words_are_never_joined():
    """A column's one-letter word ("A", "X") has no start to keep and a letter to join at: joining it
    stopped generation (Chinook's album titles)."""
    from relsynth.synth.text._rare_words import NewSpellings

    spellings = NewSpellings(["A", "X", "Tango", "Samba"], ["A", "X", "Tango", "Samba"], [])
    rng = np.random.default_rng(0)
    assert all(spellings.spelling("Tango", rng) not in ("Tango", "A", "X") for _ in range(50))


def test_the_training_words_are_read_only_when_a_spelled_word_is_checked():
    """Every replace-mode column read every text of the database again (100k texts: 5 s a column) to
    build the words a new spelling must not copy, though most columns never check one."""
    from relsynth.synth.text._rare_words import NewSpellings

    calls = []

    def training_words() -> list[str]:
        calls.append(1)
        return DEPARTMENTS

    spellings = NewSpellings(DEPARTMENTS, training_words, ["CC", "-"])
    assert calls == []  # built without reading them
    assert spellings.copies("Sales") and not spellings.copies("Operales")
    assert calls == [1]  # read once, at the first check


def test_a_few_words_written_in_a_sliver_of_the_texts_raise_no_warning(caplog):
    """The README's Kedro job warned that track.name's texts 'repeat those few words' and to 'fit on more
    rows, or give the column another kind': 4 spelled words of 2,600 track names. Warned where such words
    are 5 % of the texts or more (a dozen department names all "CC"), counted either way."""
    import logging
    from types import SimpleNamespace

    from relsynth.synth.text._generate import _warn_few_words

    replacer = SimpleNamespace(thin_replaced=4, spelled=4, thin=4)
    preproc = SimpleNamespace(table="track", config=SimpleNamespace(words=["a"] * 1474, word_k=2))
    with caplog.at_level(logging.WARNING, logger="relsynth"):
        assert _warn_few_words(replacer, preproc, "name", True, 2_600) == 4
        assert "few vocabulary words" not in caplog.text
        assert _warn_few_words(replacer, preproc, "name", True, 12) == 4
    assert "track.name: 4 of 4 spelled words were written as one of the few vocabulary words" in caplog.text
