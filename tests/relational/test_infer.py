"""Schema.infer: keys as told, every other column's kind guessed from its values."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relsynth.relational import (
    Column,
    DataError,
    Date,
    Datetime,
    ForeignKey,
    PrimaryKey,
    RelationalData,
    Schema,
    SchemaError,
    Table,
)
from relsynth.relational._infer import infer_kind, infer_kind_and_reason

ROOT = Path(__file__).resolve().parents[2]
CHINOOK = ROOT / "data" / "01_raw" / "chinook"
CHINOOK_TABLES = ["artist", "album", "track", "genre", "media_type"]
CHINOOK_FKS = {
    "album": {"artist": "artist"},
    "track": {"album": "album", "mediatype": "media_type", "genre": "genre"},
}


def _with_check(body: str, luhn: bool) -> str:
    """`body` and its check digit: Luhn's (card numbers) or GTIN's (ISBN-13, weights 1 and 3)."""
    total = 0
    for i, d in enumerate(reversed(body)):
        v = int(d) * (2 if i % 2 == 0 else 1) if luhn else int(d) * (3 if i % 2 == 0 else 1)
        total += v - 9 if luhn and v > 9 else v
    return body + str(-total % 10)


@pytest.fixture(scope="module")
def chinook_frames() -> dict[str, pd.DataFrame]:
    return {t: pd.read_csv(CHINOOK / f"{t}.csv", keep_default_na=False, na_values=[""]) for t in CHINOOK_TABLES}


@pytest.fixture(scope="module")
def inferred(chinook_frames: dict[str, pd.DataFrame]) -> Schema:
    return Schema.infer(
        chinook_frames,
        primary_keys={t: "id" for t in CHINOOK_TABLES},
        foreign_keys=CHINOOK_FKS,
        lookups=["genre", "media_type"],
    )


def test_chinook_inference_matches_the_shipped_yaml(inferred: Schema):
    assert inferred == Schema.from_yaml(ROOT / "conf" / "base" / "schema_chinook.yml")


@pytest.mark.parametrize(
    ("table", "column", "kind"),
    [
        ("artist", "name", Column.TEXT),
        ("album", "title", Column.TEXT),
        ("track", "name", Column.TEXT),
        ("track", "bytes", Column.INTEGER),
        ("track", "milliseconds", Column.INTEGER),
        ("track", "unit_price", Column.NUMERIC),
        ("track", "composer", Column.CATEGORICAL),
        ("genre", "name", Column.CATEGORICAL),  # unique and wordy, but a lookup is never text
        ("media_type", "name", Column.CATEGORICAL),
        ("track", "id", Column.PRIMARY_KEY),
        ("track", "album", Column.FOREIGN_KEY),
    ],
)
def test_chinook_column_kinds(inferred: Schema, table: str, column: str, kind: Column):
    assert inferred.tables[table].columns[column].kind is kind


def test_chinook_inferred_structure(inferred: Schema):
    assert inferred.roots == ["artist"]
    assert inferred.tables["track"].columns["genre"] == ForeignKey("genre")
    assert inferred.depth_first() == ["artist", "album", "track"]


def test_inferred_schema_validates_its_own_data(chinook_frames: dict[str, pd.DataFrame], inferred: Schema):
    data = RelationalData(chinook_frames, inferred)
    assert data.n_rows() == {"artist": 275, "album": 347, "track": 3503, "genre": 25, "media_type": 5}


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (pd.Series([True, False, None], dtype="boolean"), Column.BOOLEAN),
        (pd.Series([True, False]), Column.BOOLEAN),
        (pd.Series(["yes", "No", None, "YES"]), Column.BOOLEAN),
        (pd.Series(["t", "f", "t"]), Column.BOOLEAN),
        (pd.Series(["Y", "N", "Yes", "N", "no", "Y"]), Column.BOOLEAN),  # one pair's spellings, short and long
        (pd.Series(["T", "F", "N", "T", "F", "N"]), Column.CATEGORICAL),  # two pairs' words: no flag
        (pd.Series([1, 2, 3]), Column.INTEGER),
        (pd.Series([1.0, np.nan, 3.0]), Column.INTEGER),  # integers with gaps arrive as floats
        (pd.Series([1, 2, None], dtype="Int64"), Column.INTEGER),
        (pd.Series([0.5, 1.25]), Column.NUMERIC),
        (pd.Series(["1", "22", "-3"]), Column.INTEGER),
        (pd.Series(["1.5", "2", None]), Column.NUMERIC),
        (pd.Series(["2007-01-01T00:00:00Z", "2007-01-02T00:00:00Z"]), Column.DATE),
        (pd.Series(["2007-01-01", "2008-12-31", None]), Column.DATE),
        (pd.Series(["2007-01-01 10:30", "2007-01-02 00:00"]), Column.DATETIME),
        (pd.Series(pd.to_datetime(["2007-01-01", "2007-01-02"])), Column.DATE),
        (pd.Series(pd.to_datetime(["2007-01-01 10:00", "2007-01-02 00:00"])), Column.DATETIME),
        (pd.Series(["9:30", "12:00:01", "23:59"]), Column.TIME),
        (pd.Series(["red", "blue", "red", "red", "blue", "green"]), Column.CATEGORICAL),
        (pd.Series([f"a long sentence number {i} about things" for i in range(10)]), Column.TEXT),
        (pd.Series([f"id-{i:030d}" for i in range(10)]), Column.TEXT),  # unique, long single words
        (pd.Series([None, None], dtype=object), Column.CATEGORICAL),
        # mostly rare codes of a clerk the database has no table of: as text, real clerks' codes were replayed
        (pd.Series([f"Clerk#{i % 900:09d}" for i in range(3000)] + ["Clerk#1"] * 400), Column.IDENTIFIER),
        (pd.Series([f"clerk {i % 900}" for i in range(3000)] + ["clerk one"] * 400), Column.TEXT),  # mostly rare words
        # a student's code in each of a few enrollments (no students table): as text, real students' codes replayed
        (pd.Series([f"S{1_000_000 + i * 7919 % 9_000_000:07d}" for i in range(60)] * 2), Column.IDENTIFIER),
        (pd.Series(["28/07/2020", "05/03/2020", "13/01/2021"]), Column.DATE),  # day first
        (pd.Series(["00501", "02134", "00501", "02134", "00501"] * 2), Column.CATEGORICAL),  # codes, not numbers
        (pd.Series([str(10**19 + i) for i in range(10)]), Column.TEXT),  # identifiers past int64
        (pd.Series([f"2020-01-{d:02d}" for d in range(1, 29)] * 4 + ["pending"]), Column.TEXT),  # a word, no date
        (pd.Series([f"2020-01-{d:02d}" for d in range(1, 29)] * 4 + ["unknown"]), Column.DATE),  # a missing date
        (pd.Series([f"INV-{2015 + i % 7}-{i:05d}" for i in range(50)]), Column.IDENTIFIER),
        (pd.Series(["", *(f"2020-01-{d:02d}" for d in range(1, 29))] * 3), Column.DATE),  # blank: a missing date
        (pd.Series(["", " ", *(f"{i * 1.25:.2f}" for i in range(40))]), Column.NUMERIC),  # blank: a missing number
        (pd.Series([f"{i * 7919:03d}-{i * 31 % 997:03d}-{i:04d}" for i in range(40)]), Column.IDENTIFIER),  # phones
        (pd.Series([f"+{i % 3 + 1} {i * 7919 % 900 + 100} {i:04d}" for i in range(40)]), Column.IDENTIFIER),  # spaced
        (pd.Series([f"{i} {['Main', 'Oak', 'Elm'][i % 3]} St" for i in range(40)]), Column.TEXT),  # addresses: words
        # phones written with a space, as Northwind's: free text, generated by a text model, before
        (pd.Series([f"({100 + i * 7 % 900}) 555-{i * 7919 % 9000 + 1000}" for i in range(40)]), Column.IDENTIFIER),
        (pd.Series([f"+44 20 {7000 + i * 37} {1000 + i * 91}" for i in range(40)]), Column.IDENTIFIER),
        # masked card numbers (groups of a mask): free text, whose model wrote 15 of 200 out of shape (4177 68** **** 691)
        (pd.Series([f"**** **** **** {1000 + i * 211 % 9000}" for i in range(40)]), Column.IDENTIFIER),
        (pd.Series([f"{4000 + i * 37} {10 + i}** **** {1000 + i * 91}" for i in range(40)]), Column.IDENTIFIER),
        (pd.Series([f"XXXX {i} Main St" for i in range(40)]), Column.TEXT),  # a mask, but words
        # card numbers and ISBN-13s, whole numbers: integers, 9 in 10 generated ones failed their check digit
        (pd.Series([_with_check(f"4{i * 7919 % 10**14:014d}", luhn=True) for i in range(40)]), Column.IDENTIFIER),
        (pd.Series([int(_with_check(f"4{i * 7919 % 10**14:014d}", luhn=True)) for i in range(40)]), Column.IDENTIFIER),
        (pd.Series([_with_check(f"978{i * 7919 % 10**9:09d}", luhn=False) for i in range(40)]), Column.IDENTIFIER),
        (pd.Series([f"4{i * 7919 % 10**14:014d}{i % 10}" for i in range(40)]), Column.INTEGER),  # no check: numbers
        (pd.Series([f"a sentence number {10 + i} about things" for i in range(40)]), Column.TEXT),  # words, spaced
        (pd.Series([f"{i * 2654435761 % 2**64:016x}" for i in range(1, 30)]), Column.IDENTIFIER),  # hashes
        (pd.Series([f"{i:06d}" for i in range(40)]), Column.IDENTIFIER),  # unique codes with leading zeros
        (pd.Series([str(10**19 + i) for i in range(30)]), Column.IDENTIFIER),  # unique, past int64
        (pd.Series([f"INV-{i:05d}" for i in range(19)]), Column.TEXT),  # too few to tell
        (
            pd.Series(
                [
                    f"{n}{i}@{d}"
                    for i, (n, d) in enumerate(
                        zip(
                            ["ann", "bo", "carla", "dmitri"] * 10,
                            ["x.org", "mail.com", "yy.net", "a.b.io", "c.de"] * 8,
                            strict=True,
                        )
                    )
                ]
            ),
            Column.TEXT,
        ),  # e-mails: shapes vary  # fmt: skip
        (
            pd.Series([f"{w}{i % 2}" for i, w in enumerate(["anna", "bob", "carl", "dora", "emil"] * 6)]),
            Column.CATEGORICAL,
        ),  # repeat
    ],
)
def test_infer_kind(values: pd.Series, kind: Column):
    assert infer_kind(values) is kind


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (pd.Series([f"{_MONTHS[i % 12]} {i % 28 + 1}, {2020 + i % 4}" for i in range(300)]), Column.DATE),
        (pd.Series([f"{i % 28 + 1:02d}-{_MONTHS[i % 12]}-{1950 + i % 50}" for i in range(300)]), Column.DATE),
        (pd.Series([f"{_MONTHS[i % 12]} {i % 28 + 1} {2020 + i % 4}" for i in range(300)]), Column.DATE),  # no comma
        (pd.Series([f"{1950 + i % 50}-{_MONTHS[i % 12]}-{i % 28 + 1:02d}" for i in range(300)]), Column.DATE),
        (pd.Series([f"{i % 12 + 1}:{i * 7 % 60:02d} {'AM' if i % 3 else 'PM'}" for i in range(300)]), Column.TIME),
        (pd.Series([f"{i % 12 + 1:02d}:{i * 7 % 60:02d}pm" for i in range(300)]), Column.TIME),
        (pd.Series([f"{w} {i}" for i, w in enumerate(["Mar", "May", "Dec"] * 100)]), Column.TEXT),  # no year: words
    ],
)
def test_dates_with_a_month_name_and_12_hour_times_are_dates_and_times(values: pd.Series, kind: Column):
    """Dates written `Mar 5, 2024` or `05-Mar-2024` and times `3:45 PM` were free text (generated
    empty by the tabular model) or codes of the shape `99-Aaa-9999` (generated `23-Jct-1965`)."""
    assert infer_kind(values) is kind


def test_an_inferred_schema_reads_the_frames_it_was_inferred_from():
    frame = pd.DataFrame(
        {
            "id": range(300),
            "zip": [f"{i % 40:05d}" for i in range(300)],
            "opened": [f"2020-01-{i % 28 + 1:02d}" for i in range(299)] + ["unknown"],
            "account": [str(10**19 + i) for i in range(300)],
        }
    )
    schema = Schema.infer({"t": frame})
    data = RelationalData({"t": frame}, schema)  # no DataError: every kind fits every value
    assert data["t"]["zip"].iloc[1] == "00001"
    assert "leading zero" in schema.inference["t"]["zip"] and "'unknown'" in schema.inference["t"]["opened"]


def test_text_guess_becomes_categorical_only_in_lookups():
    names = pd.Series([f"genre number {i}" for i in range(8)])
    assert infer_kind(names) is Column.TEXT
    assert infer_kind(names, in_lookup=True) is Column.CATEGORICAL


def test_unique_codes_of_two_or_three_capitals_are_identifiers_and_names_stay_text():
    """A country's ISO code2 ('AW', 'AF', ... unique, no digit) was text, which a text model writes
    repeated, of other lengths, or as real codes; it is an identifier now, drawn fresh in its shape.
    Names, codes of mixed lengths and repeated state codes are not."""
    rng = np.random.default_rng(0)
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    code2 = pd.Series(sorted({"".join(rng.choice(letters, 2)) for _ in range(400)}))
    assert infer_kind(code2) is Column.IDENTIFIER
    assert infer_kind(pd.Series([c + "X" for c in code2])) is Column.IDENTIFIER  # three: a currency's EUR
    assert infer_kind(pd.Series([c.title() for c in code2])) is not Column.IDENTIFIER  # 'Aw': a name's shape
    assert infer_kind(pd.Series([c + "X" * (k % 2) for k, c in enumerate(code2)])) is not Column.IDENTIFIER
    assert infer_kind(pd.Series(list(code2[:20]) * 10)) is Column.CATEGORICAL  # states, each repeated


def test_inferred_time_date_and_boolean_columns_validate():
    frames = {
        "event": pd.DataFrame(
            {
                "id": [1, 2, 3],
                "at": ["9:30", "10:05:30", None],
                "day": ["2020-01-31", "2021-02-01", "2022-03-04"],
                "done": ["yes", "no", "yes"],
            }
        )
    }
    schema = Schema.infer(frames, primary_keys={"event": "id"})
    kinds = {c: k.kind for c, k in schema.tables["event"].columns.items()}
    assert kinds == {"id": Column.PRIMARY_KEY, "at": Column.TIME, "day": Column.DATE, "done": Column.BOOLEAN}
    df = RelationalData(frames, schema)["event"]
    assert list(df["at"]) == [dt.time(9, 30), dt.time(10, 5, 30), None]
    assert df["day"].dtype == "datetime64[ns]"
    assert df["done"].tolist() == [True, False, True]


def test_overrides_correct_a_guess():
    frames = {"t": pd.DataFrame({"id": [1, 2], "zip": [1234, 5678]})}
    schema = Schema.infer(frames, primary_keys={"t": "id"}, overrides={"t": {"zip": Column.CATEGORICAL}})
    assert schema.tables["t"].columns["zip"].kind is Column.CATEGORICAL


def test_infer_without_keys_guesses_every_column():
    schema = Schema.infer({"t": pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})})
    assert schema.tables["t"].primary_key is None
    assert schema.roots == ["t"]


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"primary_keys": {"nope": "id"}}, r"primary_keys names table\(s\) \['nope'\]"),
        ({"foreign_keys": {"nope": {"a": "t"}}}, r"foreign_keys names table\(s\) \['nope'\]"),
        ({"overrides": {"nope": {"a": "text"}}}, r"overrides names table\(s\) \['nope'\]"),
        ({"primary_keys": {"t": "key"}}, r"table 't' has no column\(s\) \['key'\]"),
        ({"overrides": {"t": {"zz": "text"}}}, r"table 't' has no column\(s\) \['zz'\]"),
        ({"primary_keys": {"t": "id"}, "foreign_keys": {"t": {"a": "u"}}}, r"t\.a references table 'u'"),
    ],
)
def test_infer_errors_name_what_is_wrong(kwargs: dict, pattern: str):
    frames = {"t": pd.DataFrame({"id": [1, 2], "a": [1, 2]})}
    with pytest.raises(SchemaError, match=pattern):
        Schema.infer(frames, **kwargs)


def test_unique_short_labels_are_text_not_categories_generated_missing():
    """A 94-row table whose name and code are all unique single words: as categories every value
    would be rarer than min_count and the column generated 100% missing; a name is text (the text
    model writes it), a code an identifier (drawn fresh in its format)."""
    names = ["".join(chr(97 + (i * k) % 26) for k in (1, 3, 7)) for i in range(94)]
    frames = {"t": pd.DataFrame({"id": range(94), "name": names, "code": [f"C{i:03d}" for i in range(94)],
                                 "tier": ["gold", "silver"] * 47})}  # fmt: skip
    schema = Schema.infer(frames, primary_keys={"t": "id"})
    kinds = {c: k.kind for c, k in schema.tables["t"].columns.items()}
    assert kinds == {
        "id": Column.PRIMARY_KEY,
        "name": Column.TEXT,
        "code": Column.IDENTIFIER,
        "tier": Column.CATEGORICAL,
    }
    report = schema.inference["t"]
    assert "fewer than 5 times" in report["name"] and "generated as missing" in report["name"]
    assert "codes of the shape 'A999'" in report["code"]
    assert report["id"] == "given in primary_keys" and "repeat" in report["tier"]


def test_the_reason_says_what_becomes_of_infinities_and_integers_past_2_53():
    """A ratio holding ±inf was reported as "some values fractional", and the read then refused it;
    an instrument serial up to 2**62 as "every value whole", and came back rounded to 16 digits."""
    frames = {"t": pd.DataFrame({"id": range(6), "ratio": [0.5, 1.0, np.inf, -np.inf, 2.0, 3.0],
                                 "count": [1.0, 2.0, np.inf, 4.0, 5.0, 6.0],
                                 "serial": np.array([2**62, 7, 2**53 + 1, 3, 4, 5], dtype=np.int64),
                                 "small": [1, 2, 3, 4, 5, 2**53]})}  # fmt: skip
    schema = Schema.infer(frames, primary_keys={"t": "id"})
    report = schema.inference["t"]
    assert "fractional" in report["ratio"] and "2 value(s) are ±inf" in report["ratio"]
    assert schema.tables["t"].columns["count"].kind is Column.INTEGER and "1 value(s) are ±inf" in report["count"]
    assert "float64's precision" in report["serial"] and "declare it identifier" in report["serial"]
    assert report["small"] == "dtype int64, every value whole"


def event_payloads(n: int = 600, seed: int = 0) -> pd.Series:
    """An event log's JSON payloads: a few repeated documents (`{"items": 3}`) and, on a third of the
    rows, one holding the row's own amount (rarer than MIN_COUNT each)."""
    rng = np.random.default_rng(seed)
    kinds = rng.choice(["created", "paid", "delivered"], size=n, p=[0.4, 0.35, 0.25])
    docs = {
        "created": lambda: {"items": int(rng.integers(1, 6))},
        "paid": lambda: {"amount": round(float(rng.gamma(2, 40)), 2), "method": str(rng.choice(["card", "paypal"]))},
        "delivered": lambda: {"signed_by": str(rng.choice(["recipient", "neighbour"]))},
    }
    return pd.Series([json.dumps(docs[k]()) for k in kinds])


