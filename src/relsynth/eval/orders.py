"""Orders within rows: how many synthetic rows keep each order that every training row keeps
(shipped >= ordered; an order placed after its customer joined; low <= high; a lab taken between
admission and discharge). `relational.orders.row_bounds` finds each column's nearest lower and
upper bound, of which the tabular model keeps one; the held-out rows measured the same way are the
ceiling (a held-out row may break an order that happened to hold in every training row)."""

from __future__ import annotations

from relsynth.relational import RelationalData
from relsynth.relational.orders import ORDERED, kept_share, parent_ordered, row_bounds


def order_scores(train: RelationalData, test: RelationalData, synth: RelationalData) -> dict:
    """`{"orders": [{table, order, kept, rows, kept_ceiling, rows_ceiling}], "overall": {kept,
    kept_ceiling}}`: per order found in `train`, the share of `synth` rows holding both values that
    keep it (and of `test` rows: the ceiling); overall, the mean over orders (None without any)."""
    orders = []
    for t in train.schema.synth_tables:
        kinds = {c: k.kind for c, k in train.schema.tables[t].columns.items()}
        columns = [c for c, k in kinds.items() if k in ORDERED]
        found = row_bounds(train[t], columns, kinds, *parent_ordered(train.data, train.schema, t))
        if not found:
            continue
        parent = train.schema.parent(t)
        synth_parent, test_parent = (parent_ordered(d.data, d.schema, t)[0] for d in (synth, test))
        for o in found:
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
    overall = {"kept": _mean(o["kept"] for o in orders), "kept_ceiling": _mean(o["kept_ceiling"] for o in orders)}
    return {"orders": orders, "overall": overall}


def _mean(values) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None
