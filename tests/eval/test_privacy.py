import pandas as pd
import pytest
from evaldata import make_data, rekey, replace

from relsynth.eval import EvalWarning, privacy_scores
from relsynth.relational import Categorical, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table


def test_a_copy_of_train_is_caught(train, real):
    p = privacy_scores(train, real, rekey(train, 7_000))  # fresh keys, same rows
    for table in ["customer", "order", "item"]:
        t = p["tables"][table]
        assert t["exact_copy_rate"] == 1.0, table
        # a test row equal to its copy on the compared columns is a tie, counted half
        assert t["dcr_share_train_closer"] > max(0.9, t["dcr_baseline"] + 0.25), table
        assert t["dcr_synth_train_median"] == 0.0
    assert p["overall"]["exact_copy_rate"] == 1.0


def test_a_fresh_sample_is_near_the_baseline(train, real, fresh):
    p = privacy_scores(train, real, fresh)
    order = p["tables"]["order"]
    assert order["dcr_baseline"] == pytest.approx(order["n_train"] / (order["n_train"] + order["n_test"]))
    assert abs(order["dcr_share_train_closer"] - order["dcr_baseline"]) < 0.2
    assert order["exact_copy_rate"] < 0.05
    assert order["exact_copy_rate_test"] < 0.05
    assert set(p["overall"]) == {"dcr_share_train_closer", "dcr_baseline", "exact_copy_rate", "exact_copy_rate_test"}


def test_subsampling_keeps_the_baseline_honest(train, real, fresh):
    p = privacy_scores(train, real, fresh, max_rows=50)
    item = p["tables"]["item"]
    assert item["dcr_baseline"] == pytest.approx(0.5)  # 50 train rows searched beside 50 test rows
    assert 0.0 <= item["dcr_share_train_closer"] <= 1.0


def test_empty_synthetic_table(train, real):
    synth = replace(make_data(seed=5, key_offset=50_000), item=train["item"].iloc[:0])
    with pytest.warns(EvalWarning, match="item"):
        p = privacy_scores(train, real, synth)
    assert p["tables"]["item"]["dcr_share_train_closer"] is None
    assert p["tables"]["item"]["exact_copy_rate"] is None
    assert p["tables"]["order"]["dcr_share_train_closer"] is not None


def test_exact_copies_ignore_reference_keys_which_name_rows_not_values():
    # a synthetic employee equal to a training one but for its manager's key is a copy: the
    # generated keys are fresh, so the key's number says nothing about the row
    schema = Schema(employee=Table(id=PrimaryKey(), boss=ForeignKey("employee"), grade=Integer(), team=Categorical()))

    def employees(keys: list[int], bosses: list) -> RelationalData:
        frame = pd.DataFrame({"id": keys, "boss": bosses, "grade": [1, 2, 2, 3], "team": list("abab")})
        return RelationalData({"employee": frame}, schema)

    train = employees([1, 2, 3, 4], [None, 1, 1, 2])
    synth = employees([1, 2, 3, 4], [None, 1, 2, 3])  # the same rows, their managers dealt otherwise
    p = privacy_scores(train, employees([11, 12, 13, 14], [None, 11, 11, 11]), synth)
    assert p["tables"]["employee"]["exact_copy_rate"] == 1.0
    assert p["tables"]["employee"]["exact_copy_rate_test"] == 1.0