def test_json_documents_of_their_rows_own_values_are_text():
    """An event log's payloads (`{"amount": 72.23, "method": "card"}` on paid events, 48 % of the rows
    a document seen fewer than 5 times) were read as categories, under the 50 % of rare rows that make
    labels text: every paid event's payload was generated as a frequent document of another event
    (`{"carrier": "FedEx", "weight_kg": 0.4}` on 44 paid events, no amount on any). A column of JSON
    documents is text where more than a few rows hold a rare one; a few documents repeated are labels."""
    payloads = event_payloads()
    assert 0.2 < (payloads.map(payloads.value_counts()) < 5).mean() < 0.5  # below the threshold for labels
    kind, why = infer_kind_and_reason(payloads)
    assert kind is Column.TEXT and "JSON" in why
    repeated = pd.Series(['{"items": 1}', '{"items": 2}', "[1, 2]"] * 40)
    assert infer_kind(repeated) is Column.CATEGORICAL


def test_excel_serial_dates_are_named_and_a_date_declared_so_is_read_and_written_back_so():
    """A spreadsheet's order dates exported as Excel serial days (44636 for 2022-03-16) were
    inferred as integers without a word, modelled apart from the customers' sign-up dates, and
    declared date they were refused (with the conversion, which loses the file's spelling)."""
    days = pd.Series([str(43466 + 7 * i) for i in range(60)])  # 2019-01-01, weekly
    kind, why = infer_kind_and_reason(days)
    assert kind is Column.INTEGER
    assert "read as Excel's serial days they would be dates from 2019-01-01 to 2020-02-18" in why
    assert "pd.to_datetime(df[col].astype(float), unit='D', origin='1899-12-30')" in why
    assert "Excel" not in infer_kind_and_reason(pd.Series([str(30000 + 1000 * i) for i in range(60)]))[1]  # salaries
    assert "Excel" not in infer_kind_and_reason(pd.Series([str(18 + i % 70) for i in range(60)]))[1]  # ages
    assert "declare the column date" in why
    frame = pd.DataFrame({"id": range(60), "ordered": days, "paid": [float(d) + 0.5 for d in days]})
    data = RelationalData({"t": frame}, Schema(t=Table(id=PrimaryKey(), ordered=Date(), paid=Datetime())))
    assert data["t"]["ordered"].iloc[0] == pd.Timestamp("2019-01-01")
    assert data["t"]["paid"].iloc[1] == pd.Timestamp("2019-01-08 12:00")
    back = data.to_source("t")  # as the file wrote them: text serial days, and fractional ones as numbers
    assert back["ordered"].tolist() == days.tolist() and back["paid"].tolist() == frame["paid"].tolist()
    mixed = frame.assign(ordered=[*days[:59], "2019-03-04"])  # a text date among them: no spreadsheet's column
    with pytest.raises(DataError, match=r"do not fit the kind"):
        RelationalData({"t": mixed}, Schema(t=Table(id=PrimaryKey(), ordered=Date(), paid=Datetime())))


