from __future__ import annotations

import json
import logging
import unicodedata

import numpy as np
import pandas as pd
import pytest

from relsynth.relational import Categorical, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table, Text
from relsynth.synth.core.files import LoadError
from relsynth.synth.text import TextPreproc
from relsynth.synth.text.preproc import column_marker, glued_words, never_repeated_under

UNICODE = [
    "Café naïve façade",
    "😀🎸 emoji 🇧🇷",
    "東京の夜 — 日本語",
    "Ελληνικά, русский, עברית",
    "  leading and trailing  ",
    "line\nbreak\ttab",
    "<bos> <end> <col:title> look special but are text",
    "",
]


def test_round_trip_is_exact_for_any_unicode(song_preproc: TextPreproc):
    ids = song_preproc.encode(UNICODE)
    assert [song_preproc.decode(i) for i in ids] == UNICODE
    assert song_preproc.decode_batch(ids) == UNICODE


def test_special_token_spelling_in_a_text_is_not_a_special_token(song_preproc: TextPreproc):
    (ids,) = song_preproc.encode(["<bos>"])
    assert song_preproc.bos_id not in ids and len(ids) > 1
    assert not set(ids) & set(song_preproc.special_ids)


def test_special_tokens_and_vocabulary_size(song_preproc: TextPreproc):
    assert [song_preproc.pad_id, song_preproc.bos_id, song_preproc.end_id] == [0, 1, 2]
    assert song_preproc.column_id("title") == song_preproc.token_id(column_marker("title"))
    assert song_preproc.n_bpe <= 320  # the BPE part; word tokens come after it
    n_copy = 2 * song_preproc.config.copy_slots  # copy tokens come last
    assert song_preproc.vocab_size == song_preproc.n_bpe + len(song_preproc.config.words) + n_copy
    with pytest.raises(ValueError, match="not a text column"):
        song_preproc.column_id("seconds")


def with_track_names(db: RelationalData) -> RelationalData:
    tables = dict(db.schema.tables)
    tables["track"] = Table(columns={**tables["track"].columns, "name": Text()})
    frames = dict(db.data)
    frames["track"] = frames["track"].assign(name=[f"track {i}" for i in range(len(frames["track"]))])
    return RelationalData(frames, Schema(tables=tables, lookups=db.schema.lookups))


def test_context_rounds_numbers_names_lookups_and_includes_parent_text(tiny_database: RelationalData):
    db = with_track_names(tiny_database)
    pre = TextPreproc.from_schema_table(db.schema, "track", vocab_size=400).fit(db)
    ctx = pre.contexts(db)
    track = db["track"]
    assert len(ctx) == len(track)
    first = ctx[0]  # genre 1 = Rock, 200000 ms, price 1.99 -> 2, composer null, album 1
    assert first.startswith("genre=Rock; milliseconds=200000; price=2; composer=?; album.title=album 0 of 1")
    assert "milliseconds=210000" in ctx[10]  # 210000 rounds to 2 significant digits
    # field labels are single tokens, so a context tokenises short
    ids = pre.encode_contexts([first])[0]
    assert pre.token_id("; album.title=") in ids
    assert len(ids) < len(first) / 2


def test_empty_parent_texts_are_one_warning_with_both_ways_out(tiny_database: RelationalData, caplog):
    db = with_track_names(tiny_database)
    pre = TextPreproc.from_schema_table(db.schema, "track", vocab_size=400).fit(db)
    frames = dict(db.data)
    frames["album"] = frames["album"].assign(title=None)
    with caplog.at_level(logging.WARNING):
        pre.contexts(RelationalData(frames, db.schema))
    assert caplog.text.count("the parent text(s) ['album.title'] are empty") == 1
    assert "generate the 'album' texts before the 'track' texts" in caplog.text and "text_tables" in caplog.text


