"""Identifier columns (`Column.IDENTIFIER`): codes such as `INV-2019-00042` that name a row without
being a key. They are never modelled: the fit records their format (`identifier_format`) and
generation draws fresh values in it (`new_identifiers`), unique where the source's are.

A format is the shapes the codes take (`relational.shapes`: `AAA-9999-99999`) that at least
`min_count` values share, each as runs: a run all those values spell alike is kept as it is
(`INV-`), a run of digits is drawn between the lowest and highest number the values hold there,
on the step they all lie on from the lowest (an account code's tens: 1000, 1010, ...; `"step"`)
(one run of any width where no value pads it with zeros and some write it with two digits or more:
`SKU-7`, `SKU-300`),
letters that spell a few labels (a course code's department, `MATH` in `MATH350`), and digits
but the last run (which may count) that do (a phone's calling code, `+49`), among those labels, as
often as in the data, other letters one by one among those seen (capitals and digits mixed at
random, a UPS tracking number's 16 after its `1Z`, one run of either: `ALNUM`, `relational.shapes.alnum_shapes`). The labels of a run are
counted over every value whose shape differs only in the lengths of its runs, so the domains of
e-mail addresses (`anna.weiss7@mail.example.com`, `bo.li12@web.example.net`: each address its own
shape) are drawn among the real ones of the run's length, not letter by letter (`iops.example.gcc`). Where the codes number their rows
(`ORD000017`: their last digit run holds much of its range's numbers, or rises with the rows' keys;
numbers that codes share, CS-101 and MATH-101, only where each prefix's codes hold much of their own),
drawn codes would be real ones: the last digit run counts on after the highest, in
the order of the rows' keys where the data's numbers rise with their row's key (TPC-H's
`Customer#000000042` names customer 42), else in random order. Codes drawn from a range (zip
codes, a few % of theirs) are drawn in it.

A code is null where rows like it hold none (a tracking number on shipped events only): the fit
keeps the null rate per token of the row's field that best tells, as a reference's null share is
kept (`null_by`), and generation draws each row's null by its own token's rate.

Where a label of the row tells the codes' shapes or their constant parts (an IBAN's country and
length, a phone number's `+49 ` or `+33 `, a VAT id's `DE`, a postcode's `99999` or `AA9A 9AA` by
the customer's country, an account code's leading digit by the account's type), a format is fitted for each of its values of `min_count` rows at least
(`"by"`, `"groups"`; the label may be the parent row's, `PARENT`), and each generated row's code
is drawn in its generated label's. A digit run
that is a part of a date of the row in every code (`INV-2023-000123`'s year, of the invoice's date;
`DATE_PARTS`, at least `MIN_DATED` codes) is written from the generated date, and one whose leading
digits are an integer of the row in every code (a course code's hundreds, its level: `CS301`, level 3)
is written from the generated integer, its other digits drawn in the range the data's take
(`"integer"`); a whole run equal to an integer (an order number beside its code) stays drawn as it
was, as the code would repeat wherever the generated number does. Where every code
passes a standard check digit (`relational.check_digits`: an IBAN's mod 97, an ISBN-13's, a card's Luhn),
the drawn codes get theirs set (`"check"`).

IPv4 addresses (`IPV4`) are drawn octet by octet in their ranges, or, where they fill DENSE of their range
as 32-bit numbers (hosts numbered in a block), counted on after the highest address (`_as_addresses`):
a counter on the last octet alone wrote 10.0.3.300.

A fresh code is never a value of the column's data (a real student's `anna.smith@uni.edu`, a real
account's handle or phone number: few first and last names drawn piece by piece made 37 % of a
school's generated e-mails real ones). The fit keeps keyed hashes of the column's distinct values
(`known_codes`: blake2b under a random key of its own), never the values; generation draws again,
KNOWN_REDRAWS rounds at most, each code whose hash is among them (`_without_known`), and writes
`<column>_<n>` where the format has no room left (a warning says how many). Whoever holds the
fitted model can test whether a value they guess was in the data (hash it under the kept key); no
value can be read back from it, which a generated copy of it would hand to every reader of the
output. Not UUIDs (a repeat of 2**122 values does not happen), nor the labels a source lists
(public), nor under DP (`_public_identifier_format`: no value read, codes `<column>_<n>` or UUIDs).

Codes that are all real calendar dates written yyyy-mm-dd are dates out of the range pandas holds
(before 1677, after 2262: `Schema.infer` reads them as identifiers, a date column could not hold
them): drawn digit by digit they gave days no calendar has (2301-09-31, 1609-02-29: 6 of 200).
Their format keeps the days' quantiles (`"dates"`), and fresh ones are real days drawn between them,
written as the source writes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import itertools
import logging
import re
import secrets
import uuid
from collections.abc import Sequence

import numpy as np
import pandas as pd

from relsynth.relational.check_digits import find_check, with_check
from relsynth.relational.numbers import to_numbers
from relsynth.relational.shapes import CLASSES, DIGIT, UUID, char_shapes, code_shapes
from relsynth.synth.tabular.rules.date_parts import PARTS

log = logging.getLogger(__name__)

NUMBER = (
    "\ue000"  # (private use) in a shape, a run of digits of any width that no value zero-pads (`_unpadded_numbers`)
)
_DIGITS = re.compile(f"{DIGIT}+")
MAX_SHAPES = 32  # the most common shapes kept
DENSE = 0.2  # codes whose last digit run holds this share of the numbers in its range number their rows: it counts
# (drawn in the range, one in five would be a real row's); codes drawn from a range fill a few % of it (zip codes)
REPEATED = 0.02  # ... read per prefix where this share of the distinct codes repeat a number (CS-101, MATH-101):
# a counter never does (a typo aside), while random numbers filling a fifth of their range repeat in 9 % of codes
SHARED_DENSE = 0.5  # ... and there this share of each prefix's room from the lowest: PROJ-1..137, WEB-1..42 fill it,
# while course numbers drawn in a department's 101..498 hold a fifth of it in a catalog of 600 courses
MIN_STEPPED = 5  # distinct numbers a run's step is read from, at least (5 random ones share one 7 % of the time)
MIN_RISING = 20  # ... or whose numbers rise with their row's key over this many rows at least (a counter with gaps)
COUNTED = 0.5  # ... where its width leaves room for this share of the codes' count to count on
REDRAWS = 20  # rounds of drawing again the repeated codes of a unique column
KNOWN_REDRAWS = 100  # ... and the codes that are the data's (`_without_known`: only those, so cheap); where a
# quarter of a format's room is left (200 e-mails of 528 name pairs, 200 more drawn), 1 in 10**12 is still one
LABELLED = 0.95  # letters whose labels of min_count values hold this share of a shape's values are drawn as labels
MIN_DATED = 20  # codes whose date part a digit run is, at least (and whose integer's leading digits it is)
DATE_PARTS = {  # the parts of a date a run of digits may write (as numbers; zero-padded to the run's width)
    **{p: PARTS[p] for p in ("yyyymmdd", "yyyymm", "year", "month", "day", "dayofyear", "quarter", "isoweek")},
    "yy": lambda d: d.dt.year % 100,
}
PARENT = "<parent>."  # a label of the parent row (`<` starts no column name: reserved)
ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"  # a calendar date as codes may write it (1066-10-14, 2500-01-01)
DATE_QUANTILES = 33  # quantiles of the days of codes that are dates, fresh ones drawn between two neighbours
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# an IPv4 address, dotted, no octet zero-padded, with or without a prefix length (an inet's netmask: 10.0.0.7/24)
IPV4 = rf"{_OCTET}(\.{_OCTET}){{3}}(/(3[0-2]|[12]?[0-9]))?"
UNIT_SEPARATOR = "\x1f"  # joins a code's pieces into one string (ASCII's separator: in no code)
DIGEST_BYTES = 8  # a known code's keyed hash: 2**64 values, a fresh code among 1M hashes by chance 1 in 2**44
KEY_BYTES = 16  # the random key of a fit's hashes (`known_codes`)
TOLD = 0.9  # share of the smaller entropy of a label and the codes' shapes their mutual information holds: one tells the other


def identifier_format(
    values: pd.Series,
    min_count: int,
    keys: pd.Series | None = None,
    labels: pd.DataFrame | None = None,
    dates: pd.DataFrame | None = None,
    ends: Sequence[str] = (),
    scale: float = 1.0,
    lengths: tuple[int, int | None] = (0, None),
    integers: pd.DataFrame | None = None,
) -> dict:
    """The format fresh codes of `values` are drawn in (see the module docstring); its shapes are
    empty when no shape has `min_count` values (the codes are then `<column>_1`, `<column>_2`...).
    `keys`: the rows' primary key, which a counter's numbers may rise with; `labels`: the row's
    categories, one of which may tell the codes' shapes (a format per value of it); `dates`: the
    row's dates, a part of which a digit run may be. Where `values` are a sample of a larger data
    (`relational.Whole`): `ends`, codes of the whole at the ends of its range, whose numbers the
    runs' ranges take in, and `scale`, its rows per sample row, by which the codes fill their room:
    fitted on the sample alone, a counter counted on past the sample's highest number, over real
    codes the sample missed. `lengths`: the shortest and longest code the column's type and CHECKs
    allow (VARCHAR(6), length(code) = 4), within which a counter of any width counts. `integers`: the
    row's whole numbers, whose value a digit run's leading digits may be (a course's level)."""
    fmt = _format(values, min_count, keys, dates, ends, scale, lengths, integers)
    if integers is not None and (written := _integer_columns(fmt)):  # shapes and groups too few to tell alone
        integers = integers[written]
        fmt = _format(values, min_count, keys, dates, ends, scale, lengths, integers, established=True)
    else:
        integers = None
    if "dates" in fmt:  # real days: no check digit, no shape a label tells
        return fmt
    if (check := find_check(values)) is not None:
        fmt["check"] = check
    by = None if labels is None or fmt.get("uuid") else telling_label(values, labels, min_count)
    if by is None:
        return fmt
    groups = labels[by].astype("string")
    counts = groups.value_counts()
    fitted = {
        str(g): _format(
            values[groups == g],
            min_count,
            None if keys is None else keys[groups == g],
            None if dates is None else dates[groups == g],
            scale=scale,
            lengths=lengths,
            integers=None if integers is None else integers[groups == g],
            established=True,
        )
        for g in counts[counts >= max(min_count, 1)].index
    }
    widths = _counting_widths(fmt)
    return {**fmt, "by": by, "groups": {g: _counting_only(f, widths) for g, f in fitted.items()}}


def known_codes(values: pd.Series) -> dict:
    """{"known": {"key", "digests"}}: keyed hashes (`_digests`, under a random key of this fit) of
    the distinct values of a column whose codes are drawn fresh, so that generation never writes
    one (`_without_known`); the values themselves are not kept. {} for UUIDs (never repeated)."""
    codes = values.dropna().astype(str).unique()
    if len(codes) and pd.Series(codes).str.match(UUID).all():
        return {}
    key = secrets.token_bytes(KEY_BYTES)
    return {"known": {"key": key.hex(), "digests": sorted(set(_digests(codes, key)))}}


def _digests(codes: Sequence[str], key: bytes) -> list[str]:
    """Each code's blake2b hash under `key`, DIGEST_BYTES long, in hex."""
    return [hashlib.blake2b(c.encode(), key=key, digest_size=DIGEST_BYTES).hexdigest() for c in codes]


def listed_format(values: pd.Series, labels: Sequence[str]) -> dict:
    """A format drawing each code evenly among `labels`, the values its source lists (an enum type):
    public as the schema is, and a value no shape of the data's can write (a shape drawn letter by
    letter would be refused by the type)."""
    s = values.dropna()
    return {
        "null_rate": float(values.isna().mean()) if len(values) else 0.0,
        "unique": bool(s.is_unique) and len(s) <= len(labels),
        "shapes": [{"share": 1.0, "runs": [{"labels": list(labels), "shares": [1 / len(labels)] * len(labels)}]}],
    }


def replay_share(fmt: dict, distinct: int) -> float:
    """About the share of codes drawn in `fmt` (without its label groups) that fall on one of the
    source's `distinct` values: per shape, its share of them over the codes it can write (`_room`),
    none where a run counts on past them; 1 where no shape of theirs is written (`<column>_1`)."""
    if fmt.get("uuid") or fmt.get("ipv4_after") is not None:
        return 0.0
    if fmt.get("dates"):
        return min(1.0, distinct / (fmt["dates"][-1] - fmt["dates"][0] + 1))
    if not fmt.get("shapes"):
        return 1.0
    return sum(
        shape["share"] * min(1.0, distinct * shape["share"] / _room(shape["runs"]))
        for shape in fmt["shapes"]
        if not any(r.get("counter") for r in shape["runs"])
    )


def _room(runs: list[dict]) -> float:
    """How many codes a shape's runs can write (`_runs`)."""
    room = 1.0
    for r in runs:
        if "digits" in r:
            room *= (r["hi"] - r["lo"]) // r.get("step", 1) + 1
        elif "labels" in r:
            room *= len(r["labels"])
        elif "chars" in r:
            room *= float(len(r["chars"])) ** r["length"]
    return room


def _counting_widths(fmt: dict) -> set[int]:
    """The widths of `fmt`'s counting digit runs (0: a number of any width)."""
    return {r["digits"] for shape in fmt.get("shapes", []) for r in shape["runs"] if r.get("counter")}


def _counting_only(fmt: dict, widths: set[int]) -> dict:
    """A label's format whose digit runs count only where the column's codes of their width do
    (`widths`, `_counting_widths`): a label's few codes fill their own narrow range by chance (a
    city's 25 postcodes within 59037 to 59999, 3 %), and counted on after the highest, and after the
    other labels' highest, they lost the city's 59 (Lille's postcodes generated as 94218)."""

    def kept(run: dict) -> dict:
        width = run["digits"] or len(str(run["hi"]))
        return run if width in widths or 0 in widths else {**run, "counter": False}

    shapes = [
        {**shape, "runs": [kept(r) if r.get("counter") else r for r in shape["runs"]]}
        for shape in fmt.get("shapes", [])
    ]
    return {**fmt, "shapes": shapes} if "shapes" in fmt else fmt


def parent_labels(fks: pd.Series, parents: pd.DataFrame, pk: str, cols: list[str]) -> pd.DataFrame:
    """The parent row's labels `cols` of each row (its parent key `fks`), named `PARENT` + column:
    a label of the parent row may tell a child's codes (an invoice's payer IBAN, the customer's country)."""
    out = parents.set_index(pk)[cols].reindex(fks.to_numpy())
    return out.set_axis(fks.index).rename(columns=lambda c: PARENT + c)


def _integer_columns(fmt: dict) -> list[str]:
    """The integer columns some digit run of `fmt` is written from (`"integer"`)."""
    runs = [r for shape in fmt.get("shapes", []) for r in shape["runs"]]
    return list(dict.fromkeys(r["integer"][0] for r in runs if "integer" in r))


def follows_row(fmt: dict) -> bool:
    """Whether codes in `fmt` are drawn from values of their row (a label's groups, a date's part, an integer)."""
    formats = [fmt, *(fmt.get("groups") or {}).values()]
    return bool(fmt.get("groups")) or any(_from_row(r) for f in formats for s in f.get("shapes", []) for r in s["runs"])


def _from_row(run: dict) -> bool:
    """Whether a run is written from a value of its row (a date's part, an integer), never counted."""
    return "date" in run or "integer" in run


def telling_label(values: pd.Series, labels: pd.DataFrame, min_count: int) -> str | None:
    """The label column that best tells the codes' signatures (`_signatures`: their shapes, or
    their letters) or is told by them, where their mutual information holds TOLD of the smaller
    entropy of the two; None where none does."""
    s = values.dropna().astype(str)
    if len(s) < max(min_count, 2) or not len(labels.columns):
        return None
    best, best_score = None, TOLD
    for sig in _signatures(s, min_count):
        for col in labels.columns:
            label = labels.loc[s.index, col].astype("string").fillna("\x00")
            score = _told(sig, label)
            if score >= best_score:
                best, best_score = col, score
    return best


def _signatures(s: pd.Series, min_count: int) -> list[pd.Series]:
    """The codes' shapes, their spellings with digits as `9` (`DE99...`), their first groups
    (`+49` of `+49 30 1234567`) and first characters (an account code's leading digit, `1290` an
    asset's, `4010` an income's), a signature that fewer than `min_count` codes have lumped as one
    (random letters tell nothing)."""
    out = []
    first = s.str.extract(r"^([^ \-/.]+)", expand=False).fillna("")
    for sig in (char_shapes(s), s.str.replace(r"[0-9]", DIGIT, regex=True), first, s.str[:1]):
        counts = sig.map(sig.value_counts())
        out.append(sig.where(counts >= max(min_count, 1), "\x00"))
    return out


def _told(a: pd.Series, b: pd.Series) -> float:
    """Mutual information of `a` and `b` over the smaller of their entropies (0 where one is constant)."""
    h_a, h_b = _entropy(a.value_counts()), _entropy(b.value_counts())
    if min(h_a, h_b) <= 0:
        return 0.0
    h_ab = _entropy(pd.DataFrame({"a": a.to_numpy(), "b": b.to_numpy()}).value_counts())
    return (h_a + h_b - h_ab) / min(h_a, h_b)


def _entropy(counts: pd.Series) -> float:
    p = counts.to_numpy(dtype=float) / counts.sum()
    return float(-(p * np.log(p)).sum())


def _format(
    values: pd.Series,
    min_count: int,
    keys: pd.Series | None = None,
    dates: pd.DataFrame | None = None,
    ends: Sequence[str] = (),
    scale: float = 1.0,
    lengths: tuple[int, int | None] = (0, None),
    integers: pd.DataFrame | None = None,
    established: bool = False,
) -> dict:
    """The format of one group of codes (`identifier_format` without labels); `established`: the
    whole column's codes were found written from `integers`, so a few codes that agree are too."""
    s = values.dropna().astype(str)
    keys = None if keys is None else keys[s.index].to_numpy(dtype=object)
    dates = None if dates is None or not len(dates.columns) else dates.loc[s.index].reset_index(drop=True)
    integers = None if integers is None or not len(integers.columns) else integers.loc[s.index].reset_index(drop=True)
    fmt = {"null_rate": float(values.isna().mean()) if len(values) else 0.0, "unique": bool(s.is_unique)}
    if len(s) and s.str.match(UUID).all():
        return {**fmt, "uuid": True}
    if len(s) >= max(min_count, 2) and (days := _days(s)) is not None:
        return {**fmt, "dates": np.quantile(days, np.linspace(0, 1, DATE_QUANTILES)).round().astype(int).tolist()}
    both = pd.concat([s, pd.Series(list(ends), dtype=object).astype(str)], ignore_index=True)
    own, hex_digits = code_shapes(both, min_count)  # the ends read alike: an unpadded SKU-300 one NUMBER
    shapes = own if hex_digits else _unpadded_numbers(both, own)
    end = np.arange(len(both)) >= len(s)
    ends_of = {shape: (both[end & (shapes == shape)], own[end & (shapes == shape)]) for shape in set(shapes[end])}
    s, own, shapes = both[~end], own[~end], shapes[~end]
    counts = shapes.value_counts()
    kept = counts[counts >= max(min_count, 1)].head(MAX_SHAPES)
    pools = _run_pools(s, own, shapes)
    fmt["shapes"] = [
        {
            "share": float(n / kept.sum()),
            "runs": _runs(
                s[shapes == shape].to_numpy(dtype=object),
                own[shapes == shape].to_numpy(dtype=object),
                shape,
                None if keys is None else keys[(shapes == shape).to_numpy()],
                min_count,
                pools.get(_collapsed(shape)),
                ends_of.get(shape, ((), ())),
                scale,
                None if dates is None else dates[(shapes == shape).to_numpy()],
                lengths,
                None if integers is None else integers[(shapes == shape).to_numpy()],
                established,
            ),
        }
        for shape, n in kept.items()
    ]
    return _as_addresses(fmt, s) if len(s) and s.str.fullmatch(IPV4).all() else fmt


def _as_addresses(fmt: dict, codes: pd.Series) -> dict:
    """The format of IPv4 addresses (`codes`): no octet drawn past 255. The last octet of any 300
    addresses fills its range, so it counted, and wrote 10.0.3.300, which a database's inet refuses.
    Addresses are numbered as 32-bit numbers: where they hold DENSE of their range (hosts numbered in
    a block), fresh ones count on after the highest (`"ipv4_after"`: 10.0.3.255, 10.0.4.0); else, or
    where they carry a prefix length (10.0.0.7/24, its run never counted past 32 either), each octet
    is drawn in its range, as other digit runs are. Networks (a cidr's 10.4.32.0/20: every code a
    prefix length with no host bit set) stay networks (`"network"`): PostgreSQL refuses 10.4.37.0/20."""
    numbers = np.unique([int(ipaddress.IPv4Interface(c).ip) for c in codes])
    network = {"network": True} if _all_networks(codes) else {}
    shapes = [
        {**shape, "runs": [{**r, "counter": False} if "digits" in r else r for r in shape["runs"]]} | network
        for shape in fmt["shapes"]
    ]
    dense = len(numbers) >= MIN_STEPPED and len(numbers) >= DENSE * (numbers[-1] - numbers[0] + 1)
    counted = dense and not codes.str.contains("/", regex=False).any()  # a prefix length is drawn as a run
    return {**fmt, "shapes": shapes} | ({"ipv4_after": int(numbers[-1])} if counted else {})


def _all_networks(codes: pd.Series) -> bool:
    """Whether every address of `codes` is a network: a prefix length, no host bit set past it."""
    if not codes.str.contains("/", regex=False).all():
        return False
    try:
        for code in codes:
            ipaddress.IPv4Network(code)  # strict: refuses an inet's 10.0.0.7/24
    except ValueError:
        return False
    return True


def _new_addresses(n: int, after: int, rng: np.random.Generator) -> list[str]:
    """`n` IPv4 addresses counted on after the address `after` (a 32-bit number), in random order."""
    numbers = rng.permutation(np.arange(after + 1, after + n + 1, dtype=np.int64) % 2**32)
    return [str(ipaddress.IPv4Address(int(v))) for v in numbers]


def _days(codes: pd.Series) -> np.ndarray | None:
    """The codes as day numbers (`datetime.date.toordinal`) where each is a real date written
    yyyy-mm-dd (years 1 to 9999); else None."""
    if not codes.str.fullmatch(ISO_DATE).all():
        return None
    try:
        return np.array([dt.date.fromisoformat(c).toordinal() for c in codes], dtype=np.int64)
    except ValueError:  # a month or day no calendar has: codes of that shape, not dates
        return None


def _new_dates(n: int, edges: list[int], unique: bool, rng: np.random.Generator) -> list[str]:
    """`n` real days between two neighbouring quantiles of the source's (`_days`), yyyy-mm-dd;
    distinct where the source's are, as far as the range has room."""
    lo, hi = np.asarray(edges[:-1], dtype=np.float64), np.asarray(edges[1:], dtype=np.float64)
    days = np.zeros(n, dtype=np.int64)
    todo = np.arange(n)
    for _ in range(REDRAWS if unique else 1):
        at = rng.integers(0, len(lo), len(todo))
        days[todo] = np.round(lo[at] + rng.random(len(todo)) * (hi[at] - lo[at])).astype(np.int64)
        if not unique:
            break
        todo = np.flatnonzero(pd.Series(days).duplicated().to_numpy())
        if not len(todo):
            break
    return [dt.date.fromordinal(int(d)).isoformat() for d in days]


def _unpadded_numbers(values: pd.Series, shapes: pd.Series) -> pd.Series:
    """The shapes with each run of digits that no value writes with a leading zero made one of any
    width (NUMBER): `SKU-7`, `SKU-42` and `SKU-300` are one counter, not three shapes whose own
    counters, each past its width, wrote `SKU-01` and real rows' `SKU-100`."""
    if values.str.contains(NUMBER, regex=False).any():  # the marker would be read as a run: left as they are
        return shapes
    # the digits under each digit run of the shape (a digit of an ALNUM run, `1Z...`, is none)
    runs = pd.Series(
        [[v[m.start() : m.end()] for m in _DIGITS.finditer(shape)] for v, shape in zip(values, shapes, strict=True)],
        index=values.index,
    )
    padded = runs.map(lambda r: tuple((len(d) > 1 and d[0] == "0") or len(d) > 18 for d in r))  # past int64: as is
    wide = runs.map(lambda r: tuple(len(d) > 1 for d in r))
    collapsed = shapes.str.replace(_DIGITS, NUMBER, regex=True)
    # a run keeps its width where any value of its collapsed shape pads it there, or none writes it wider
    # than one digit (a postcode's `SW1A 1AA`: a digit, not a number of any width that counted on to `SW1A 10AA`)
    any_padded = padded.groupby(collapsed).agg(lambda p: tuple(map(any, zip(*p, strict=True))))
    any_wide = wide.groupby(collapsed).agg(lambda w: tuple(map(any, zip(*w, strict=True))))
    kept = {c: tuple(p or not w for p, w in zip(any_padded[c], any_wide[c], strict=True)) for c in any_padded.index}
    return pd.Series([_merged(shape, kept[c]) for shape, c in zip(shapes, collapsed, strict=True)], index=shapes.index)


def _merged(shape: str, padded: tuple[bool, ...]) -> str:
    widths = iter(padded)
    return _DIGITS.sub(lambda m: m.group(0) if next(widths) else NUMBER, shape)


def _collapsed(shape: str) -> str:
    """`shape` with each run of a character class written once: the shape whatever its runs' lengths."""
    return "".join(cls or "".join(g) for cls, g in itertools.groupby(shape, key=_run_class))


def _run_pools(values: pd.Series, own: pd.Series, shapes: pd.Series) -> dict[str, pd.DataFrame]:
    """Per collapsed shape (`_collapsed`): what each of its runs spells (column i: run i) in each of its values."""
    collapsed = shapes.map(_collapsed)
    pools = {}
    for key, rows in collapsed.groupby(collapsed).groups.items():
        pools[key] = pd.DataFrame([_pieces(v, o) for v, o in zip(values[rows], own[rows], strict=True)])
    return pools


def _runs(
    values: np.ndarray,
    own: np.ndarray,
    shape: str,
    keys: np.ndarray | None = None,
    min_count: int = 1,
    pools: pd.DataFrame | None = None,
    ends: tuple[Sequence[str], Sequence[str]] = ((), ()),
    scale: float = 1.0,
    dates: pd.DataFrame | None = None,
    lengths: tuple[int, int | None] = (0, None),
    integers: pd.DataFrame | None = None,
    established: bool = False,
) -> list[dict]:
    """The runs of one shape: `{"text": ...}` kept as it is, `{"digits": width, "lo", "hi", "counter"}`
    (width 0: a NUMBER, written without padding; `"follows_key"` where a counter rises with
    `keys`; `"date": [column, part]` where it is a part of a date of `dates`, the row's; `"integer":
    [column, scale]` and `"rest": [lo, hi]` where the run over `scale` is an integer of `integers`, the rest
    within lo..hi),
    `{"labels": [...], "shares": [...]}` or `{"chars": alphabet, "length": n}` (`_letters`).
    `own`: each value's own shape, whose runs cut it (a NUMBER's width varies); `pools`: per run, what it
    spells over the values of every shape that differs only in run lengths (`_run_pools`); `ends` (codes,
    own shapes), `scale` and `lengths` as in `identifier_format`."""
    runs, numbers, labelled_digits = [], np.zeros(0, dtype=np.int64), {}
    pieces = [_pieces(v, o) for v, o in zip(values, own, strict=True)]
    for i, (cls, group) in enumerate(itertools.groupby(shape, key=_run_class)):
        length = len(list(group))
        parts = np.array([p[i] for p in pieces], dtype=object)
        if cls == "" or len(set(parts)) == 1:
            runs.append({"text": str(parts[0])})
        elif cls in (DIGIT, NUMBER) and max(map(len, parts)) <= 18:  # past int64: drawn digit by digit
            width, held = length if cls == DIGIT else 0, parts.astype(np.int64)
            runs.append({"digits": width, "lo": int(held.min()), "hi": int(held.max()), "counter": False})
            if (dated := _date_part(held, dates)) is not None:
                runs[-1]["date"] = dated
            elif (whole := _integer_part(held, width, integers, established)) is not None:
                runs[-1].update(whole)
            else:
                if "labels" in (labelled := _letters(parts, length, min_count)):  # a calling code, +49
                    labelled_digits[len(runs) - 1] = labelled
                numbers = held  # the last digit run's that no date writes are the counter's
                if (step := _step(held)) > 1:  # numbered by tens: 1000, 1010, 1020
                    runs[-1]["step"] = step
        else:
            runs.append(_letters(parts, length, min_count, None if pools is None else pools[i].value_counts()))
    counting = max((i for i, r in enumerate(runs) if "digits" in r and not _from_row(r)), default=None)
    for i, labelled in labelled_digits.items():  # digits taking a few values are those labels, but the last may count
        runs[i] = labelled if i != counting else runs[i]
    _take_in([_pieces(v, o) for v, o in zip(*ends, strict=True)], runs)
    for r in runs:  # an end off the step: drawn on no step
        if r.get("step") and (r["hi"] - r["lo"]) % r["step"]:
            del r["step"]
    digit_runs = [r for r in runs if "digits" in r and not _from_row(r)]
    n_codes = len(set(values)) * scale  # a sample's codes fill the room as the whole database's
    # one digit never counts: 10 codes at most, a postcode's `SW1A 1AA` counted on to `SW1A 10AA`; nor
    # does a run whose width leaves no room to count on (a masked card's last four, 0003 to 9995)
    if digit_runs and _can_count(digit_runs[-1], n_codes):
        rising = _rises_with(numbers, keys)
        pooled = pools is not None and pools[counting].str.len().max() <= 18  # past int64: this shape's alone
        held, rests = _numbered(pools if pooled else pd.DataFrame(pieces), counting)
        if rising and len(numbers) >= MIN_RISING or _numbers_rows(digit_runs[-1], held, rests, scale):
            digit_runs[-1]["counter"] = True
            digit_runs[-1]["follows_key"] = rising
            if digit_runs[-1]["digits"] == 0:  # a NUMBER: as wide as the column's declared lengths leave room for
                at = next(i for i, r in enumerate(runs) if r is digit_runs[-1])
                digit_runs[-1].update(_number_widths([len(p[at]) for p in pieces], list(map(len, values)), lengths))
    if counting in labelled_digits and not runs[counting].get("counter"):
        runs[counting] = labelled_digits[counting]  # a few numbers that count nothing: those labels (short codes)
    return runs


def _numbered(pieces: pd.DataFrame, at: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct codes of `pieces` (`_pieces`, a column per run) as their run `at`'s numbers and
    their rests (the code but that run: `CS-` of `CS-101`)."""
    codes = pieces.drop_duplicates()
    # joined on the unit separator, not NUL: pandas hashes strings up to their first NUL, so `@\0ana\0_`
    # and `@\0ben\0_` were one rest (every handle `@ana_12` one prefix, its numbers read as one counter)
    rests = codes.drop(columns=at).astype(str).agg(UNIT_SEPARATOR.join, axis=1) if codes.shape[1] > 1 else ""
    return codes[at].to_numpy(dtype=np.int64), np.asarray(pd.Series(rests, index=codes.index), dtype=object)


def _numbers_rows(run: dict, numbers: np.ndarray, rests: np.ndarray, scale: float) -> bool:
    """Whether a digit run's distinct codes (their `numbers` and `rests`, `_numbered`) fill enough of
    its room to number their rows: DENSE of its range (`_fill`), or, where they share their numbers
    (REPEATED of them: CS-101 and MATH-101, so that a number names no row by itself), SHARED_DENSE of
    the rooms their rests number from the run's lowest (`_rests_fill`)."""
    if len(numbers) - len(set(numbers.tolist())) < REPEATED * len(numbers):
        return _fill(run, numbers, scale) >= DENSE
    return _rests_fill(run, numbers, rests, scale) >= SHARED_DENSE


def _fill(run: dict, numbers: np.ndarray, scale: float) -> float:
    """The share of the numbers in a digit run's range (widened to the whole database's ends) that
    `numbers` hold, `scale` times the sample's: numbered rows fill theirs, codes drawn from a range
    (zip codes: 293 of 00526..09972) a few %. Per run, not over the codes' whole room: a year before
    the number multiplies the room, not the codes' chance of being real ones; `numbers` are the run's
    over the shapes differing only in run lengths (`CS101` and `MATH350` number courses in one range)."""
    lo, hi = min(run["lo"], int(numbers.min())), max(run["hi"], int(numbers.max()))
    return len(set(numbers.tolist())) * scale / ((hi - lo) // run.get("step", 1) + 1)


def _rests_fill(run: dict, numbers: np.ndarray, rests: np.ndarray, scale: float) -> float:
    """The share of the rooms each rest (`rests`: the code but the run, `PROJ-`) numbers from the
    run's lowest to its own highest that the distinct codes (`numbers`) hold, `scale` times the
    sample's: a counter per prefix (PROJ-1..137, WEB-1..42) fills them, course numbers 101..498
    drawn in six departments a few % (99 courses) to a fifth (600)."""
    lo, step = min(run["lo"], int(numbers.min())), run.get("step", 1)
    tops = pd.Series(numbers).groupby(rests).max().to_numpy()
    return len(numbers) * scale / float(((tops - lo) // step + 1).sum())


def _step(numbers: np.ndarray) -> int:
    """The step every number of a run lies on from the lowest (their differences' greatest common
    divisor), over MIN_STEPPED distinct numbers at least; 1 where fewer or none."""
    distinct = np.unique(numbers)
    if len(distinct) < MIN_STEPPED:
        return 1
    return int(np.gcd.reduce(distinct - distinct[0]))


def _number_widths(widths: list[int], codes: list[int], lengths: tuple[int, int | None]) -> dict:
    """{"min_digits", "max_digits"} a counter of any width (NUMBER) keeps to, so that its codes, of
    lengths `codes` where it is `widths` digits wide, stay within the declared `lengths` (x900 to
    x999 under length(code) = 4 count on below x900, not to x1000); {} where none is declared."""
    rest = [c - w for c, w in zip(codes, widths, strict=True)]  # the other runs' characters
    out = {}
    if lengths[0] > 0:
        out["min_digits"] = max(min(min(widths), lengths[0] - min(rest)), 1)
    if lengths[1] is not None:
        out["max_digits"] = min(max(max(widths), lengths[1] - max(rest)), 18)
    return out


def _take_in(ends: list[list[str]], runs: list[dict]) -> None:
    """Widen, in place, the digit runs' ranges to the numbers of the codes `ends` (cut in `_pieces`)
    that spell every text run alike (a code of another prefix is another counter's)."""
    for pieces in ends:
        if any("text" in r and r["text"] != p for r, p in zip(runs, pieces, strict=True)):
            continue
        for r, p in zip(runs, pieces, strict=True):
            if "digits" in r and len(p) <= 18:  # past int64 (a run the sample writes shorter)
                r["lo"], r["hi"] = min(r["lo"], int(p)), max(r["hi"], int(p))


def _can_count(run: dict, n_codes: int) -> bool:
    """Whether a run's width leaves room below its lowest and above its highest number for
    COUNTED of the source's `n_codes` codes (a NUMBER has any width)."""
    if run["digits"] == 0:
        return True
    room = (10 ** run["digits"] - 1 - run["hi"]) // run.get("step", 1) + run["lo"] // run.get("step", 1)
    return run["digits"] > 1 and room >= COUNTED * n_codes


def _date_part(numbers: np.ndarray, dates: pd.DataFrame | None) -> list[str] | None:
    """[column, part] of the first date of `dates` and part (`DATE_PARTS`) that `numbers` equal in
    every row holding the date, MIN_DATED rows at least; None where none does."""
    if dates is None or len(set(numbers)) < 2:  # a constant is kept as text
        return None
    for col in dates.columns:
        when = pd.to_datetime(dates[col]).reset_index(drop=True)
        held = when.notna().to_numpy()
        if held.sum() < MIN_DATED:
            continue
        for part, of in DATE_PARTS.items():
            if (of(when[held]).to_numpy(dtype=np.int64) == numbers[held]).all():
                return [str(col), part]
    return None


def _integer_part(
    numbers: np.ndarray, width: int, integers: pd.DataFrame | None, established: bool = False
) -> dict | None:
    """{"integer": [column, scale], "rest": [lo, hi]} of the first integer of `integers` that `numbers`
    over `scale` equal in every row holding it (MIN_DATED rows at least and two values of both, unless
    `established`: one row): its leading digits (`CS301`'s 3, level 3; never the whole run), of a run of
    `width` digits or of numbers all as wide (width 0); `rest`: the range of the digits that follow;
    `within`: the numbers of that width, which a written one stays among. None where none does."""
    if integers is None or not len(numbers) or (len(set(numbers)) < 2 and not established):
        return None
    wide = width or (len(str(numbers.min())) if len(str(numbers.min())) == len(str(numbers.max())) else 1)
    scales = [10**k for k in range(wide - 1, 0, -1)]  # its first digit, its first two, ...
    for col in integers.columns:
        value = to_numbers(integers[col]).reset_index(drop=True)
        held = value.notna().to_numpy()
        if held.sum() < (1 if established else MIN_DATED) or (value[held].nunique() < 2 and not established):
            continue
        whole = value[held].to_numpy(dtype=np.float64)
        for scale in scales:
            if (numbers[held] // scale == whole).all():
                rest = numbers[held] % scale
                within = [0 if width else 10 ** (wide - 1), 10**wide - 1]
                return {"integer": [str(col), scale], "rest": [int(rest.min()), int(rest.max())], "within": within}
    return None


def _pieces(value: str, own: str) -> list[str]:
    """`value` cut where its own shape changes class (`SKU-42` of `AAA-99`: `SKU`, `-`, `42`)."""
    out, start = [], 0
    for _, group in itertools.groupby(own, key=_run_class):
        length = len(list(group))
        out.append(value[start : start + length])
        start += length
    return out


def _run_class(c: str) -> str:
    """A shape character's run class: a character class, NUMBER, or "" for literal characters."""
    return c if c in CLASSES or c == NUMBER else ""


def _letters(parts: np.ndarray, length: int, min_count: int, pool: pd.Series | None = None) -> dict:
    """A run of letters (or digits): the labels it spells with their shares where at most
    MAX_SHAPES labels of `min_count` values at least hold LABELLED of the values (rarer labels are
    never written, as rare shapes), else the same over `pool` (the run's counts in the shapes
    differing only in run lengths), among its labels of this run's length; else its alphabet,
    drawn letter by letter (random letters, hashes), a number's first digit never 0 where no value's is
    (a run of digits past int64's 18, as a uint64 id's 20)."""
    counts = pd.Series(parts).value_counts()
    kept = _labels(counts, min_count)
    if kept is None and pool is not None and (pooled := _labels(pool, min_count)) is not None:
        kept = pooled[pooled.index.str.len() == length]  # a shape's run has one length: mail or post, not web
    if kept is not None and len(kept):
        return {"labels": [str(v) for v in kept.index], "shares": [float(n / kept.sum()) for n in kept]}
    chars = "".join(sorted(set("".join(parts))))
    if chars.isdigit() and "0" in chars and not any(str(p).startswith("0") for p in parts):
        return {"chars": chars, "length": length, "first": chars.replace("0", "")}
    return {"chars": chars, "length": length}


def _labels(counts: pd.Series, min_count: int) -> pd.Series | None:
    """The labels of a run's counts (at least `min_count` values each, at most MAX_SHAPES of them, holding
    LABELLED of the values), or None where they are no labels."""
    kept = counts[counts >= max(min_count, 1)]
    return kept if 1 < len(kept) <= MAX_SHAPES and kept.sum() >= LABELLED * counts.sum() else None


def _rises_with(numbers: np.ndarray, keys: np.ndarray | None) -> bool:
    """Whether `numbers` (the last digit run's) rise with `keys` in every row, over two rows at least."""
    if keys is None or len(numbers) < 2:
        return False
    try:
        order = np.argsort(keys, kind="stable")
    except TypeError:  # keys of mixed types: no order to follow
        return False
    return bool((np.diff(numbers[order]) > 0).all())


def new_identifiers(
    n: int,
    fmt: dict,
    column: str,
    rng: np.random.Generator,
    rows: pd.DataFrame | None = None,
    null_rates: np.ndarray | None = None,
) -> pd.Series:
    """`n` fresh codes in `fmt` (nulls at the source's rate, or each row's of `null_rates`); distinct
    when the source's are, as far as the format has room. `rows`: the generated rows, whose label the format is fitted by (`"by"`)
    draws each row's code in its value's format (the whole column's for other values), and whose
    dates write the digit runs that are their parts."""
    codes = _new_grouped(n, fmt, column, rng, None if rows is None else rows.reset_index(drop=True), null_rates)
    if fmt.get("check"):
        codes = with_check(codes, fmt["check"])
        if fmt.get("unique") and codes.dropna().duplicated().any():  # codes one check digit apart
            log.warning(
                "identifier %s: %d codes repeat once their check digits are set",
                column,
                codes.dropna().duplicated().sum(),
            )
    if fmt.get("known"):  # none in older models, nor under DP: drawn as before
        codes = _without_known(codes, fmt, column, rng, rows)
    return codes


def known_at(codes: pd.Series, known: dict) -> np.ndarray:
    """Where `codes` are values of the data: their hashes among `known`'s (`known_codes`)."""
    digests, key = set(known["digests"]), bytes.fromhex(known["key"])
    held = codes.notna().to_numpy()
    out = np.zeros(len(codes), dtype=bool)
    out[held] = [d in digests for d in _digests(codes[held].astype(str).tolist(), key)]
    return out


def _without_known(
    codes: pd.Series, fmt: dict, column: str, rng: np.random.Generator, rows: pd.DataFrame | None
) -> pd.Series:
    """`codes` with each value of the data (`known_at`) drawn again in `fmt`, KNOWN_REDRAWS rounds at
    most (with the codes it then repeats, in a unique column), and then, where the format has no room
    left, written `<column>_<n>` (a warning says how many); as they are where none is a real one."""
    known = known_at(codes, fmt["known"])
    if not known.any():
        return codes
    out, again = codes.copy(), known
    for _ in range(KNOWN_REDRAWS):
        at = np.flatnonzero(again)
        drawn = _new_grouped(len(at), fmt, column, rng, None if rows is None else rows.iloc[at], np.zeros(len(at)))
        out.iloc[at] = (with_check(drawn, fmt["check"]) if fmt.get("check") else drawn).to_numpy()
        known = known_at(out, fmt["known"])
        again = known | (out.duplicated().to_numpy() & out.notna().to_numpy() if fmt.get("unique") else False)
        if not again.any():
            return out
    if known.any():
        log.warning(
            "identifier %s: its format has too little room for codes that are none of the data's;"
            " %d of %d written %s_<n> instead",
            column,
            known.sum(),
            len(out),
            column,
        )
        out.iloc[np.flatnonzero(known)] = [f"{column}_{i}" for i in range(1, int(known.sum()) + 1)]
    if fmt.get("unique") and (repeats := out.dropna().duplicated().sum()):
        log.warning("identifier %s: %d codes repeat once the data's are drawn again", column, repeats)
    return out


def _new_grouped(
    n: int,
    fmt: dict,
    column: str,
    rng: np.random.Generator,
    rows: pd.DataFrame | None,
    null_rates: np.ndarray | None = None,
) -> pd.Series:
    """`new_identifiers` without their check digits: each row's in its label's format."""
    if not fmt.get("groups") or rows is None:
        return _new_codes(n, fmt, column, rng, None, rows, null_rates)
    groups = rows[fmt["by"]].astype("string").fillna("\x00").to_numpy(dtype=object)
    codes = pd.Series(pd.NA, index=range(n), dtype="string")
    floors: dict[int, int] = {}  # counters go on across the groups: one group's never another's numbers
    # ... unless a group counts on after its own highest, below the next group's (an account code's thousands)
    apart = _apart_counters(fmt["groups"], {g: int((groups == g).sum()) for g in fmt["groups"]})
    if apart is not None:  # the other groups, and the rows of no group's label, count on after them all
        floors.update(apart[1])
    for g, sub in [*fmt["groups"].items(), (None, fmt)]:
        at = np.flatnonzero(groups == g) if g is not None else np.flatnonzero(~np.isin(groups, list(fmt["groups"])))
        own = None if apart is not None and g in apart[0] else floors
        codes.iloc[at] = _new_codes(
            len(at), sub, column, rng, own, rows.iloc[at], None if null_rates is None else null_rates[at]
        ).to_numpy()
    if fmt.get("unique") and codes.dropna().duplicated().any():  # groups of one shape drew one code twice
        log.warning("identifier %s: %d codes repeat across its groups", column, codes.dropna().duplicated().sum())
    return codes


def _apart_counters(groups: dict[str, dict], sizes: dict[str, int]) -> tuple[set[str], dict[int, int]] | None:
    """(the groups whose counter may count on after their own highest codes and never meet another
    group's, {width: the highest number any group reaches}), or None: every group of one shape
    holding one counter, of one width, the groups' numbers apart, and a group's `sizes` fresh ones
    (the rows drawn in it) below the next group's lowest; the others count on after them all. An
    account code's leading digit follows its type (assets 1000-1630, liabilities 2000-2460):
    counted on after every earlier group's highest, an asset's fresh codes were 3560, 3570 ...,
    60 % of a generated chart off its type's thousand."""
    spans = []
    for g, sub in groups.items():
        shapes = sub.get("shapes") or []
        counters = [r for shape in shapes for r in shape["runs"] if r.get("counter")]
        if len(shapes) != 1 or len(counters) != 1:
            return None
        run = counters[0]
        spans.append((run["lo"], run["hi"], run.get("step", 1) * sizes.get(g, 0), run["digits"], g))
    spans.sort(key=lambda span: span[:2])
    if len({span[3] for span in spans}) != 1 or any(a[1] >= b[0] for a, b in zip(spans, spans[1:], strict=False)):
        return None
    own, tops = set(), []
    for (_, hi, room, _, g), after in zip(spans, [*spans[1:], None], strict=True):
        if after is None or hi + room < after[0]:
            own.add(g)
            hi += room
        tops.append(hi)
    return (own, {spans[0][3]: max(tops)}) if own else None


def _new_codes(
    n: int,
    fmt: dict,
    column: str,
    rng: np.random.Generator,
    floors: dict[int, int] | None = None,
    rows: pd.DataFrame | None = None,
    null_rates: np.ndarray | None = None,
) -> pd.Series:
    """`new_identifiers` in one format, its groups aside; `floors`: per counter width, the highest
    number drawn in another format, counted on after (updated); `rows`: the generated rows;
    `null_rates`: each row's chance of a null (None: the format's rate)."""
    rows = None if rows is None else rows.reset_index(drop=True)
    out = np.empty(n, dtype=object)
    if fmt.get("uuid"):
        out[:] = uuids(n, rng)
    elif fmt.get("dates"):
        out[:] = _new_dates(n, fmt["dates"], bool(fmt.get("unique")), rng)
    elif fmt.get("ipv4_after") is not None:
        out[:] = _new_addresses(n, fmt["ipv4_after"], rng)
    elif not fmt.get("shapes"):
        start = 1 if floors is None else floors.get(-1, 0) + 1
        out[:] = [f"{column}_{i}" for i in range(start, start + n)]
        if floors is not None:
            floors[-1] = start + n - 1
    else:
        shares = np.array([s["share"] for s in fmt["shapes"]], dtype=float)
        which = rng.choice(len(shares), size=n, p=shares / shares.sum())
        for k, shape in enumerate(fmt["shapes"]):
            at = np.flatnonzero(which == k)
            out[at] = _draw_shape(shape, len(at), rng, floors, None if rows is None else rows.iloc[at])
        if fmt.get("unique"):
            _redraw_repeats(out, which, fmt["shapes"], column, rng, floors, rows)
    codes = pd.Series(out, dtype="string")
    codes[rng.random(n) < (fmt.get("null_rate", 0.0) if null_rates is None else null_rates)] = pd.NA
    return codes


def uuids(n: int, rng: np.random.Generator) -> list[str]:
    """`n` distinct random (version 4) UUIDs drawn from `rng`: the same seed gives the same keys."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:  # a repeat among 2**122 values is all but impossible; drawn again if it happens
        raw = rng.integers(0, 256, size=(n - len(out), 16), dtype=np.uint8)
        raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
        raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
        for row in raw:
            key = str(uuid.UUID(bytes=row.tobytes()))
            if key not in seen:
                seen.add(key)
                out.append(key)
    return out


def _draw_shape(
    shape: dict,
    n: int,
    rng: np.random.Generator,
    floors: dict[int, int] | None = None,
    rows: pd.DataFrame | None = None,
) -> np.ndarray:
    """`n` codes of one shape; a network's host bits cleared (10.4.37.9/20 -> 10.4.32.0/20)."""
    codes = _draw(shape["runs"], n, rng, floors, rows)
    if shape.get("network"):
        codes[:] = [str(ipaddress.IPv4Network(c, strict=False)) for c in codes]
    return codes


def _draw(
    runs: list[dict],
    n: int,
    rng: np.random.Generator,
    floors: dict[int, int] | None = None,
    rows: pd.DataFrame | None = None,
) -> np.ndarray:
    parts = np.full(n, "", dtype=object)
    for run in runs:
        if "text" in run:
            piece = np.full(n, run["text"], dtype=object)
        elif "digits" in run:
            if run["counter"]:
                sequence = _counted(run, n, floors)
                # in the order of the rows (their keys rise with them) where the data's rise with the keys
                numbers = sequence if run.get("follows_key") else sequence[rng.permutation(n)]
            else:
                step = run.get("step", 1)
                numbers = run["lo"] + step * rng.integers(0, (run["hi"] - run["lo"]) // step + 1, size=n)
                if "date" in run and rows is not None and run["date"][0] in rows:  # the row's date's part
                    part = DATE_PARTS[run["date"][1]](pd.to_datetime(rows[run["date"][0]]).reset_index(drop=True))
                    numbers = np.where(part.notna(), part.fillna(0).to_numpy(dtype=np.int64), numbers)
                if "integer" in run and rows is not None and run["integer"][0] in rows:
                    numbers = _with_integer(run, rows[run["integer"][0]], numbers, rng)
            piece = np.array([str(v).zfill(run["digits"]) for v in numbers], dtype=object)
        elif "labels" in run:
            shares = np.array(run["shares"], dtype=float)
            piece = np.array(run["labels"], dtype=object)[rng.choice(len(shares), size=n, p=shares / shares.sum())]
        else:
            alphabet = np.array(list(run["chars"]), dtype=object)
            chars = alphabet[rng.integers(0, len(alphabet), size=(n, run["length"]))]
            if "first" in run:  # a number that no value writes with a leading zero
                chars[:, 0] = np.array(list(run["first"]), dtype=object)[rng.integers(0, len(run["first"]), size=n)]
            piece = np.array(["".join(row) for row in chars], dtype=object)
        parts = parts + piece
    return parts


def _with_integer(run: dict, values: pd.Series, numbers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`numbers` written from the row's integer (`"integer"`: its value times the scale, the rest drawn in
    the data's range), where the integer is held and the number keeps the run's width (`"within"`); else
    as drawn."""
    scale, (lo, hi) = run["integer"][1], run["rest"]
    value = to_numbers(values).reset_index(drop=True).to_numpy(dtype=np.float64)
    written = np.nan_to_num(value, nan=-1).astype(np.int64) * scale + rng.integers(lo, hi + 1, size=len(numbers))
    fits = ~np.isnan(value) & (value == np.round(value)) & (written >= run["within"][0]) & (written <= run["within"][1])
    return np.where(fits, written, numbers)


def _counted(run: dict, n: int, floors: dict[int, int] | None = None) -> np.ndarray:
    """A counter's `n` fresh numbers, rising: after the highest (and `floors`' number of its width,
    then raised to the last), else before the lowest; where neither side alone has room in the
    width, both sides' room, and past the width only when that is full (a warning says how many)."""
    if floors is not None:
        hi = max(run["hi"], floors.get(run["digits"], -1))
        numbers = _counted({**run, "hi": hi}, n)
        floors[run["digits"]] = max(hi, int(numbers.max())) if n else hi
        return numbers
    step, at = run.get("step", 1), run["lo"] % run.get("step", 1)  # on a step: counted in steps from `at`
    top = (10 ** (run["digits"] or run.get("max_digits", 18)) - 1 - at) // step  # a NUMBER: any width, or its declared
    least = (
        10 ** (run.get("min_digits", 1) - 1) if run.get("min_digits", 1) > 1 else 0
    )  # ... lengths' (`_number_widths`)
    floor = max(-(-(least - at) // step), 0)
    lo, hi = (run["lo"] - at) // step, -(-(run["hi"] - at) // step)
    return at + step * _counted_steps(lo, hi, top, n, run, floor)


def _counted_steps(lo: int, hi: int, top: int, n: int, run: dict, floor: int = 0) -> np.ndarray:
    """`_counted` in steps: `n` fresh numbers of floor..top outside lo..hi, rising."""
    if hi + n <= top:
        return np.arange(hi + 1, hi + n + 1)
    if lo - n >= floor:
        return np.arange(lo - n, lo)
    below = np.arange(max(lo - (n - (top - hi)), floor), lo)
    above = np.arange(hi + 1, top + 1)
    past = np.arange(top + 1, top + 1 + n - len(below) - len(above))
    if len(past):
        log.warning(
            "identifier counter of %d digits between %d and %d: %d of %d fresh codes pass the width"
            " (the column's declared length where it has one: a database refuses them)",
            run["digits"] or run.get("max_digits", 18),
            run["lo"],
            run["hi"],
            len(past),
            n,
        )
    return np.concatenate([below, above, past])


def _redraw_repeats(
    out: np.ndarray,
    which: np.ndarray,
    shapes: list[dict],
    column: str,
    rng,
    floors: dict[int, int] | None = None,
    rows: pd.DataFrame | None = None,
) -> None:
    """Draw again, in place, the codes that repeat an earlier one (a format with little room): in
    their own shape REDRAWS times, then as many times in a shape drawn again by the shapes' shares,
    where a shape's room is spent (e-mails of 3-letter first and 4-letter last names, `ben.hall@`:
    9 of a school's 528 name pairs: 0 to 6 of 300 fresh addresses, seeds 0-9, left repeated in a
    UNIQUE column)."""
    shares = np.array([s["share"] for s in shapes], dtype=float)
    for round_ in range(2 * REDRAWS):
        repeated = np.flatnonzero(pd.Series(out).duplicated().to_numpy())
        if not len(repeated):
            return
        if round_ >= REDRAWS:
            which[repeated] = rng.choice(len(shapes), size=len(repeated), p=shares / shares.sum())
        for k, shape in enumerate(shapes):
            at = repeated[which[repeated] == k]
            out[at] = _draw_shape(shape, len(at), rng, floors, None if rows is None else rows.iloc[at])
    repeated = pd.Series(out).duplicated().to_numpy()
    log.warning(
        "identifier %s: its format has too little room for %d distinct codes; %d repeat",
        column,
        len(out),
        repeated.sum(),
    )


def code_repeats(values: pd.Series, keys: pd.DataFrame) -> dict:
    """{"repeats", "apart_from"} of codes that repeat across rows (an enrollment's student, each in
    a few courses), {} of codes that do not: the share of codes held by each count of rows
    ([[rows, share], ...]), and the foreign keys of the row (`keys`) with which no code pairs twice
    (a student enrolled once in a course). Drawn fresh and distinct, each generated student was in
    one course."""
    s = values.dropna().astype(str)
    if s.is_unique:
        return {}
    held = s.value_counts().value_counts(normalize=True).sort_index()
    apart = [c for c in keys.columns if not pd.DataFrame({"k": keys.loc[s.index, c], "c": s}).duplicated().any()]
    return {"repeats": [[int(k), float(v)] for k, v in held.items()], "apart_from": apart}


def repeat_codes(codes: pd.Series, fmt: dict, rng: np.random.Generator) -> pd.Series:
    """Fresh `codes` (distinct) made to repeat as the source's do (`code_repeats`): codes taken one
    by one, each held by a count of rows drawn from the source's shares, dealt to random rows."""
    if not fmt.get("repeats"):
        return codes
    at = np.flatnonzero(codes.notna().to_numpy())
    fresh = codes.iloc[at].to_numpy(dtype=object)
    held, shares = np.array(fmt["repeats"], dtype=float).T
    counts = rng.choice(held.astype(np.int64), size=len(at), p=shares / shares.sum())
    k = int(np.searchsorted(np.cumsum(counts), len(at))) + 1  # codes whose rows cover every row
    out = codes.copy()
    out.iloc[at] = rng.permutation(np.repeat(fresh[:k], counts[:k])[: len(at)])
    return out


def keep_codes_apart(codes: pd.Series, keys: pd.Series, fmt: dict, column: str, rng: np.random.Generator) -> pd.Series:
    """`codes` less their repeats with one foreign key (`keys`), which the source never pairs twice
    (`code_repeats`' "apart_from"): such a row takes a code drawn fresh, as a row whose code repeats
    nowhere."""
    twice = (
        pd.DataFrame({"k": keys.to_numpy(), "c": codes.to_numpy()}).duplicated().to_numpy() & codes.notna().to_numpy()
    )
    if not twice.any():
        return codes
    out = codes.copy()
    out.iloc[np.flatnonzero(twice)] = new_identifiers(
        int(twice.sum()), {**fmt, "null_rate": 0.0}, column, rng
    ).to_numpy()
    return out
