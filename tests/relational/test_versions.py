"""Versions of one entity (SCD type 2) nested under their business key, and put back."""

from __future__ import annotations

import pandas as pd
import pytest

from relsynth.relational import Column, Date, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table, Text
from relsynth.relational.versions import entity_table, nest_versions, unnest_versions, versioned_keys


def scd() -> RelationalData:
    """Two customers, one with three versions (moving city), one with one; sales of each version."""
    customers = pd.DataFrame(
        {
            "customer_sk": [1, 2, 3, 4],
            "customer_id": ["C001", "C001", "C001", "C002"],
            "name": ["Ann Lee", "Ann Lee", "Ann Lee", "Bo Chen"],
            "city": ["Lyon", "Paris", "Nice", "Lyon"],
            "valid_from": ["2020-01-01", "2020-07-01", "2021-03-01", "2020-02-01"],
            "valid_to": ["2020-06-30", "2021-02-28", "9999-12-31", "9999-12-31"],
            "is_current": [0, 0, 1, 1],
        }
    )
    sales = pd.DataFrame(
        {"sale_id": [1, 2, 3], "customer_sk": [1, 3, 4], "sold": ["2020-03-01", "2021-05-05", "2020-02-02"]}
    )
    schema = Schema(
        dim_customer=Table(
            customer_sk=PrimaryKey(), customer_id=Text(), name=Text(), city=Column.CATEGORICAL,
            valid_from=Date(), valid_to=Date(), is_current=Integer(),
        ),
        fact_sales=Table(sale_id=PrimaryKey(), customer_sk=ForeignKey(parent="dim_customer"), sold=Date()),
    )  # fmt: skip
    return RelationalData({"dim_customer": customers, "fact_sales": sales}, schema)


def test_versions_nest_under_their_business_key_and_come_back() -> None:
    """A dimension's customer_id repeating across versions was a column of rare labels (text): every
    generated row a customer of its own, 0 of them with two versions. Nested, the versions are the
    rows of a table of their business keys, which holds the columns no customer's versions change
    (the name), and the facts stay under their version; unnest_versions gives back the source's table."""
    data = scd()
    nested = nest_versions(data, "dim_customer", "customer_id")
    entity = entity_table("dim_customer", "customer_id")
    assert nested.schema.parent("dim_customer").parent == entity
    assert nested.schema.parent("fact_sales").parent == "dim_customer"
    assert list(nested.schema.tables[entity].columns) == ["customer_id", "name"]
    assert nested[entity]["customer_id"].tolist() == ["C001", "C002"]
    assert "name" not in nested["dim_customer"]
    back = unnest_versions(nested)
    assert back.schema == data.schema
    pd.testing.assert_frame_equal(back["dim_customer"], data["dim_customer"])
    assert back.to_source("dim_customer")["valid_to"].tolist() == data.to_source("dim_customer")["valid_to"].tolist()


def test_only_a_root_table_with_a_business_key_nests_as_versions() -> None:
    data = scd()
    with pytest.raises(ValueError, match="'fact_sales' nests under 'dim_customer'"):
        nest_versions(data, "fact_sales", "sold")
    with pytest.raises(ValueError, match="no column 'customer_sk' that is no key"):
        nest_versions(data, "dim_customer", "customer_sk")


def many_versions(overlap: bool = False) -> RelationalData:
    """25 customers of two versions each (the second open); `overlap`: the second starts before the first ends."""
    starts = pd.Series(pd.date_range("2020-01-01", periods=25, freq="7D"))
    ends = starts + pd.Timedelta(days=30)
    frame = pd.DataFrame(
        {
            "sk": range(50),
            "customer_id": [f"C{i:03d}" for i in range(25)] * 2,
            "city": ["Lyon", "Paris"] * 25,
            "valid_from": pd.concat([starts, ends - pd.Timedelta(days=5 if overlap else -1)], ignore_index=True),
            "valid_to": pd.concat([ends, pd.Series([pd.NaT] * 25)], ignore_index=True),
        }
    )
    schema = Schema(
        c=Table(sk=PrimaryKey(), customer_id=Text(), city=Column.CATEGORICAL, valid_from=Date(), valid_to=Date())
    )
    return RelationalData({"c": frame}, schema)


def test_a_business_key_of_versions_is_found() -> None:
    """from_sql said nothing of a business key repeating across versions (read as text, every generated
    row a customer of its own): a label repeating over rows whose validity ranges never overlap, the
    open one last, is found (and from_sql names nest_versions); a label repeating over overlapping
    ranges (a city) is not."""
    assert versioned_keys(*_parts(many_versions())) == [("c", "customer_id", "valid_from", "valid_to")]
    assert versioned_keys(*_parts(many_versions(overlap=True))) == []


def _parts(data: RelationalData) -> tuple[Schema, dict[str, pd.DataFrame]]:
    return data.schema, {t: data[t] for t in data}


def test_lookups_from_sql_chose_itself_stay_so_through_nesting() -> None:
    """from_sql marks the lookups it chose itself (no caller named them), which a DP fit refuses to
    copy; nest_versions, as from_sql's warning advises, built a schema without the mark, and the DP
    fit copied such a table (30 doctors with their salaries) as public."""
    data = scd()
    channel = pd.DataFrame({"channel_id": [1, 2], "name": ["web", "shop"]})
    sales = data["fact_sales"].assign(channel_id=[1, 2, 1])
    tables = {**data.schema.tables, "channel": Table(channel_id=PrimaryKey(), name=Column.CATEGORICAL)}
    tables["fact_sales"] = tables["fact_sales"].with_columns({**tables["fact_sales"].columns, "channel_id": ForeignKey(parent="channel")})  # fmt: skip
    schema = Schema(tables=tables, lookups=["channel"])
    schema.detected_lookups = ("channel",)  # as from_sql leaves it
    data = RelationalData({**data.data, "fact_sales": sales, "channel": channel}, schema)
    nested = nest_versions(data, "dim_customer", "customer_id")
    assert nested.schema.detected_lookups == ("channel",)
    assert unnest_versions(nested).schema.detected_lookups == ("channel",)