def test_excel_serial_days_beside_missing_values_are_read_and_written_back_in_their_spelling():
    """Serial days of a spreadsheet's export beside its missing values: 'NULL' (a placeholder, read
    as a null in any other date column) was refused (9 value(s) do not fit the kind, e.g. 'NULL'),
    and a text column of whole days holding a null was written back '43466.0' (an Int64 beside a
    null maps as floats). Both now come back as the file spelt them."""
    days = [str(43466 + 7 * i) for i in range(60)]
    placeholders = pd.Series(["NULL" if i % 7 == 0 else d for i, d in enumerate(days)])
    nulls = pd.Series([None if i % 7 == 0 else d for i, d in enumerate(days)], dtype=object)
    frame = pd.DataFrame({"id": range(60), "ordered": placeholders, "shipped": nulls})
    data = RelationalData({"t": frame}, Schema(t=Table(id=PrimaryKey(), ordered=Date(), shipped=Date())))
    assert data["t"]["ordered"].isna().sum() == 9 and data["t"]["ordered"].iloc[1] == pd.Timestamp("2019-01-08")
    back = data.to_source("t")
    assert back["ordered"].tolist() == placeholders.tolist()
    assert back["shipped"].where(nulls.notna(), None).tolist() == nulls.tolist()


def test_a_counter_of_the_rows_is_the_key_of_a_table_given_none():
    # a survey of 300 respondents: respondent_id 1..300 inferred as an integer was generated as a
    # number, repeated in 46 of 300 rows
    rng = np.random.default_rng(0)
    n = 300
    survey = pd.DataFrame(
        {
            "respondent_id": rng.permutation(n) + 1,
            "age": rng.integers(18, 80, n),
            "income": rng.permutation(n) * 3 + 100,
        }
    )  # fmt: skip  (distinct, counts nothing)
    schema = Schema.infer({"survey": survey})
    assert schema.tables["survey"].primary_key == "respondent_id"
    assert schema.inference["survey"]["respondent_id"].startswith("distinct whole numbers 1 to 300 in 300 rows")
    as_text = {"survey": survey.astype(str)}  # a CSV read as text, as the README advises
    assert Schema.infer(as_text).tables["survey"].primary_key == "respondent_id"
    # read with dtype="string" (pandas' string dtype, whose kinds infer reads alike): the same key
    as_strings = {"survey": survey.astype("string")}
    assert Schema.infer(as_strings).tables["survey"].primary_key == "respondent_id"
    zero_padded = {"survey": survey.assign(respondent_id=survey["respondent_id"].map("{:04d}".format))}
    assert Schema.infer(zero_padded).tables["survey"].primary_key is None  # codes
    assert (
        Schema.infer({"survey": survey.assign(respondent_id=survey["respondent_id"] + 1000)})
        .tables["survey"]
        .primary_key
        is None
    )  # 1001.. counts nothing from 1: a number
    assert Schema.infer({"survey": survey}, primary_keys={"survey": "age"}).tables["survey"].primary_key == "age"
    # a lookup of 4 rows has a key: the one a foreign key names
    questions = pd.DataFrame({"question_id": [1, 2, 3, 4], "qtype": ["likert", "likert", "number", "text"]})
    answers = pd.DataFrame({"answer_id": range(1, 13), "respondent_id": np.repeat([1, 2, 3], 4),
                            "question_id": [1, 2, 3, 4] * 3, "value": ["3"] * 12})  # fmt: skip
    frames = {"survey": survey, "questions": questions, "answers": answers}
    schema = Schema.infer(frames, foreign_keys={"answers": {"respondent_id": "survey", "question_id": "questions"}},
                          lookups=["questions"])  # fmt: skip
    # answers: 12 rows that no key names, too few to tell a counter from a number
    assert [schema.tables[t].primary_key for t in frames] == ["respondent_id", "question_id", None]
    RelationalData(frames, schema)


