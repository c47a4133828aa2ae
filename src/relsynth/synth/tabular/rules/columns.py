"""Not a rule: how the rules read a table's fitted columns, in one place: a modelled field's fitted
preprocessor (`field_preproc`). `lookup_matches` and `never_pairs` read it from here, so a rule
added beside them finds a column's preprocessor as they do."""

from __future__ import annotations

from relsynth.synth.tabular.encoders import ColumnPreproc


def field_preproc(pre, table: str, col: str) -> ColumnPreproc:
    """The fitted preprocessor of `table`'s modelled field `col` (a column the layout holds)."""
    layout = pre.layouts[table]
    return pre.slots[layout.slots[layout.fields.index(col)]].preproc
