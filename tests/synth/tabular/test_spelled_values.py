"""A text column that spells a number of its row wherever the number is present (a lab result's
`value`, '141' or '0.94', or a label where no number is: '<0.5', 'POS') is written from the
generated number: drawn as a category of its own, mostly rare, 1,610 of 2,908 generated lab
results of a hospital database spelt another number than their `valuenum`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc
from relsynth.synth.tabular.rules.spelled_values import spell


def labs(n: int = 600, seed: int = 0) -> RelationalData:
    """Lab results of three items: a sodium (whole numbers), a creatinine (2 decimals, some
    censored '<0.5') and a culture ('POS' / 'NEG', no number); `value` spells `valuenum`."""
    rng = np.random.default_rng(seed)
    item = rng.choice(["sodium", "creatinine", "culture"], n)
    num = np.where(item == "sodium", rng.normal(140, 4, n).round(0), rng.gamma(2.0, 0.6, n).round(2))
    censored = (item == "creatinine") & (rng.random(n) < 0.2)
    num = np.where((item == "culture") | censored, np.nan, num)
    text = pd.Series(num).map(lambda v: f"{v:g}", na_action="ignore")
    text = text.where(~censored, "<0.5").where(item != "culture", pd.Series(rng.choice(["POS", "NEG"], n)))
    frame = pd.DataFrame({"id": range(n), "item": item, "value": text.astype("string"), "valuenum": num})
    schema = Schema(lab=Table(id=PrimaryKey(), item=Categorical(), value=Categorical(), valuenum=Numeric()))
    return RelationalData({"lab": frame}, schema)


def agree(lab: pd.DataFrame) -> float:
    held = lab["valuenum"].notna()
    return float((spell(lab["valuenum"][held], "shortest") == lab["value"][held]).mean())


def test_a_text_spelling_its_rows_number_is_written_from_the_generated_number(tiny_size):
    data = labs()
    assert agree(data["lab"]) == 1.0
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["spelled_values"] == [
        {"table": "lab", "column": "value", "number": "valuenum", "spelling": "shortest"}
    ]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    lab = model.generate(300, seed=0)["lab"]
    assert agree(lab) == 1.0  # untrained: 0.01 without the rule
    assert lab["value"].notna().all()  # a number spelt as <rare> always holds its number
    assert lab["value"].nunique() > 30  # not only the few frequent numbers
    assert set(lab.loc[lab["valuenum"].isna(), "value"]) <= {"<0.5", "POS", "NEG"}


def test_two_decimals_or_a_text_that_is_not_the_number_are_read_as_they_are():
    data = labs(n=300)
    lab = data["lab"].assign(value=lambda f: f["valuenum"].map(lambda v: f"{v:.2f}", na_action="ignore"))
    pre = TabularPreproc.from_schema(data.schema).fit(RelationalData({"lab": lab}, data.schema))
    assert [r["spelling"] for r in pre.stats["spelled_values"]] == ["2f"]
    other = lab.assign(value=lambda f: f["value"].where(f["id"] != 7, "141"))  # one row off its number
    pre = TabularPreproc.from_schema(data.schema).fit(RelationalData({"lab": other}, data.schema))
    assert pre.stats["spelled_values"] == []


def test_a_wide_table_spells_each_number_once_and_still_finds_the_spelling(monkeypatch):
    """A number's first rows were spelt in each of SPELLINGS once per categorical column beside it:
    a 120-column table (80 categories, 40 numbers) spelt 12,800 times, 25 of its fit's 139 s. Each
    number is spelt once per spelling, and `value` still spells `valuenum`."""
    from relsynth.synth.tabular.rules import spelled_values

    rng = np.random.default_rng(0)
    lab = labs()["lab"]
    n = len(lab)
    extra = {f"c{j:02d}": rng.choice(["a", "b", "c"], n) for j in range(20)}
    extra |= {f"x{j}": rng.lognormal(0, 1, n).round(2) for j in range(4)}
    frame = pd.concat([lab, pd.DataFrame(extra)], axis=1)
    kinds = {c: Categorical() for c in extra if c.startswith("c")} | {c: Numeric() for c in extra if c.startswith("x")}
    schema = Schema(lab=Table(id=PrimaryKey(), item=Categorical(), value=Categorical(), valuenum=Numeric(), **kinds))
    calls = []
    spelt = spelled_values.spell
    monkeypatch.setattr(spelled_values, "spell", lambda x, s: calls.append(1) or spelt(x, s))
    rules = TabularPreproc.from_schema(schema).fit(RelationalData({"lab": frame}, schema)).stats["spelled_values"]
    assert [(r["column"], r["number"]) for r in rules] == [("value", "valuenum")]
    # each number's first rows in each spelling, then valuenum's whole column once; 842 before
    assert len(calls) <= 5 * len(spelled_values.SPELLINGS) + 1


def item_labs(n: int = 600, seed: int = 0) -> RelationalData:
    """Lab results whose `value` writes each item's number with the item's own decimals, trailing
    zeros kept: a sodium's '140', a creatinine's '1.0', a troponin's '0.10' (some '<0.01')."""
    rng = np.random.default_rng(seed)
    places = {"sodium": 0, "creatinine": 1, "troponin": 2}
    item = rng.choice(list(places), n)
    num = np.select(
        [item == "sodium", item == "creatinine"],
        [rng.normal(140, 4, n).round(0), rng.gamma(4.0, 0.3, n).round(1)],
        rng.gamma(2.0, 0.05, n).round(2),
    )
    censored = (item == "troponin") & (rng.random(n) < 0.2)
    num = np.where(censored, np.nan, num)
    text = ["" if c else f"{v:.{places[i]}f}" for v, i, c in zip(num, item, censored, strict=True)]
    text = pd.Series(np.where(censored, "<0.01", text), dtype="string")
    frame = pd.DataFrame({"id": range(n), "item": item, "value": text, "valuenum": num})
    schema = Schema(lab=Table(id=PrimaryKey(), item=Categorical(), value=Categorical(), valuenum=Numeric()))
    return RelationalData({"lab": frame}, schema)


