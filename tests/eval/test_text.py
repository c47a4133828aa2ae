import pandas as pd
import pytest
from evaldata import rekey, replace

from relsynth.eval import EvalWarning, text_scores


def test_a_copy_scores_full_marks_and_is_verbatim(real):
    t = text_scores(real, rekey(real, 3_000))
    assert set(t["columns"]) == {"customer.name", "order.note"}
    note = t["columns"]["order.note"]
    assert note["length"] == 100.0 and note["vocab_jaccard"] == 100.0
    assert note["verbatim_share"] == 1.0 and note["null_rate_diff"] == 0.0
    assert t["overall"]["text"] == 100.0


def test_foreign_words_and_lengths_score_lower(real, fresh):
    good = text_scores(real, fresh)
    n = len(fresh["order"])
    gibberish = pd.Series([f"zz{i} qq{i} " * 10 for i in range(n)])
    bad = text_scores(real, replace(fresh, order=fresh["order"].assign(note=gibberish)))
    g, b = good["columns"]["order.note"], bad["columns"]["order.note"]
    assert g["length"] > 70 > b["length"]
    assert g["vocab_jaccard"] > 90 > 10 > b["vocab_jaccard"]
    assert b["vocab_seen_share"] == 0.0 and b["verbatim_share"] == 0.0
    assert b["null_rate_diff"] == pytest.approx(real["order"]["note"].isna().mean())


def test_novelty_is_measured_against_train(real, fresh, train):
    t = text_scores(real, rekey(train, 9_000), train=train)
    assert t["columns"]["order.note"]["verbatim_share"] == 1.0


def test_all_null_synthetic_text(real, fresh):
    order = fresh["order"].assign(note=pd.Series([None] * len(fresh["order"]), dtype="string"))
    with pytest.warns(EvalWarning, match="order.note"):
        t = text_scores(real, replace(fresh, order=order))
    note = t["columns"]["order.note"]
    assert note["length"] == 0.0 and note["verbatim_share"] is None


def test_word_order_invalid_characters_and_samples(real, fresh):
    good = text_scores(real, fresh)["columns"]["order.note"]
    n = len(fresh["order"])
    broken = pd.Series([f"red\ufffd blue \x07{i}" if i % 2 else "red blue" for i in range(n)])
    bad = text_scores(real, replace(fresh, order=fresh["order"].assign(note=broken)))["columns"]["order.note"]
    assert good["invalid_rate"] == 0.0 and bad["invalid_rate"] == pytest.approx(0.5, abs=0.01)
    assert good["bigram_seen_share"] > 0.9  # random words of a 12-word list: every pair is seen
    assert 0 < len(good["samples"]) <= 5 and all(isinstance(s, str) for s in good["samples"])


def test_consistency_and_parent_words(real, fresh):
    t = text_scores(real, fresh)["columns"]
    assert 0.0 <= t["order.note"]["consistency"] <= 1.0  # words -> status, trained on the reference
    assert t["customer.name"]["parent_word_share"] is None  # a root table has no parent text
    assert 0.0 <= t["order.note"]["parent_word_share"] <= 1.0  # note vs the customer's name


def test_word_pairs_expected_of_unseen_texts_count_pairs_another_root_entity_also_writes():
    from relsynth.eval.text import bigram_reused_share
    from relsynth.relational import ForeignKey, PrimaryKey, RelationalData, Schema, Table, Text

    schema = Schema(
        band=Table(id=PrimaryKey()), song=Table(id=PrimaryKey(), band=ForeignKey(parent="band"), title=Text())
    )
    song = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "band": [1, 1, 2, 3, 3],  # songs 1 and 2: one band (entity) writing "the best" twice
            "title": ["The Best of", "the best", "THE BEST", "Red Sun", None],
        }
    )
    data = RelationalData({"band": pd.DataFrame({"id": [1, 2, 3]}), "song": song}, schema)
    # pairs: the best (bands 1, 1, 2), best of (1), red sun (3): 3 of 5 have another band's text
    assert bigram_reused_share(data, "song", "title") == pytest.approx(3 / 5)
    lone = RelationalData({"band": data["band"], "song": song.assign(band=1)}, schema)
    assert bigram_reused_share(lone, "song", "title") == 0.0  # one band's pairs only: nothing another reuses
    empty = RelationalData({"band": data["band"], "song": song.assign(title="One")}, schema)
    assert bigram_reused_share(empty, "song", "title") is None


def test_the_text_scores_carry_the_expected_word_pair_share_of_the_reference(real, fresh, train):
    from relsynth.eval.text import bigram_reused_share

    t = text_scores(real, fresh, train=train)["columns"]["order.note"]
    assert t["bigram_reused_share"] == bigram_reused_share(train, "order", "note")  # of the reference, not `real`
    assert bigram_reused_share(train, "order", "note") != bigram_reused_share(real, "order", "note")
