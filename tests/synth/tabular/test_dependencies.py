"""Categories that follow from an earlier category of their row: a measurement's unit from its analyte."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, ForeignKey, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc

UNIT = {f"A{i:02d}": ["mg/L", "ug/L", "ng/L", "Bq/kg"][i % 4] for i in range(12)}


def samples(n: int = 60, seed: int = 0) -> RelationalData:
    """samples -> measurements: an analyte, its unit (always the same for an analyte), a method
    (mostly one value, never paired with the analyte), a value; the sample's lab decides its site."""
    rng = np.random.default_rng(seed)
    lab = rng.choice(["north", "south", "east"], n)
    sample = pd.DataFrame(
        {"id": range(n), "lab": lab, "site": pd.Series(lab).map({"north": "N1", "south": "S1", "east": "E1"})}
    )
    at = np.repeat(np.arange(n), rng.integers(1, 12, n))
    analyte = rng.choice(list(UNIT), len(at))
    meas = pd.DataFrame(
        {
            "id": range(len(at)),
            "sample": at,
            "analyte": analyte,
            "unit": [UNIT[a] for a in analyte],
            "method": rng.choice(["ICP", "GC"], len(at), p=[0.97, 0.03]),
            "value": rng.lognormal(0, 1, len(at)).round(3),
        }
    )
    schema = Schema(
        sample=Table(id=PrimaryKey(), lab=Categorical(), site=Categorical()),
        measurement=Table(
            id=PrimaryKey(),
            sample=ForeignKey(parent="sample"),
            analyte=Categorical(),
            unit=Categorical(),
            method=Categorical(),
            value=Numeric(),
        ),
    )
    return RelationalData({"sample": sample, "measurement": meas}, schema)


def test_a_category_that_follows_from_an_earlier_one_is_generated_with_it(tmp_path, tiny_size):
    """An untrained model draws a unit for any analyte (about 3 in 4 wrong); every generated
    measurement now has its analyte's unit, and the columns the data does not pair stay free."""
    data = samples()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = {(d["table"], d["column"], d["of"]) for d in pre.stats["dependencies"]}
    assert found == {("measurement", "unit", "analyte"), ("sample", "site", "lab")}  # not the method: nearly one value
    assert dict(next(d for d in pre.stats["dependencies"] if d["column"] == "unit")["pairs"]) == UNIT
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    model.save(tmp_path / "model")
    out = TabularModel.load(tmp_path / "model").generate(30, seed=0)
    m = out["measurement"]
    assert len(m) > 50 and m["analyte"].notna().all()
    assert (m["unit"].astype(str) == m["analyte"].astype(str).map(UNIT)).all()
    assert m["method"].nunique() == 2 and m["value"].notna().all()
    site = out["sample"]["lab"].astype(str).map({"north": "N1", "south": "S1", "east": "E1"})
    assert (out["sample"]["site"].astype(str) == site).all()


def test_a_given_context_value_is_kept_and_forces_what_follows(tiny_size):
    data = samples()
    ctx_pre = TabularPreproc.from_schema(data.schema, ctx_cols=["site"]).fit(data)
    found = [(d["column"], d["of"]) for d in ctx_pre.stats["dependencies"]]
    assert found == [("lab", "site"), ("unit", "analyte")]  # the given site comes first: never forced itself
    lab_pre = TabularPreproc.from_schema(data.schema, ctx_cols=["lab"]).fit(data)
    torch.manual_seed(0)
    model = TabularModel.build(lab_pre, size=tiny_size)
    ctx = pd.DataFrame({"lab": ["east"] * 5 + ["north"] * 5})
    out = model.generate(ctx=ctx, seed=1)["sample"]
    assert out["lab"].tolist() == ctx["lab"].tolist()
    assert out["site"].tolist() == ["E1"] * 5 + ["N1"] * 5


def test_no_dependency_where_a_row_breaks_it():
    data = samples()
    meas = data["measurement"].copy()
    meas.loc[0, "unit"] = "ppm" if meas.loc[0, "unit"] != "ppm" else "mg/L"  # one analyte, two units once
    broken = RelationalData({"sample": data["sample"], "measurement": meas}, data.schema)
    pre = TabularPreproc.from_schema(broken.schema).fit(broken)
    assert [d["column"] for d in pre.stats["dependencies"]] == ["site"]


