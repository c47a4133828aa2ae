"""Build the shipped Chinook database as one SQLite file from its CSVs (data/01_raw/chinook).

The tables, columns and rows are those of the CSVs (see data/01_raw/chinook/README.md); the DDL
adds what a CSV cannot hold: SQL types (integers, TEXT, NUMERIC(10,2) money, DATETIME), NOT NULL
where Chinook's own DDL has it, every primary key and every foreign key. Datetimes are stored as
`YYYY-MM-DD HH:MM:SS`, the text form SQLAlchemy reads from SQLite. The output is the same bytes
for the same CSVs, so the committed file can be checked by building it again.

Usage (standard library only)::

    python3 scripts/build_chinook_sqlite.py                     # -> data/01_raw/chinook/chinook.sqlite
    python3 scripts/build_chinook_sqlite.py -o /tmp/chinook.sqlite
"""

from __future__ import annotations

import argparse
import csv
import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path

LOGGER = logging.getLogger("build_chinook_sqlite")
CSV_DIR = Path("data/01_raw/chinook")
DEFAULT_OUTPUT = CSV_DIR / "chinook.sqlite"

# Column types by table, in CSV order; NOT NULL as in Chinook's own DDL. `id` is every table's key.
# Tables in an order that puts every parent before its children (rows are inserted in this order).
COLUMNS: dict[str, dict[str, str]] = {
    "artist": {"id": "INTEGER", "name": "TEXT"},
    "genre": {"id": "INTEGER", "name": "TEXT"},
    "media_type": {"id": "INTEGER", "name": "TEXT"},
    "album": {"id": "INTEGER", "artist": "INTEGER NOT NULL", "title": "TEXT NOT NULL"},
    "track": {
        "id": "INTEGER",
        "album": "INTEGER",
        "name": "TEXT NOT NULL",
        "bytes": "INTEGER",
        "mediatype": "INTEGER NOT NULL",
        "unit_price": "NUMERIC(10,2) NOT NULL",
        "composer": "TEXT",
        "genre": "INTEGER",
        "milliseconds": "INTEGER NOT NULL",
    },
    "playlist": {"id": "INTEGER", "name": "TEXT"},
    "playlist_track": {"id": "INTEGER", "track": "INTEGER NOT NULL", "playlist": "INTEGER NOT NULL"},
    "employee": {
        "id": "INTEGER",
        "city": "TEXT",
        "fax": "TEXT",
        "firstname": "TEXT NOT NULL",
        "title": "TEXT",
        "lastname": "TEXT NOT NULL",
        "reports_to": "INTEGER",
        "birthdate": "DATETIME",
        "phone": "TEXT",
        "state": "TEXT",
        "address": "TEXT",
        "postalcode": "TEXT",
        "hiredate": "DATETIME",
        "country": "TEXT",
        "email": "TEXT",
    },
    "customer": {
        "id": "INTEGER",
        "city": "TEXT",
        "fax": "TEXT",
        "firstname": "TEXT NOT NULL",
        "lastname": "TEXT NOT NULL",
        "company": "TEXT",
        "phone": "TEXT",
        "state": "TEXT",
        "address": "TEXT",
        "postalcode": "TEXT",
        "support_rep": "INTEGER",
        "country": "TEXT",
        "email": "TEXT NOT NULL",
    },
    "invoice": {
        "id": "INTEGER",
        "customer": "INTEGER NOT NULL",
        "billingpostalcode": "TEXT",
        "invoicedate": "DATETIME NOT NULL",
        "billingstate": "TEXT",
        "billingaddress": "TEXT",
        "billingcountry": "TEXT",
        "total": "NUMERIC(10,2) NOT NULL",
        "billingcity": "TEXT",
    },
    "invoice_line": {
        "id": "INTEGER",
        "track": "INTEGER NOT NULL",
        "unit_price": "NUMERIC(10,2) NOT NULL",
        "invoice": "INTEGER NOT NULL",
        "quantity": "INTEGER NOT NULL",
    },
}
# table -> {column: referenced table}; parents are created before their children.
FOREIGN_KEYS: dict[str, dict[str, str]] = {
    "album": {"artist": "artist"},
    "track": {"album": "album", "mediatype": "media_type", "genre": "genre"},
    "playlist_track": {"track": "track", "playlist": "playlist"},
    "employee": {"reports_to": "employee"},
    "customer": {"support_rep": "employee"},
    "invoice": {"customer": "customer"},
    "invoice_line": {"track": "track", "invoice": "invoice"},
}


def create_table_sql(table: str) -> str:
    """The CREATE TABLE statement of one table: columns, its primary key and its foreign keys."""
    cols = [f'"{c}" {t}' + (" PRIMARY KEY" if c == "id" else "") for c, t in COLUMNS[table].items()]
    fks = [f'FOREIGN KEY ("{c}") REFERENCES "{ref}" ("id")' for c, ref in FOREIGN_KEYS.get(table, {}).items()]
    return f'CREATE TABLE "{table}" (\n  ' + ",\n  ".join(cols + fks) + "\n)"


def convert(value: str, sql_type: str) -> object:
    """A CSV field as the value SQLite stores: empty is NULL, integers as integers, money as REAL
    (NUMERIC affinity), datetimes `2007-01-01T00:00:00Z` as `2007-01-01 00:00:00`."""
    if value == "":
        return None
    if sql_type.startswith("INTEGER"):
        return int(value)
    if sql_type.startswith("NUMERIC"):
        return float(value)
    if sql_type.startswith("DATETIME"):
        return value.replace("T", " ").removesuffix("Z")
    return value


def read_rows(csv_dir: Path, table: str) -> list[tuple]:
    with (csv_dir / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if list(reader.fieldnames or []) != list(COLUMNS[table]):
            raise ValueError(f"{table}.csv has columns {reader.fieldnames}, expected {list(COLUMNS[table])}")
        return [tuple(convert(row[c], t) for c, t in COLUMNS[table].items()) for row in reader]


def build(csv_dir: Path, output: Path) -> dict[str, int]:
    """Write `output` afresh (a temporary file renamed at the end); returns the rows per table."""
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.unlink(missing_ok=True)
    rows = {}
    con = sqlite3.connect(tmp)
    try:
        con.execute("PRAGMA foreign_keys = ON")  # every reference is checked while inserting
        with con:
            for table in COLUMNS:
                con.execute(create_table_sql(table))
            for table in COLUMNS:  # parents first; employee references itself, its managers come first by id
                data = read_rows(csv_dir, table)
                marks = ", ".join("?" * len(COLUMNS[table]))
                con.executemany(f'INSERT INTO "{table}" VALUES ({marks})', data)
                rows[table] = len(data)
        con.execute("VACUUM")
    finally:
        con.close()
    tmp.replace(output)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv-dir", type=Path, default=CSV_DIR, help="the CSVs (default: %(default)s)")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT, help="default: %(default)s")
    args = parser.parse_args(argv)
    rows = build(args.csv_dir, args.output)
    LOGGER.info("wrote %s: %s (%d bytes)", args.output, rows, args.output.stat().st_size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