def test_composite_keys_given_to_infer_name_the_tables_they_cannot_take():
    """A multi-tenant table keyed (tenant_id, id): primary_keys={"users": ["tenant_id", "id"]} failed
    with "TypeError: unhashable type: 'list'", and foreign_keys={"tasks": {("tenant_id", "project_id"):
    "projects"}} with "table 'tasks' has no column(s) [('tenant_id', 'project_id')]". Composite keys
    are taken (tests/relational/test_composite.py); a composite key to a table given no composite
    primary key names the table, its columns and the ways out."""
    frames = {
        "users": pd.DataFrame({"tenant_id": [1, 1, 2], "id": [1, 2, 1], "role": ["a", "b", "a"]}),
        "tasks": pd.DataFrame({"tenant_id": [1, 2], "id": [1, 1], "project_id": [1, 1]}),
        "projects": pd.DataFrame({"tenant_id": [1, 2], "id": [1, 1]}),
    }
    users = Schema.infer(frames, primary_keys={"users": ["tenant_id", "id"]}).tables["users"]
    assert users.composite_key == ("tenant_id", "id")
    with pytest.raises(SchemaError, match=r"tasks\.\(tenant_id, project_id\) -> projects: projects has no composite"):
        Schema.infer(frames, foreign_keys={"tasks": {("tenant_id", "project_id"): "projects"}})


def test_binary_values_that_are_not_text_are_refused_by_the_data_not_by_a_decode_error():
    """A column of bytes (a BLOB read into a frame) with values that are no UTF-8 made Schema.infer
    stop with pandas' UnicodeDecodeError; it reads bytes as the data holds them, says so, and
    RelationalData refuses them naming the column and what to do."""
    frame = pd.DataFrame({"id": range(1, 5), "photo": [b"\xff\xd8\xff", b"\x89PNG", None, b"GIF8"]})
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    assert "binary value(s) that are not UTF-8 text" in schema.inference["t"]["photo"]
    with pytest.raises(DataError, match=r"column 'photo'.*binary values that are not UTF-8 text"):
        RelationalData({"t": frame}, schema)


def test_bytes_that_are_utf8_text_are_read_as_that_text():
    assert infer_kind(pd.Series([b"yes", b"no", None, b"yes"] * 5)) is Column.BOOLEAN