def agree_by_item(lab: pd.DataFrame) -> float:
    places = {"sodium": 0, "creatinine": 1, "troponin": 2}
    held = lab[lab["valuenum"].notna()]
    spelt = [f"{v:.{places[i]}f}" for v, i in zip(held["valuenum"], held["item"], strict=True)]
    return float((held["value"].astype(str) == pd.Series(spelt, index=held.index)).mean())


def test_a_text_writing_each_items_numbers_with_its_decimals_is_written_so(tiny_size):
    """An EHR's lab values write a creatinine's 1.0 as '1.0' and a sodium's 140 as '140': neither
    the shortest spelling nor one count of decimals, so no rule was found and the texts were
    drawn apart from their number (an untrained model's agree on 0.08 of rows)."""
    data = item_labs()
    assert agree_by_item(data["lab"]) == 1.0
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    (rule,) = pre.stats["spelled_values"]
    assert (rule["spelling"], rule["by"]) == ("by", "item")
    assert sorted(rule["decimals"]) == [["creatinine", 1], ["sodium", 0], ["troponin", 2]]
    torch.manual_seed(0)
    lab = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)["lab"]
    assert agree_by_item(lab) == 1.0
    assert set(lab.loc[lab["valuenum"].isna(), "value"].dropna()) <= {"<0.01"}


def test_decimals_that_no_label_of_the_row_gives_are_no_spelling():
    """The same texts beside a label each of whose values mixes counts of decimals: no rule."""
    data = item_labs(n=300)
    lab = data["lab"].assign(item=np.random.default_rng(1).choice(["a", "b", "c"], 300))
    pre = TabularPreproc.from_schema(data.schema).fit(RelationalData({"lab": lab}, data.schema))
    assert pre.stats["spelled_values"] == []


def test_a_number_finer_than_its_labels_decimals_is_written_as_it_is():
    """A label's count of decimals writes only the numbers it writes whole: a creatinine drawn 0.55
    (its item too rare in a training split for its numbers to be rounded) is '0.55', not '0.6'."""
    from relsynth.synth.tabular.rules.spelled_values import apply_spelled_values

    rule = {"table": "lab", "column": "value", "number": "valuenum", "spelling": "by", "by": "item"}
    rule["decimals"] = [["creatinine", 1], ["sodium", 0]]
    lab = pd.DataFrame(
        {"item": ["creatinine", "creatinine", "sodium", "other", "sodium"], "valuenum": [1.0, 0.55, 140.0, 2.5, np.nan]}
    ).assign(value=pd.Series(["", "", "", "", "ERROR"], dtype="string"))
    apply_spelled_values([rule], {"lab": lab})
    assert lab["value"].tolist() == ["1.0", "0.55", "140", "2.5", "ERROR"]
