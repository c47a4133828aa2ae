"""A 'None of these' box: 1 exactly where a multi-select question's options are all 0."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Boolean, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc
from relsynth.synth.tabular.rules.none_boxes import keep_none_boxes

OPTIONS = [f"opt_{i}" for i in range(1, 6)]


def answers(n: int = 600, seed: int = 0) -> RelationalData:
    """Five options ticked 0/1 and `none` ticked where none is (a fifth of the rows); a `male`
    flag and its complement `female`, a `screened` flag of men only (female is 1 exactly where male
    and screened are both 0: a complement, no set of options), and a `smoker` flag."""
    rng = np.random.default_rng(seed)
    none = rng.random(n) < 0.2
    picks = (rng.random((n, 5)) < 0.35) & ~none[:, None]
    picks[~none & ~picks.any(axis=1), 0] = True
    male = rng.random(n) < 0.5
    frame = pd.DataFrame({"id": range(n), **{c: picks[:, k].astype(int) for k, c in enumerate(OPTIONS)}})
    frame = frame.assign(
        none=none.astype(int),
        male=male,
        female=~male,
        screened=male & (rng.random(n) < 0.3),
        smoker=rng.random(n) < 0.3,
    )
    columns = {c: Integer() for c in [*OPTIONS, "none"]} | {
        c: Boolean() for c in ("male", "female", "screened", "smoker")
    }
    return RelationalData({"answer": frame}, Schema(answer=Table(id=PrimaryKey(), **columns)))


def test_the_none_box_is_found_and_no_complement():
    data = answers()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["none_boxes"] == [{"table": "answer", "column": "none", "of": OPTIONS}]


def test_an_untrained_models_none_box_agrees_with_its_options(tiny_size):
    """The model's coin ticks 'None' beside an option, or nothing at all (before: most rows);
    now the box is set from the options drawn."""
    data = answers()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)["answer"]
    ticked = out[OPTIONS].astype(int).sum(axis=1) > 0
    assert ((out["none"] == 1) == ~ticked).all() and out["none"].isin([0, 1]).all()
    assert out["none"].dtype == data["answer"]["none"].dtype or str(out["none"].dtype) == "Int64"


def gated(n: int = 600, seed: int = 0, strays: int = 0) -> RelationalData:
    """'Did you use any of these?' answered 'Y'/'N' before its five options (0/1), one of them at
    least ticked after 'Y', none after 'N'; `strays`: rows answering 'Y' with none ticked (no gate)."""
    rng = np.random.default_rng(seed)
    used = rng.random(n) < 0.6
    picks = (rng.random((n, 5)) < 0.35) & used[:, None]
    picks[used & ~picks.any(axis=1), 1] = True
    picks[np.flatnonzero(used)[:strays]] = False
    frame = pd.DataFrame({"id": range(n), "used_any": np.where(used, "Y", "N")})
    frame = frame.assign(**{c: picks[:, k].astype(int) for k, c in enumerate(OPTIONS)}, smoker=rng.random(n) < 0.3)
    columns = {"used_any": Boolean()} | {c: Integer() for c in OPTIONS} | {"smoker": Boolean()}
    return RelationalData({"answer": frame}, Schema(answer=Table(id=PrimaryKey(), **columns)))


def test_an_any_gate_is_found_and_set_from_its_options(tiny_size):
    """A gate 'Y' exactly where one option at least is ticked, asked before them: a survey's briefly
    trained model left the options all 0 under 'Y' in 202 of 1,766 generated rows (the data: none),
    an untrained one in 1 of 300 here. The gate is found ("when": "any") and kept agreeing with the options,
    spelt 'Y'/'N' as the source; a gate with a few 'Y' rows of no option is none."""
    data = gated()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    (rule,) = pre.stats["none_boxes"]
    assert {k: v for k, v in rule.items() if k != "shares"} == {
        "table": "answer",
        "column": "used_any",
        "of": OPTIONS,
        "when": "any",
    }
    assert max(rule["shares"]) == rule["shares"][1]  # the option ticked where no other was
    torch.manual_seed(0)
    synth = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)
    out = synth.to_source("answer")
    ticked = out[OPTIONS].astype(int).sum(axis=1) > 0
    assert out["used_any"].isin(["Y", "N"]).all() and ((out["used_any"] == "Y") == ticked).all()
    assert ticked.any() and not ticked.all()


def test_an_any_gate_drawn_without_options_ticks_one_and_keeps_its_share():
    """Decoding keeps a gate as drawn (its share, the nulls of the questions it skips): a 'Y' of no
    option ticks one, drawn by the options' shares; an option ticked under 'N' ticks the gate."""
    rule = {"table": "t", "column": "gate", "of": ["a", "b"], "when": "any", "shares": [0.0, 1.0]}
    frame = pd.DataFrame({"gate": [True, True, False, False], "a": [1, 0, 0, 1], "b": [0, 0, 0, 0]})
    keep_none_boxes([rule], "t", frame, np.random.default_rng(0))
    assert frame["gate"].tolist() == [True, True, False, True]
    assert frame["a"].tolist() == [1, 0, 0, 1] and frame["b"].tolist() == [0, 1, 0, 0]
    strays = gated(strays=3)
    assert TabularPreproc.from_schema(strays.schema).fit(strays).stats["none_boxes"] == []
