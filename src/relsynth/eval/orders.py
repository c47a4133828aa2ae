"""Orders within rows: how many synthetic rows keep each order that every training row keeps
(shipped >= ordered; an order placed after its customer joined; low <= high; a lab taken between
admission and discharge). `relational.orders.row_bounds` finds each column's nearest lower and
upper bound, of which the tabular model keeps one; the held-out rows measured the same way are the
ceiling (a held-out row may break an order that happened to hold in every training row).

Orders across rows are measured the same way: with the row a reference names (a payment after its
rental, a salary within its job's range: `relational.orders.reference_orders`, written
`salary >= job->min_salary`), and with the previous sibling (a stay admitted after the patient's
previous stay was discharged: `previous_end`, written `admitted >= previous discharged`; a
meter's reading never below the previous one's: `running_numbers`, written `energy >= previous
energy`), the share of consecutive siblings that keep it."""

from __future__ import annotations

from relsynth.relational import RelationalData
from relsynth.relational.orders import (
    ORDERED,
    after_previous_share,
    kept_share,
    parent_ordered,
    previous_end,
    reference_orders,
    referenced_ordered,
    row_bounds,
    running_numbers,
    running_share,
    sibling_key,
)


def order_scores(train: RelationalData, test: RelationalData, synth: RelationalData) -> dict:
    """`{"orders": [{table, order, across, kept, rows, kept_ceiling, rows_ceiling}], "overall": {kept,
    kept_ceiling}}`: per order found in `train`, the share of `synth` rows holding both values that
    keep it (and of `test` rows: the ceiling); overall, the mean over orders (None without any)."""
    orders = [
        row for measure in (_row_orders, _reference_orders, _sibling_orders) for row in measure(train, test, synth)
    ]
    overall = {"kept": _mean(o["kept"] for o in orders), "kept_ceiling": _mean(o["kept_ceiling"] for o in orders)}
    return {"orders": orders, "overall": overall}


def _row_orders(train: RelationalData, test: RelationalData, synth: RelationalData) -> list[dict]:
    out = []
    for t in train.schema.synth_tables:
        kinds = {c: k.kind for c, k in train.schema.tables[t].columns.items()}
        columns = [c for c, k in kinds.items() if k in ORDERED]
        found = row_bounds(train[t], columns, kinds, *parent_ordered(train.data, train.schema, t))
        if not found:
            continue
        parent = train.schema.parent(t)
        above = [parent_ordered(d.data, d.schema, t)[0] for d in (synth, test)]
        for o in found:
            kept, ceiling = (kept_share(d[t], o, rows) for d, rows in zip((synth, test), above, strict=True))
            out.append(_row(t, o.describe(parent.parent if parent else None), kept, ceiling, "row"))
    return out


def _reference_orders(train: RelationalData, test: RelationalData, synth: RelationalData) -> list[dict]:
    out = []
    for t in train.schema.synth_tables:
        kinds = {c: k.kind for c, k in train.schema.tables[t].columns.items()}
        for e in train.schema.references(t):
            found = reference_orders(train[t], list(kinds), kinds, *referenced_ordered(train.data, train.schema, e))
            named = [referenced_ordered(d.data, d.schema, e)[0] for d in (synth, test)]
            for o in found:
                kept, ceiling = (kept_share(d[t], o, rows) for d, rows in zip((synth, test), named, strict=True))
                text = f"{o.column} {'>=' if o.sign > 0 else '<='} {e.fk}->{o.base}"
                out.append(_row(t, text, kept, ceiling, "reference"))
    return out


def _sibling_orders(train: RelationalData, test: RelationalData, synth: RelationalData) -> list[dict]:
    out = []
    for t in train.schema.synth_tables:
        edge = train.schema.parent(t)
        kinds = {c: k.kind for c, k in train.schema.tables[t].columns.items()}
        columns = [c for c, k in kinds.items() if k in ORDERED]
        if edge is None or (key := sibling_key(train[t], edge.fk, columns, kinds)) is None:
            continue
        if (end := previous_end(train[t], edge.fk, key, columns, kinds)) is not None:
            kept, ceiling = (after_previous_share(d[t], edge.fk, key, end, kinds) for d in (synth, test))
            out.append(_row(t, f"{key} >= previous {end}", kept, ceiling, "sibling"))
        for c in running_numbers(train[t], edge.fk, key, columns, kinds):
            kept, ceiling = (running_share(d[t], edge.fk, key, c, kinds) for d in (synth, test))
            out.append(_row(t, f"{c} >= previous {c}", kept, ceiling, "sibling"))
    return out


def _row(
    table: str, order: str, kept: tuple[float | None, int], ceiling: tuple[float | None, int], across: str
) -> dict:
    """One order's scores; `across`: "row" (within a row or with its parent row), "reference" (with
    the row a reference names) or "sibling" (with the previous sibling: its rows are pairs)."""
    return {
        "table": table,
        "order": order,
        "across": across,
        "kept": kept[0],
        "rows": kept[1],
        "kept_ceiling": ceiling[0],
        "rows_ceiling": ceiling[1],
    }


def _mean(values) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None