def test_a_category_that_follows_from_its_parent_rows_is_generated_so(tiny_size):
    """A shipment's state follows from its order's status ('pending' orders' shipments are
    'preparing'): an untrained model drew states at random (847 of 1,168 wrong), a small trained
    one still gave 3-4 of 1,240 a state their order's status never has; now none, and a column
    its parent does not decide (the carrier) is left free."""
    states = {"pending": "preparing", "shipped": "in transit", "delivered": "delivered", "returned": "delivered"}
    rng = np.random.default_rng(0)
    status = rng.choice(list(states), 300, p=[0.2, 0.3, 0.4, 0.1])
    owner = np.repeat(np.arange(300), rng.integers(1, 4, 300))
    order = pd.DataFrame({"id": range(300), "status": status})
    shipment = pd.DataFrame(
        {
            "id": range(len(owner)),
            "order": owner,
            "state": [states[s] for s in status[owner]],
            "carrier": rng.choice(["ups", "dhl", "fedex"], len(owner)),
        }
    )
    schema = Schema(
        order=Table(id=PrimaryKey(), status=Categorical()),
        shipment=Table(id=PrimaryKey(), order=ForeignKey("order"), state=Categorical(), carrier=Categorical()),
    )
    data = RelationalData({"order": order, "shipment": shipment}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    [rule] = pre.stats["parent_dependencies"]
    assert (rule["table"], rule["column"], rule["of"]) == ("shipment", "state", "status")
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(200, seed=0)
    expected = out["shipment"]["order"].map(out["order"].set_index("id")["status"]).map(states)
    assert len(out["shipment"]) > 100 and (out["shipment"]["state"] == expected).all()
    assert out["shipment"]["carrier"].nunique() == 3


def test_a_number_that_follows_from_a_category_is_generated_with_it(tiny_size):
    """A grade's points follow from its letter (A 4.0 ... F 0.0); an untrained model draws them
    apart, about 4 in 5 enrollments with points of another letter; now none."""
    rng = np.random.default_rng(0)
    points = {"A": 4.0, "B": 3.0, "C": 2.0, "D": 1.0, "F": 0.0}
    grade = rng.choice(list(points), 400)
    enr = pd.DataFrame({"id": range(400), "grade": grade, "grade_points": [points[g] for g in grade]})
    enr["hours"] = rng.integers(1, 6, 400)  # no letter decides it
    schema = Schema(enr=Table(id=PrimaryKey(), grade=Categorical(), grade_points=Numeric(), hours=Numeric()))
    data = RelationalData({"enr": enr}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert [(d["column"], d["of"]) for d in pre.stats["dependencies"]] == [("grade_points", "grade")]
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(400, seed=0)["enr"]
    assert out["grade"].nunique() == 5
    assert (out["grade"].astype(str).map(points) == out["grade_points"]).all()


def test_a_category_that_decides_two_later_ones_forces_both(tiny_size):
    """A store's city decides its region and its country: the forcing kept one column per city
    token, the last (its country), and 86 % of a warehouse's generated stores had a region of
    another city. An untrained model now gives every store its city's region and country."""
    geo = {"Paris": ("IDF", "FR"), "Lyon": ("ARA", "FR"), "Berlin": ("BE", "DE"), "Munich": ("BY", "DE")}
    rng = np.random.default_rng(0)
    city = rng.choice(list(geo), 200)
    store = pd.DataFrame(
        {
            "id": range(200),
            "city": city,
            "region": [geo[c][0] for c in city],
            "country": [geo[c][1] for c in city],
            "kind": rng.choice(["mall", "street"], 200),
        }
    )
    schema = Schema(
        store=Table(
            id=PrimaryKey(), city=Categorical(), region=Categorical(), country=Categorical(), kind=Categorical()
        )
    )
    data = RelationalData({"store": store}, schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert {(d["column"], d["of"]) for d in pre.stats["dependencies"]} == {("region", "city"), ("country", "city")}
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(100, seed=0)["store"]
    cities = out["city"].astype(str)
    assert (out["region"].astype(str) == cities.map(lambda c: geo[c][0])).all()
    assert (out["country"].astype(str) == cities.map(lambda c: geo[c][1])).all()
