"""The grammar of a serialised database: slots (which column or child count a token fills),
each table's row layout, the encoded token arrays, and the reserved token ids."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from relsynth.synth.tabular.encoders import ColumnPreproc

PAD, BOS = 0, 1
N_SPECIAL = 2
PLACEHOLDER = "<row>"  # the one field of a table that would otherwise have an empty header


@dataclass
class Slot:
    """One position type of the grammar: a column of a table, or a child count."""

    table: str
    column: str  # column name, "#<child>" for a count, PLACEHOLDER for an empty header
    preproc: ColumnPreproc
    offset: int = 0  # first global token id of this slot's vocabulary

    @property
    def is_count(self) -> bool:
        return self.column.startswith("#")

    @property
    def name(self) -> str:
        """The slot's name in calibration targets: "table->child" for a child count, "table.column" for a field."""
        return f"{self.table}->{self.column[1:]}" if self.is_count else f"{self.table}.{self.column}"

    def category_tokens(self) -> dict[str, int]:
        """A categorical slot's global token id of each of its categories, by the category's text
        (its local ids: `<missing>`, `<rare>`, then the categories)."""
        return {str(v): self.offset + 2 + k for k, v in enumerate(self.preproc.categories)}

    def value_tokens(self) -> dict[str, int]:
        """Each exact value's global token id, by its text: a categorical slot's categories, or a
        number's points (local ids: `<missing>`, then the points; `str(float)`: `1.0`)."""
        if hasattr(self.preproc, "categories"):
            return self.category_tokens()
        return {str(float(v)): self.offset + 1 + k for k, v in enumerate(getattr(self.preproc, "points", []))}


@dataclass
class TableLayout:
    """The header of a table's rows: its field slots, then one count slot per child table."""

    name: str
    fields: list[str]
    children: list[str]
    slots: list[int] = field(default_factory=list)  # global slot ids, fields then counts

    @property
    def n_fields(self) -> int:
        return len(self.fields)

    @property
    def header_len(self) -> int:
        return len(self.slots)


@dataclass
class Encoded:
    """Token sequences of root entities, concatenated, with a row index for windows.

    Entity e spans tokens[offsets[e]:offsets[e+1]]. Rows are in depth-first order; row r starts
    at row_start[r], belongs to table row_table[r] and nests under row row_parent[r] (-1: root).
    """

    tokens: np.ndarray  # (N,) int32 global token ids
    slots: np.ndarray  # (N,) int16 slot ids
    offsets: np.ndarray  # (E+1,) int64
    row_start: np.ndarray  # (R,) int64
    row_table: np.ndarray  # (R,) int16 index into preproc.tables
    row_parent: np.ndarray  # (R,) int64

    @property
    def n_entities(self) -> int:
        return len(self.offsets) - 1
