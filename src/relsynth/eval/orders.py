"""Dates in order: how many synthetic rows keep each order of dates that every training row keeps
(shipped >= ordered; an order placed after its customer joined). `relational.orders` finds the
orders, as the tabular model does; the held-out rows measured the same way are the ceiling (a
held-out row may break an order that happened to hold in every training row)."""

from __future__ import annotations

from relsynth.relational import RelationalData
from relsynth.relational.orders import DATED, date_orders, kept_share, parent_dates


def order_scores(train: RelationalData, test: RelationalData, synth: RelationalData) -> dict:
    """`{"orders": [{table, order, kept, rows, kept_ceiling, rows_ceiling}], "overall": {kept,
    kept_ceiling}}`: per order found in `train`, the share of `synth` rows holding both dates that
    keep it (and of `test` rows: the ceiling); overall, the mean over orders (None without any)."""
    orders = []
    for t in train.schema.synth_tables:
        schema_table = train.schema.tables[t]
        kinds = {c: k.kind for c, k in schema_table.columns.items()}
        dated = [c for c in schema_table.columns if kinds[c] in DATED]
        found = date_orders(train[t], dated, kinds, parent_dates(train.data, train.schema, t))
        if not found:
            continue
        parent = train.schema.parent(t)
        synth_parent, test_parent = (parent_dates(d.data, d.schema, t) for d in (synth, test))
        for o in found.values():
            kept, rows = kept_share(synth[t], o, synth_parent)
            ceiling, ceiling_rows = kept_share(test[t], o, test_parent)
            name = o.describe(parent.parent if parent else None)
            orders.append(
                {
                    "table": t,
                    "order": name,
                    "kept": kept,
                    "rows": rows,
                    "kept_ceiling": ceiling,
                    "rows_ceiling": ceiling_rows,
                }
            )
    return {
        "orders": orders,
        "overall": {"kept": _mean(o["kept"] for o in orders), "kept_ceiling": _mean(o["kept_ceiling"] for o in orders)},
    }


def _mean(values) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None
