"""Dates kept after a date of a row above their parent: a return after its order was placed, the
return nested under the order's line, which holds no date of its own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Date, Datetime, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularModel, TabularPreproc


def returns(seed: int = 0, n_orders: int = 200) -> RelationalData:
    """order -> line -> return: orders placed over two years, each line returned at most once, 5 to
    40 days after its order; the line holds a quantity, no date."""
    rng = np.random.default_rng(seed)
    placed = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 730, n_orders), "D")
    order = pd.DataFrame({"id": range(1, n_orders + 1), "placed": placed})
    n_lines = 2 * n_orders
    line = pd.DataFrame(
        {"id": range(1, n_lines + 1), "order": np.repeat(order["id"], 2).to_numpy(), "qty": rng.integers(1, 4, n_lines)}
    )
    returned = np.flatnonzero(rng.random(n_lines) < 0.4)
    after = pd.to_timedelta(rng.integers(5, 41, len(returned)), "D")
    ret = pd.DataFrame(
        {"id": range(1, len(returned) + 1), "line": returned + 1, "at": placed[returned // 2] + after.to_numpy()}
    )
    schema = Schema(
        order=Table(id=PrimaryKey(), placed=Date()),
        line=Table(id=PrimaryKey(), order=ForeignKey("order"), qty=Integer()),
        ret=Table(id=PrimaryKey(), line=ForeignKey("line"), at=Date()),
    )
    return RelationalData({"order": order, "line": line, "ret": ret}, schema)


def after_order(synth: RelationalData) -> float:
    """The share of generated returns dated on or after their order."""
    line = synth["line"].set_index("id")["order"].reindex(synth["ret"]["line"].to_numpy())
    placed = synth["order"].set_index("id")["placed"].reindex(line.to_numpy()).to_numpy()
    return float((synth["ret"]["at"].to_numpy() >= placed).mean())


def test_a_return_stays_after_its_order_above_its_line():
    data = returns()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    at = pre.orderings["ret"]["at"]  # modelled as its offset from its order's date, two levels up
    assert (at.base, at.from_parent) == ("order.placed", True) and pre.stats["ancestor_orders"] == []
    torch.manual_seed(0)
    kept = TabularModel.build(pre, size="small").generate(100, seed=0)  # untrained
    assert after_order(kept) == 1.0 and kept["ret"]["at"].dt.normalize().eq(kept["ret"]["at"]).all()  # whole days
    # without orders within rows, the date is moved after its order once decoded
    loose = TabularPreproc.from_schema(data.schema, keep_orders=False).fit(data)
    rules = {(r["table"], r["column"], r["low"], r["high"]) for r in loose.stats["ancestor_orders"]}
    assert rules == {("ret", "at", "order.placed", None)}
    torch.manual_seed(0)
    model = TabularModel.build(loose, size="small")  # untrained: return dates drawn apart from the orders
    kept = model.generate(100, seed=0)
    loose.stats["ancestor_orders"] = []
    unkept = model.generate(100, seed=0)
    assert after_order(kept) == 1.0 and after_order(unkept) < 0.8, (after_order(kept), after_order(unkept))
    assert kept["ret"]["at"].dt.normalize().eq(kept["ret"]["at"]).all()  # whole days


def test_no_ancestor_order_under_dp():
    data = returns()
    pre = TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(epsilon=3.0, delta=1e-5))
    assert pre.stats.get("ancestor_orders", []) == []


def shipments(seed: int = 0, n_orders: int = 200) -> RelationalData:
    """order -> line -> event: each line's 1 to 3 events follow one another, hours apart, from
    its order's date (the line holds no date): the events are a sequence of siblings."""
    rng = np.random.default_rng(seed)
    placed = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 730, n_orders), "D")
    order = pd.DataFrame({"id": range(1, n_orders + 1), "placed": placed})
    line = pd.DataFrame({"id": range(1, 2 * n_orders + 1), "order": np.repeat(order["id"], 2).to_numpy()})
    line["qty"] = rng.integers(1, 4, len(line))
    per_line = rng.integers(1, 4, len(line))
    owner = np.repeat(np.arange(len(line)), per_line)
    gaps = pd.to_timedelta(rng.integers(1, 72, len(owner)), "h").to_numpy()
    at = placed[owner // 2].to_numpy() + pd.Series(gaps).groupby(owner).cumsum().to_numpy()
    event = pd.DataFrame({"id": range(1, len(owner) + 1), "line": owner + 1, "at": at})
    schema = Schema(
        order=Table(id=PrimaryKey(), placed=Date()),
        line=Table(id=PrimaryKey(), order=ForeignKey("order"), qty=Integer()),
        event=Table(id=PrimaryKey(), line=ForeignKey("line"), at=Datetime()),
    )
    return RelationalData({"order": order, "line": line, "event": event}, schema)


def test_a_sequence_of_events_stays_after_its_order_and_in_order():
    # the events' dates followed their siblings from a constant origin (an order within rows): left
    # alone, 45 % of a deep shop's generated events were dated before their order
    data = shipments()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    at = pre.orderings["event"]["at"]  # its first sibling from its order's date, two levels up
    assert at.after_sibling and (at.base, at.from_parent) == ("order.placed", True)
    torch.manual_seed(0)
    synth = TabularModel.build(pre, size="small").generate(100, seed=0)  # untrained: dates drawn apart
    event = synth["event"].rename(columns={"line": "line_id"})
    order_of = synth["line"].set_index("id")["order"].reindex(event["line_id"].to_numpy()).to_numpy()
    placed = synth["order"].set_index("id")["placed"].reindex(order_of).to_numpy()
    assert (event["at"].to_numpy() >= placed).all()
    assert event.groupby("line_id", sort=False)["at"].apply(lambda s: s.is_monotonic_increasing).all()


def test_tables_named_with_a_dot_keep_the_order_above_the_parent():
    """Tables named `<schema>.<table>` (from_sql over several schemas) stopped the fit with
    KeyError: 'sales': `<ancestor>.<column>` was split at its first dot."""
    data = returns()
    named = {t: f"sales.{t}" for t in data.schema.tables}
    schema = Schema(
        {
            named[t]: Table(
                {c: ForeignKey(named[k.parent]) if isinstance(k, ForeignKey) else k for c, k in tab.columns.items()}
            )
            for t, tab in data.schema.tables.items()
        }
    )
    dotted = RelationalData({named[t]: df for t, df in data.data.items()}, schema)
    pre = TabularPreproc.from_schema(schema).fit(dotted)
    at = pre.orderings["sales.ret"]["at"]
    assert (at.base, at.from_parent) == ("sales.order.placed", True)
    torch.manual_seed(0)
    synth = TabularModel.build(pre, size="small").generate(100, seed=0)
    kept = RelationalData({t: synth[named[t]] for t in data.schema.tables}, data.schema)
    assert after_order(kept) == 1.0
