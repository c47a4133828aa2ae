import numpy as np
import pandas as pd
import pytest
from evaldata import make_data, rekey, replace

from relsynth.eval import EvalWarning, quality_scores


def test_identical_data_scores_100(real):
    q = quality_scores(real, rekey(real, 5_000))
    assert q["overall"]["quality"] == pytest.approx(100.0)
    for key in ["column_shapes", "column_pairs", "cardinality", "parent_child"]:
        assert q["overall"][key] == pytest.approx(100.0), key
    assert q["warnings"] == []


def test_structure_of_result(real, fresh):
    q = quality_scores(real, fresh)
    assert set(q["tables"]) == {"customer", "order", "item"}  # lookups are not scored
    assert set(q["edges"]) == {"customer->order", "order->item"}
    order = q["tables"]["order"]
    assert set(order["columns"]) == {"amount", "n_items", "status", "country", "placed"}  # no keys, no text
    assert order["columns"]["amount"]["metric"] == "KSComplement"
    assert order["columns"]["country"]["metric"] == "TVComplement"
    metrics = {p["metric"] for p in order["pairs"]}
    assert metrics == {"CorrelationSimilarity", "ContingencySimilarity"}
    pc = q["edges"]["customer->order"]["pairs"]
    assert all(p["columns"][0].startswith("customer.") and p["columns"][1].startswith("order.") for p in pc)


def test_a_fresh_sample_beats_a_shifted_one(real, fresh):
    good = quality_scores(real, fresh)
    order = fresh["order"].assign(amount=fresh["order"]["amount"] + 200.0)
    bad = quality_scores(real, replace(fresh, order=order))
    amount = lambda q: q["tables"]["order"]["columns"]["amount"]["score"]  # noqa: E731
    assert amount(good) > 80 > 20 > amount(bad)
    assert good["overall"]["quality"] > bad["overall"]["quality"]
    assert good["overall"]["quality"] > 85


def test_wrong_children_counts_lower_cardinality(real, fresh):
    # as many orders as real, but all on a tenth of the customers
    wrong = make_data(seed=2, key_offset=100_000, orders_per_customer=12.0, n_customers=15)
    customers = pd.concat([wrong["customer"], fresh["customer"].assign(id=fresh["customer"]["id"] + 1_000)])
    bad = replace(wrong, customer=customers.reset_index(drop=True))
    good_score = quality_scores(real, fresh)["edges"]["customer->order"]["cardinality"]
    bad_edge = quality_scores(real, bad)["edges"]["customer->order"]
    assert good_score > 80 > bad_edge["cardinality"]
    assert bad_edge["childless_share_synth"] > 0.8


def test_null_and_unseen_values_are_scored(real):
    order = real["order"].assign(status="never-seen", amount=np.nan)
    q = quality_scores(real, replace(real, order=order))
    cols = q["tables"]["order"]["columns"]
    assert cols["status"]["score"] == pytest.approx(0.0, abs=1e-3)
    assert cols["amount"]["score"] < 10 and cols["amount"]["null_rate_synth"] == 1.0
    assert cols["n_items"]["score"] == pytest.approx(100.0)
    assert any("null" in w for w in q["warnings"])


def test_empty_synthetic_table_scores_zero_with_a_warning(real):
    empty = replace(real, item=real["item"].iloc[:0])
    with pytest.warns(EvalWarning, match="item"):
        q = quality_scores(real, empty)
    assert q["tables"]["item"]["column_shapes"] == 0.0
    assert q["tables"]["item"]["column_pairs"] == 0.0
    assert q["edges"]["order->item"]["cardinality"] < 10  # every order now has no item
    assert 0 < q["overall"]["quality"] < 100


def test_empty_root_and_one_row_tables_do_not_crash(real):
    nothing = replace(
        real, customer=real["customer"].iloc[:0], order=real["order"].iloc[:0], item=real["item"].iloc[:0]
    )
    with pytest.warns(EvalWarning):
        q = quality_scores(real, nothing)
    assert q["overall"]["quality"] == 0.0
    one = make_data(seed=3, n_customers=1)
    with pytest.warns(EvalWarning):
        q = quality_scores(one, nothing)
    assert isinstance(q["overall"]["quality"], float)
    q = quality_scores(one, make_data(seed=4, n_customers=1))
    assert 0 <= q["overall"]["quality"] <= 100


def test_a_child_table_named_after_its_parent_with_a_dot_is_scored():
    # "order.line": its columns ("order.line.qty") start with "order." too, and are no parent column
    from relsynth.relational import RelationalData, Schema

    rng = np.random.default_rng(0)
    order = pd.DataFrame({"id": np.arange(40), "amount": rng.gamma(2.0, 10.0, 40)})
    line = pd.DataFrame({"id": np.arange(120), "order": rng.integers(0, 40, 120), "qty": rng.integers(1, 5, 120)})
    schema = Schema.from_yaml(
        "tables:\n  order: {columns: {id: primary_key, amount: numeric}}\n"
        "  order.line: {columns: {id: primary_key, order: {foreign_key: order}, qty: integer}}\n"
    )
    data = RelationalData({"order": order, "order.line": line}, schema)
    q = quality_scores(data, data)
    assert [p["columns"] for p in q["edges"]["order->order.line"]["pairs"]] == [["order.amount", "order.line.qty"]]


def test_schema_mismatch_raises(real):
    from relsynth.relational import RelationalData, Schema

    other = RelationalData({"customer": real["customer"]}, Schema(customer=real.schema.tables["customer"]))
    with pytest.raises(ValueError, match="table 'order' is missing"):
        quality_scores(real, other)