def test_context_of_a_root_table_has_own_values_only(tiny_database: RelationalData):
    pre = TextPreproc.from_schema_table(tiny_database.schema, "album", vocab_size=300).fit(tiny_database)
    assert pre.contexts(tiny_database)[0] == "artist.name=artist 1"


def test_fit_records_null_rate_and_lengths(songs: RelationalData, song_preproc: TextPreproc):
    stats = song_preproc.config.stats["title"]
    assert stats.null_rate == pytest.approx(songs["song"]["title"].isna().mean())
    assert stats.empty_rate == 0.0
    assert stats.max_tokens >= stats.mean_tokens > 0


def test_save_load_round_trip(tmp_path, songs: RelationalData, song_preproc: TextPreproc):
    song_preproc.save(tmp_path / "pre")
    again = TextPreproc.load(tmp_path / "pre")
    assert again.config == song_preproc.config
    assert again.encode(UNICODE) == song_preproc.encode(UNICODE)
    assert again.contexts(songs) == song_preproc.contexts(songs)
    assert sorted(p.name for p in (tmp_path / "pre").iterdir()) == ["preproc.json", "tokenizer.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["pre"]  # no temporary directory left behind


def test_clear_errors(tmp_path, tiny_database: RelationalData):
    schema = tiny_database.schema
    with pytest.raises(ValueError, match="no text column"):
        TextPreproc.from_schema_table(schema, "track")
    with pytest.raises(ValueError, match="lookup"):
        TextPreproc.from_schema_table(schema, "genre")
    with pytest.raises(ValueError, match="not in the schema"):
        TextPreproc.from_schema_table(schema, "nope")
    with pytest.raises(ValueError, match="vocab_size"):
        TextPreproc.from_schema_table(schema, "album", vocab_size=100)
    with pytest.raises(RuntimeError, match="not fitted"):
        TextPreproc.from_schema_table(schema, "album").encode(["x"])
    with pytest.raises(FileNotFoundError, match="no TextPreproc"):
        TextPreproc.load(tmp_path)


def test_a_tampered_preproc_is_refused_naming_the_file(tmp_path, song_preproc: TextPreproc):
    import json

    song_preproc.save(tmp_path / "pre")
    file = tmp_path / "pre" / "preproc.json"
    spec = json.loads(file.read_text())
    spec["config"]["stats"]["title"]["longest"] = 3
    file.write_text(json.dumps(spec))
    with pytest.raises(LoadError, match=r"preproc.json: TextColumnStats with unknown fields \['longest'\]"):
        TextPreproc.load(tmp_path / "pre")
    (tmp_path / "pre" / "tokenizer.json").write_text("{broken")
    song_preproc.save(tmp_path / "pre2")
    (tmp_path / "pre2" / "tokenizer.json").write_text("{broken")
    with pytest.raises(LoadError, match="tokenizer.json: unreadable tokenizer"):
        TextPreproc.load(tmp_path / "pre2")


def test_words_of_k_entities_are_tokens_and_rare_words_are_spelt(make_songs):
    data = make_songs()
    song = data["song"].copy()
    song.loc[song["band"] == 1, "title"] = "Zyzzyva Rock"  # a word one band (entity) uses, however often
    data = type(data)({**data.data, "song": song}, data.schema)
    pre = TextPreproc.from_schema_table(data.schema, "song", vocab_size=300).fit(data)
    words = set(pre.config.words)
    assert " Rock" in words and "Zyzzyva" not in words
    longest = max(len(b.decode("utf-8", errors="replace")) for b in pre.token_bytes()[: pre.n_bpe])
    assert longest <= pre.config.max_subword_chars
    ids = pre.encode(["Zyzzyva Rock"])[0]
    assert len(ids) > 2 and pre.decode(ids) == "Zyzzyva Rock"
    assert pre.decode([ids[-1]]) == " Rock" and ids[-1] >= pre.n_bpe  # the word token
    with pytest.raises(ValueError, match="word_k"):
        TextPreproc.from_schema_table(data.schema, "song", word_k=1)
    none = TextPreproc.from_schema_table(data.schema, "song", vocab_size=300, word_k=0, copy_slots=0).fit(data)
    assert none.config.words == [] and none.vocab_size == none.n_bpe


def test_word_pairs_keep_pairs_of_k_entities_and_measure_how_often_another_entity_reuses_a_pair():
    import numpy as np
    import pandas as pd

    from relsynth.synth.text.preproc import word_pairs

    texts = pd.Series(["The Best of", "the best", "The Best", "Red Sun", None, "Zorblax", "THE BEST", "red sun"])
    entity = np.array([1, 2, 2, 3, 4, 5, 6, 7])  # rows 1 and 2: one entity, using "the best" twice
    out = word_pairs(texts, entity, k=2)
    assert out["word_pairs"] == {"the best": 3, "red sun": 2}  # "best of": one entity
    # a text's pair counts where k other entities use it, as if its own entity were held out: "the best" 4 of 7
    assert out["pair_share"] == pytest.approx(4 / 7)
    assert word_pairs(texts, entity, k=3)["word_pairs"] == {"the best": 3}
    assert word_pairs(texts, entity, k=3)["pair_share"] == 0.0
    assert word_pairs(pd.Series(["One", None]), np.array([1, 2]), k=2) == {"word_pairs": {}, "pair_share": 0.0}


def test_fit_records_each_columns_word_pairs_and_a_save_without_them_still_loads(tmp_path, make_songs):
    import json

    data = make_songs()
    common = TextPreproc.from_schema_table(data.schema, "song", vocab_size=300).fit(data).config.stats["title"]
    assert common.rare_word_rate < 0.5 and common.word_pairs == {}  # words mostly shared: never replaced, no pairs
    song = data["song"].copy()  # names: three words of each band's own (rare), then a pair every band uses
    own = {b: "abcdefghijklmnopqrstuvwxyz"[i] for i, b in enumerate(data["band"]["id"])}
    song["title"] = [f"Zorb{own[b]} Quix{own[b]} Vel{own[b]} Big Band" for b in song["band"]]
    data = type(data)({**data.data, "song": song}, data.schema)
    pre = TextPreproc.from_schema_table(data.schema, "song", vocab_size=300).fit(data)
    stats = pre.config.stats["title"]
    assert stats.rare_word_rate >= 0.5 and stats.word_pairs == {"big band": data["band"].shape[0]}
    assert stats.pair_share == pytest.approx(1 / 4)  # one of each name's four pairs
    pre.save(tmp_path / "pre")
    file = tmp_path / "pre" / "preproc.json"
    spec = json.loads(file.read_text())
    for s in spec["config"]["stats"].values():  # a preproc saved before word pairs were recorded
        del s["word_pairs"], s["pair_share"]
    file.write_text(json.dumps(spec))
    old = TextPreproc.load(tmp_path / "pre").config.stats["title"]
    assert old.word_pairs == {} and old.pair_share == 0.0


def test_the_pair_share_counts_only_the_pairs_kept_under_the_cap(monkeypatch):
    import numpy as np
    import pandas as pd

    from relsynth.synth.text import preproc

    texts = pd.Series(["the best", "the best", "the best", "red sun", "red sun", "red sun", "It's me", "it me"])
    entity = np.array([1, 2, 3, 1, 2, 3, 4, 5])
    # an occurrence counts where k=2 entities besides its own use the pair: not "it me" (entities 4 and 5)
    assert preproc.word_pairs(texts, entity, k=2)["pair_share"] == pytest.approx(6 / 8)
    monkeypatch.setattr(preproc, "MAX_WORD_PAIRS", 1)
    capped = preproc.word_pairs(texts, entity, k=2)
    assert len(capped["word_pairs"]) == 1 and capped["pair_share"] == pytest.approx(3 / 8)  # only what can be matched
    assert preproc.text_words("It's me, 2 Cafés") == ["it", "me", "2", "cafés"]  # "'s" is no word


def test_context_leaves_reference_keys_out_their_numbers_name_no_row_of_a_generated_database():
    # an employee's manager (a key to its own table) and a customer's sales representative (a
    # reference): generation deals fresh keys out, so `reports_to=3` would mean another row there
    employee = Table(id=PrimaryKey(), reports_to=ForeignKey("employee"), grade=Integer(), name=Text())
    customer = Table(id=PrimaryKey(), rep=ForeignKey("employee", nest=False), city=Categorical(), name=Text())
    schema = Schema(employee=employee, customer=customer)
    db = RelationalData(
        {
            "employee": pd.DataFrame(
                {"id": [1, 2, 3], "reports_to": [None, 1, 1], "grade": [3, 2, 2], "name": list("abc")}
            ),
            "customer": pd.DataFrame({"id": [1, 2], "rep": [2, 3], "city": ["Oslo", "Rome"], "name": ["x y", "y z"]}),
        },
        schema,
    )
    for table, fields in (("employee", ["grade"]), ("customer", ["city"])):
        pre = TextPreproc.from_schema_table(schema, table, vocab_size=300, word_k=0).fit(db)
        assert [label for label, _, _ in pre.context_columns()] == fields
    assert pre.contexts(db) == ["city=Oslo", "city=Rome"]


def test_a_word_keeps_its_combining_marks_devanagari_arabic_points_and_decomposed_accents():
    """`\\w` leaves combining marks out, so दिल्ली fell apart into द, ि, ल, ्, ल, ी and 'Cafe' + U+0301 into
    'Cafe' and a lone accent: single letters and marks that every entity uses became word tokens, from
    which any rare word could be spelt again, and a text could start with a lone vowel sign."""
    texts = ["नई दिल्ली", "दिल्ली बाज़ार", "Cafe\u0301 nai\u0308ve", "nai\u0308ve Cafe\u0301", "مَكْتَبَة جديد"]
    n = 40
    data = RelationalData(
        {"t": pd.DataFrame({"id": range(1, n + 1), "x": [texts[i % len(texts)] for i in range(n)]})},
        Schema(t=Table(id=PrimaryKey(), x=Text())),
    )
    preproc = TextPreproc.from_schema_table(data.schema, "t", vocab_size=300).fit(data)
    words = {w.strip() for w in preproc.config.words}
    assert {"दिल्ली", "बाज़ार", "Cafe\u0301", "nai\u0308ve", "مَكْتَبَة"} <= words
    assert not {w for w in words if unicodedata.category(w[0])[0] == "M"}  # no word starts with a mark
    assert [preproc.decode(i) for i in preproc.encode(texts)] == texts


def test_each_han_character_is_a_word_so_a_chinese_column_has_words_to_write():
    """Chinese is written without spaces: every shop name (北京书店, 上海超市, ...) was one word no two
    shops shared, so the column had no word token (rare_word_rate 1.0) and generation wrote the
    table's other columns' words into it. Each Han character is now a word, as in BERT's tokenizer."""
    cities, kinds = ["北京", "上海", "广州", "深圳", "成都"], ["书店", "超市", "餐厅", "花店"]
    names = [f"{c}{k}{i}号" for i, (c, k) in enumerate((c, k) for c in cities for k in kinds)]
    data = RelationalData(
        {"t": pd.DataFrame({"id": range(1, len(names) + 1), "name": names})},
        Schema(t=Table(id=PrimaryKey(), name=Text())),
    )
    preproc = TextPreproc.from_schema_table(data.schema, "t", vocab_size=300).fit(data)
    assert {"北", "京", "书", "店", "号"} <= set(preproc.config.words)
    assert preproc.config.stats["name"].rare_word_rate < 0.5  # the digits only
    assert [preproc.decode(i) for i in preproc.encode(names)] == names


def support_database() -> RelationalData:
    """customer -> ticket -> message: a message is written in its customer's language, two tables up."""
    schema = Schema(
        customer=Table(id=PrimaryKey(), language=Categorical()),
        ticket=Table(id=PrimaryKey(), customer=ForeignKey(parent="customer"), subject=Text()),
        message=Table(id=PrimaryKey(), ticket=ForeignKey(parent="ticket"), role=Categorical(), body=Text()),
    )
    customer = pd.DataFrame({"id": [1, 2], "language": ["de", "fr"]})
    ticket = pd.DataFrame({"id": [10, 20, 30], "customer": [2, 1, 2], "subject": ["Hilfe", "Aide", "Aide"]})
    body = ["Bonjour", "Merci", "Hallo", "Bonsoir"]
    message = pd.DataFrame({"id": [1, 2, 3, 4], "ticket": [10, 10, 20, 30], "role": ["c", "a", "c", "c"], "body": body})
    return RelationalData({"customer": customer, "ticket": ticket, "message": message}, schema)


def test_context_shows_the_values_of_the_tables_above_the_parent():
    db = support_database()
    pre = TextPreproc.from_schema_table(db.schema, "message", vocab_size=300).fit(db)
    ctx = pre.contexts(db)
    assert ctx[0] == "role=c; ticket.subject=Hilfe; customer.language=fr"  # the customer's language, not the parent's
    assert [c.rsplit("=", 1)[1] for c in ctx] == ["fr", "fr", "de", "fr"]
    fr = pre.vocab_size + pre.config.field_values.index(["customer.language", "fr"])  # 3 rows: one field token
    assert fr in pre.encode_contexts(ctx[:1])[0]


def test_an_older_preproc_without_ancestors_keeps_its_parent_only_context(tmp_path):
    db = support_database()
    pre = TextPreproc.from_schema_table(db.schema, "message", vocab_size=300, ancestors=False).fit(db)
    assert pre.contexts(db)[0] == "role=c; ticket.subject=Hilfe"
    pre.save(tmp_path / "pre")
    saved = json.loads((tmp_path / "pre" / "preproc.json").read_text())
    del saved["config"]["ancestors"]  # as saved before the field existed
    (tmp_path / "pre" / "preproc.json").write_text(json.dumps(saved))
    assert TextPreproc.load(tmp_path / "pre").contexts(db)[0] == "role=c; ticket.subject=Hilfe"


def test_glued_words_are_the_spaced_strings_the_tokenizer_cuts_in_several_pieces():
    text = "Mail anna.weiss7@mail.example.com, order ORD-123456. Call +49 30 1234567 (kruger7) d'accord!"
    assert glued_words(text) == ["anna.weiss7@mail.example.com", "weiss7", "ORD-123456", "kruger7", "d'accord"]


def survey_answers() -> RelationalData:
    """Answers in entity-attribute-value form under 2 respondents, to 4 questions (a lookup) whose
    type (likert, number) names 2 kinds of them."""
    schema = Schema(
        respondent=Table(id=PrimaryKey(), region=Categorical()),
        answer=Table(
            id=PrimaryKey(), respondent=ForeignKey("respondent"), question=ForeignKey("question"), value=Text()
        ),
        question=Table(id=PrimaryKey(), qtype=Categorical(), wording=Text()),
        lookups=["question"],
    )
    questions = pd.DataFrame({"id": [1, 2, 3, 4], "qtype": ["likert", "likert", "number", "number"],
                              "wording": ["Happy?", "Fair?", None, "Income?"]})  # fmt: skip
    answers = pd.DataFrame({"id": range(1, 9), "respondent": [1] * 4 + [2] * 4, "question": [1, 2, 3, 4] * 2,
                            "value": ["4", "2", "35", "450", "5", "3", "61", "800"]})  # fmt: skip
    respondents = pd.DataFrame({"id": [1, 2], "region": ["north", "south"]})
    return RelationalData({"respondent": respondents, "answer": answers, "question": questions}, schema)


def test_a_lookup_whose_first_value_names_no_row_is_shown_with_its_key():
    # the question's type (likert, number) names 2 kinds of 4 questions, and the text model saw
    # `question=number` for ages (18-80) and incomes (100-900) alike
    db = survey_answers()
    questions = db["question"]
    pre = TextPreproc.from_schema_table(db.schema, "answer", vocab_size=300).fit(db)
    shown = [c.split(";")[0] for c in pre.contexts(db)[:4]]  # then the respondent's region
    assert shown == ["question=likert 1", "question=likert 2", "question=number 3", "question=number 4"]
    named = RelationalData(  # a column naming each question once is shown alone, as a genre's name
        {**db.data, "question": questions.assign(wording=["Happy?", "Fair?", "Age?", "Income?"])}, db.schema
    )
    shown = [c.split(";")[0] for c in pre.contexts(named)[:4]]
    assert shown == ["question=Happy?", "question=Fair?", "question=Age?", "question=Income?"]


def test_an_older_preproc_shows_a_lookup_by_its_first_column_alone(tmp_path):
    # a text model saved before lookups were shown with their key was trained on `question=likert`:
    # given `question=likert 1` it generated from contexts it never saw
    db = survey_answers()
    pre = TextPreproc.from_schema_table(db.schema, "answer", vocab_size=300).fit(db)
    pre.save(tmp_path / "pre")
    saved = json.loads((tmp_path / "pre" / "preproc.json").read_text())
    del saved["config"]["lookup_keys"]  # as saved before the field existed
    (tmp_path / "pre" / "preproc.json").write_text(json.dumps(saved))
    shown = [c.split(";")[0] for c in TextPreproc.load(tmp_path / "pre").contexts(db)[:4]]
    assert shown == ["question=likert", "question=likert", "question=number", "question=number"]


def repos_with_names(seed: int = 0, per_owner_distinct: bool = True) -> RelationalData:
    """12 owners of 10 repositories each, named from 20 names: never one twice under an owner, or drawn freely."""
    rng = np.random.default_rng(seed)
    names = [f"{a}-{b}" for a in ("fast", "tiny", "open", "async", "deep") for b in ("parser", "cli", "bot", "api")]
    owners = pd.DataFrame({"id": range(1, 13), "plan": rng.choice(["free", "pro"], 12)})
    drawn = [rng.choice(names, 10, replace=not per_owner_distinct) for _ in range(12)]
    repos = pd.DataFrame({"id": range(1, 121), "owner": np.repeat(owners["id"], 10), "name": np.concatenate(drawn)})
    schema = Schema(
        owners=Table(id=PrimaryKey(), plan=Categorical()),
        repos=Table(id=PrimaryKey(), owner=ForeignKey(parent="owners"), name=Text()),
    )
    return RelationalData({"owners": owners, "repos": repos}, schema)


def test_a_text_never_repeated_under_its_parent_where_chance_would_is_kept_so():
    """A repository's name never repeats under its owner though names repeat across owners (no UNIQUE
    declared, a schema inferred from frames): 12 owners of 10 names drawn from 20 would repeat ~27
    pairs by chance. The fit says so (`unique_under`), and generation keeps it; names drawn freely
    do repeat under an owner, and no such rule is kept for them."""
    kept = TextPreproc.from_schema_table(repos_with_names().schema, "repos").fit(repos_with_names())
    assert kept.config.stats["name"].unique_under == "owner" and not kept.config.stats["name"].unique
    free = repos_with_names(per_owner_distinct=False)
    assert TextPreproc.from_schema_table(free.schema, "repos").fit(free).config.stats["name"].unique_under is None
    parents, few = pd.Series([1, 1, 2, 2, 3]), pd.Series(["a", "b", "a", "b", "a"])
    assert not never_repeated_under(parents, few)  # 2 pairs of siblings, 1 repeat expected: proves nothing
    assert never_repeated_under(pd.Series([1] * 8 + [2] * 8), pd.Series(list("abcdefgh") * 2))
