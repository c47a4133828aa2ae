"""Column encoders: each one's vocabulary, round trip and saved description."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from relsynth.synth import CategoricalPreproc, CountPreproc, NumericPreproc
from relsynth.synth.tabular.encoders import column_preproc_from_dict

RNG = np.random.default_rng(0)


def test_categories_round_trip_and_rare_values_share_a_protected_token():
    values = pd.Series(["a"] * 6 + ["b"] * 5 + ["once", None], dtype="string", name="t.c")
    pre = CategoricalPreproc(min_count=5).fit(values)
    assert pre.categories == ["a", "b"] and pre.n_tokens == 4
    ids = pre.encode(values)
    assert ids[-1] == 0 and ids[-2] == 1  # missing, <rare>
    assert 1 in pre.forbidden and 0 not in pre.forbidden  # <rare> never generated; missing was seen
    back = pre.decode(ids, RNG)
    assert back[:11].tolist() == values[:11].tolist() and back.dtype == values.dtype


@pytest.mark.parametrize(("dtype", "nullable"), [("int64", "Int64"), ("uint8", "UInt8"), ("bool", "boolean")])
def test_codes_decoded_with_missing_values_keep_their_number_type(dtype, nullable):
    """Integer (or boolean) codes with missing values come back as the nullable twin, not as text."""
    values = pd.Series([1] * 6 + [0] * 5, name="t.c").astype(dtype)
    pre = CategoricalPreproc(min_count=5).fit(values)
    back = pre.decode(np.array([0, *pre.encode(values)]), RNG)
    assert str(back.dtype) == nullable and pd.isna(back[0]) and back[1:].tolist() == values.tolist()
    assert str(pre.decode(pre.encode(values), RNG).dtype) == dtype  # no missing value: the source's dtype


@pytest.mark.parametrize("ordered", [True, False])
def test_a_pandas_category_column_comes_back_with_its_categories_in_their_order(ordered):
    """Its frequent categories in the dtype's order (XS < S < M < L, not alphabetical), ordered if
    it was; the rare and the unused ones are not kept (naming a rare one would reveal it)."""
    sizes = pd.CategoricalDtype(["XS", "S", "M", "L", "XL"], ordered=ordered)
    values = pd.Series(["L"] * 5 + ["S"] * 6 + ["M"] * 5 + ["XS"], name="t.size").astype(sizes)
    pre = CategoricalPreproc(min_count=5).fit(values)
    again = column_preproc_from_dict(json.loads(json.dumps(pre.to_dict())))
    back = again.decode(again.encode(values), RNG)
    assert back.dtype == pd.CategoricalDtype(["S", "M", "L"], ordered=ordered)
    assert back.cat.categories.tolist() == ["S", "M", "L"]
    assert back[:16].tolist() == values[:16].tolist()


def test_a_column_without_frequent_values_warns_and_can_only_be_missing():
    # Northwind's postal codes declared categorical came back all null; the warning named text only
    with pytest.warns(UserWarning, match="no value appears 5\\+ times.*or identifier if its values are codes"):
        pre = CategoricalPreproc(min_count=5).fit(pd.Series(["x", "y", "z"], name="t.c"))
    assert pre.categories == [] and pre.forbidden == [1]


def test_a_column_mostly_of_rare_values_warns_that_they_will_not_be_generated():
    """30 sites in 10 time zones, 4 or fewer each but Europe/Paris: every generated site was in
    Europe/Paris and nothing said why. The fit warns where rare values hold most of the rows, and
    not where they are a few (a long tail of 4 rows in 30)."""
    zones = ["Europe/Paris"] * 6 + [f"Europe/Zone{i}" for i in range(8) for _ in range(3)]
    with pytest.warns(UserWarning, match="'sites.timezone': 24 of 30 rows .* take the 1 frequent value.*min_count"):
        pre = CategoricalPreproc(min_count=5).fit(pd.Series(zones, name="sites.timezone"))
    assert pre.categories == ["Europe/Paris"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tail = pd.Series(["a"] * 14 + ["b"] * 12 + ["c", "d", "e", "f"], name="t.c")
        assert CategoricalPreproc(min_count=5).fit(tail).categories == ["a", "b"]


def test_a_samples_categories_are_the_whole_datas_where_it_holds_the_values_as_read():
    """Fitted on a sample with the whole data's rows per value (`SQLSource.sample`), the categories
    are the values the whole holds min_count times; counts whose values differ from those read (a
    database's 1 and 0 for a read True and False) are left out rather than matching no value."""
    sample = pd.Series(["a"] * 6 + ["b"] * 2, name="t.c")
    whole = pd.Series([60, 20, 7, 3, 4], index=pd.Index(["a", "b", "c", "d", None], dtype=object))
    pre = CategoricalPreproc(min_count=5).fit(sample, whole=whole)
    assert pre.categories == ["a", "b", "c"] and pre.has_missing  # d: 3 rows of the whole; its nulls
    flags = pd.Series([True] * 6 + [False] * 6, name="t.flag")
    pre = CategoricalPreproc(min_count=5).fit(flags, whole=pd.Series([60, 60], index=pd.Index([1, 0], dtype=object)))
    assert pre.categories == [False, True] and not pre.has_missing


@pytest.mark.parametrize("kind", ["numeric", "integer"])
def test_numbers_decode_within_their_bin_and_keep_precision(kind):
    x = np.round(RNG.gamma(2.0, 10.0, size=500), 2)
    values = pd.Series(np.round(x) if kind == "integer" else x, name="t.x")
    pre = NumericPreproc(n_bins=8, kind=kind).fit(values)
    ids = pre.encode(values)
    back = pre.decode(ids, np.random.default_rng(1)).to_numpy(dtype=float)
    assert np.array_equal(pre.encode(pd.Series(back)), ids)  # every value decodes into its own token
    assert np.allclose(back, np.round(back, 0 if kind == "integer" else 2))


def test_frequent_exact_values_get_their_own_token():
    values = pd.Series([0.0] * 300 + list(np.linspace(1, 100, 200)), name="t.x")
    pre = NumericPreproc(n_bins=4).fit(values)
    assert 0.0 in pre.points
    zero = pre.encode(pd.Series([0.0]))
    assert pre.decode(np.repeat(zero, 50), RNG).eq(0.0).all()


@pytest.mark.parametrize("codes", [(-9.0, 99_999_999.0), (-9.0, -8.0, 99_999_998.0, 99_999_999.0)])
def test_missing_value_codes_at_the_ends_are_decoded_exactly_never_in_the_gap(codes):
    """A survey's income with don't-know and refused codes (-9, 99999999) in 2 % of the rows each,
    fewer than a bin's share: the top bin ran from an edge interpolated in the gap up to the code,
    and a quarter of its draws were incomes of 84 to 100 million that no respondent had."""
    rng = np.random.default_rng(0)
    income = np.round(rng.lognormal(10, 0.5, 2_000), 2)
    for i, code in enumerate(codes):
        income[40 * i : 40 * (i + 1)] = code
    pre = NumericPreproc(n_bins=32, min_count=5).fit(pd.Series(income, name="r.income"))
    assert pre.points == list(codes)
    real = income[40 * len(codes) :]
    draws = pre.decode(np.repeat(pre.encode(pd.Series(income)), 5), np.random.default_rng(1))
    in_gap = ((draws > min(codes)) & (draws < real.min())) | ((draws > real.max()) & (draws < max(codes)))
    assert not (in_gap & ~np.isin(draws, codes)).any()
    assert all((draws == code).sum() == 5 * 40 for code in codes)


@pytest.mark.parametrize("n_common", [5, 40])  # few distinct values (<= n_bins), or many
def test_a_value_fewer_than_min_count_rows_hold_is_never_decoded_exactly(n_common):
    common = np.repeat(np.arange(n_common) * 1000.0 + 30_000.0, 6)
    values = pd.Series(np.append(common, [987_654.32, 987_654.32]), name="t.salary")  # one record's value, twice
    pre = NumericPreproc(min_count=5).fit(values)
    assert 987_654.32 not in pre.points
    if n_common <= pre.n_bins:
        assert set(pre.points) == set(common)  # each common value (6 rows) keeps its own token
    outlier = pre.encode(values)[-1]
    draws = pre.decode(np.repeat(outlier, 2_000), np.random.default_rng(0))
    assert not (draws == 987_654.32).any()


def test_junk_values_binned_with_a_real_one_are_never_drawn_in_the_empty_gap_between_them():
    """Ages 18 to 90 with junk 105, 105, 1995, 2014, 2014: the top bin holds them with the ages 79 to 90, and
    its quantile intervals (79, 81, 87, 105, 2014) put a quarter of its draws between 105 and 1995, where
    no value is (315, 1530). Drawn beside the values instead, never on a single record's value alone."""
    rng = np.random.default_rng(0)
    common = np.repeat(np.arange(18, 64), 10)  # a token each
    ages = pd.Series(np.concatenate([common, rng.integers(65, 91, 20), [64, 105, 105, 1995, 2014, 2014]]), name="u.age")
    pre = NumericPreproc(min_count=5).fit(ages)
    top = pre.encode(pd.Series([2014]))[0]
    draws = pre.decode(np.repeat(top, 4_000), np.random.default_rng(1)).to_numpy(float)
    assert not ((draws > 105) & (draws < 1995)).any()  # before: about half
    assert 0.05 < np.mean(draws >= 1995) < 0.5 and len(np.unique(draws[draws >= 1995])) > 5
    plain = NumericPreproc(min_count=5).fit(pd.Series(np.concatenate([common, rng.integers(65, 91, 26)])))
    assert plain.gaps == []  # values spread evenly: no gap, drawn as before
    narrow = NumericPreproc(min_count=5).fit(pd.Series(np.concatenate([ages[:-3], [1995, 1996, 1996]])))
    assert narrow.gaps == []  # 1995 and 1996 alone beyond the gap: drawn there, they would be replayed
    older = {k: v for k, v in pre.to_dict().items() if k != "gaps"}  # a model saved before
    assert column_preproc_from_dict(older).gaps == []


def test_milliseconds_and_microseconds_are_kept_and_whole_seconds_stay_whole():
    import datetime as dt

    rng = np.random.default_rng(0)
    start = pd.Timestamp("2021-01-01")
    millis = pd.Series(start + pd.to_timedelta(rng.integers(0, 10**9, 400), unit="ms"), name="t.at")
    seconds = pd.Series(start + pd.to_timedelta(rng.integers(0, 10**6, 400), unit="s"), name="t.s")
    for values, step_ns in ((millis, 10**6), (seconds, 10**9)):
        pre = NumericPreproc(kind="datetime").fit(values)
        ns = pre.decode(pre.encode(values), rng).astype("int64")
        assert (ns % step_ns == 0).all()  # on the data's grid
        assert step_ns == 10**9 or (ns % 10**9 != 0).mean() > 0.9  # fractions of a second drawn, not cut
    times = pd.Series([dt.time(10, 0, 0, 123_456), dt.time(11, 30, 5, 5), None] * 20, name="t.tm")
    pre = NumericPreproc(kind="time").fit(times)
    assert pre.decode(pre.encode(times), rng).tolist()[:3] == times.tolist()[:3]  # exact values keep microseconds


@pytest.mark.parametrize(
    ("kind", "unit", "step"),
    [
        ("datetime", "D", 86_400),
        ("datetime", "h", 3_600),
        ("datetime", "min", 60),
        ("time", "h", 3_600),
        ("time", "min", 60),
    ],
)
def test_whole_days_hours_and_minutes_decode_on_their_grid_within_the_range(kind, unit, step):
    import datetime as dt

    rng = np.random.default_rng(0)
    stamps = pd.Timestamp("1965-01-01") + pd.to_timedelta(rng.integers(0, 40_000 * 86_400 // step, 500), unit=unit)
    values = pd.Series(stamps if kind == "datetime" else [dt.time(t.hour, t.minute) for t in stamps], name="t.at")
    pre = NumericPreproc(kind=kind).fit(values)

    def seconds(s: pd.Series) -> np.ndarray:
        if kind == "datetime":
            return s.astype("int64").to_numpy() / 1e9
        return np.array([t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6 for t in s])

    secs = seconds(pre.decode(pre.encode(values), rng))
    assert (secs % step == 0).all()  # on the grid: no random hours, minutes or seconds
    assert secs.min() >= seconds(values).min() and secs.max() <= seconds(values).max()  # in the range
    assert len(np.unique(secs)) >= 24  # drawn inside the bins, not only the bins' edges
    assert (pre.decimals, pre.step) == (0, step) and pre.to_dict()["step"] == step
    old = column_preproc_from_dict({k: v for k, v in pre.to_dict().items() if k != "step"})  # saved before `step`
    assert old.step == 1 and old.grid == 1.0


def test_integers_that_share_a_step_decode_on_it():
    # Berka-like loan terms of 12 ... 60 months, 24 too rare for a token of its own (min_count 5):
    # binned with 12 and decoded uniformly between, as terms of 19 and 22 months no loan has
    values = pd.Series([12] * 4 + [24] * 3 + [36] * 6 + [48] * 9 + [60] * 5, dtype="int64", name="loan.duration")
    pre = NumericPreproc(kind="integer", min_count=5).fit(values)
    assert pre.step == 12 and pre.grid == 12.0
    rng = np.random.default_rng(0)
    back = pre.decode(pre.encode(pd.concat([values] * 20)), rng)
    assert set(back) <= {12, 24, 36, 48, 60} and {12, 24} <= set(back)  # both ends of the rare values' bin
    assert column_preproc_from_dict(json.loads(json.dumps(pre.to_dict()))).grid == 12.0
    plain = NumericPreproc(kind="integer").fit(pd.Series(np.arange(1, 200) * 3 + 1, name="t.n"))
    assert plain.step == 1  # no common step: any integer
    few = NumericPreproc(kind="integer").fit(pd.Series([10, 20, 30] * 3, name="t.few"))
    assert few.step == 1  # 9 values: too few to read a step from


@pytest.mark.parametrize(("kind", "minutes"), [("datetime", 5), ("datetime", 15), ("time", 10), ("time", 30)])
def test_a_schedules_minutes_decode_on_its_grid(kind, minutes):
    """Flights scheduled every 5 minutes (08:35, 08:40) came back at any minute (18:41): the grid
    stopped at whole minutes."""
    import datetime as dt

    rng = np.random.default_rng(1)
    stamps = pd.Timestamp("2024-03-01") + pd.to_timedelta(
        rng.integers(0, 90 * 24 * 60 // minutes, 500) * minutes, "min"
    )
    values = pd.Series(stamps if kind == "datetime" else [dt.time(t.hour, t.minute) for t in stamps], name="f.at")
    pre = NumericPreproc(kind=kind).fit(values)
    out = pre.decode(pre.encode(values), rng)
    mins = out.dt.minute if kind == "datetime" else pd.Series([t.minute for t in out])
    assert pre.step == minutes * 60 and (mins % minutes == 0).all()
    assert mins.nunique() == 60 // minutes  # every slot of the hour still drawn


def test_milliseconds_near_a_whole_second_are_kept_exactly():
    base = pd.Timestamp("2015-07-18 03:08:00")
    offsets = [pd.Timedelta(seconds=3601 * i, milliseconds=[5, 995, 993, 6][i % 4]) for i in range(200)]
    values = pd.Series([base + o for o in offsets] + [base + pd.Timedelta(milliseconds=993)] * 10, name="t.at")
    pre = NumericPreproc(kind="datetime").fit(values)
    back = pre.decode(pre.encode(values), np.random.default_rng(0))
    assert back.iloc[-1] == values.iloc[-1]  # an exact value, exactly (not 03:08:00.992999936)
    ns = back.astype("int64")
    assert (ns % 10**6 == 0).all() and (ns % 10**9 != 0).mean() > 0.9  # on the millisecond grid, fractions kept
    assert pre.decimals == 3  # within 10 ms of a whole second is not a whole second


def test_a_tiny_tables_constant_keeps_its_token():
    pre = NumericPreproc(min_count=5).fit(pd.Series([20.0] * 4, name="t.vat"))  # 4 rows, one value, never null
    assert pre.points == [20.0] and pre.decode(pre.encode(pd.Series([20.0] * 4)), RNG).tolist() == [20.0] * 4


def test_integers_at_the_ends_of_int64_decode_without_error():
    values = pd.Series([2**63 - 1, 0, -5, 7, -(2**63)] * 10, dtype="Int64", name="t.big")
    pre = NumericPreproc(kind="integer").fit(values)
    back = pre.decode(pre.encode(values), RNG)
    assert back.dtype == "Int64" and back.tolist()[1:4] == [0, -5, 7]  # small values exact
    assert back.tolist()[::4][:2] == [2**63 - 1, -(2**63)]  # the ends: exact, as every point


def test_integers_past_2_53_are_exact_as_points_and_keep_their_low_digits_when_binned():
    """BIGINT values past 2**53 lost their low digits between read and write: 9007199254740993 (a
    frequent value) was decoded as 9007199254740992, and binned values around 2**60 were all
    multiples of 256 (float64's spacing there). Points are exact int64 and a binned value's digits
    below float64's precision are drawn, inside its bin."""
    rng = np.random.default_rng(1)
    spread = 2**60 + rng.integers(0, 10**9, 400) * 7 + 3  # binned: 7e9 wide around 2**60
    values = pd.Series([9007199254740993] * 50 + [2**53 + 3] * 50 + spread.tolist(), dtype="Int64", name="t.big")
    pre = NumericPreproc(kind="integer").fit(values)
    assert 9007199254740993 in pre.points and 2**53 + 3 in pre.points
    assert json.loads(json.dumps(pre.to_dict()))["points"] == pre.points  # saved exactly
    back = column_preproc_from_dict(json.loads(json.dumps(pre.to_dict()))).decode(pre.encode(values), rng)
    assert back.dtype == "Int64" and back.iloc[:100].tolist() == values.iloc[:100].tolist()
    binned = back.iloc[100:].to_numpy(dtype=np.int64)
    assert len(np.unique(binned % 256)) > 50  # not float64's multiples of 256
    assert (binned % pre.step == 0).all() and binned.min() >= spread.min() and binned.max() <= spread.max()


def test_counts_are_exact_up_to_max_exact_then_binned():
    counts = pd.Series(list(range(10)) * 20 + [150, 180, 220, 300, 400, 410, 500, 650, 800, 990])
    pre = CountPreproc(max_exact=20).fit(counts)
    ids = pre.encode(counts.to_numpy())
    assert pre.decode(ids[:10], RNG).tolist() == list(range(10))
    assert len(pre.edges) == 3  # 10 larger counts: 2 bins of 5 parents
    decoded = pre.decode(ids[-10:], RNG)
    assert all(decoded > 20) and all(decoded < 991)


def test_a_lone_parents_count_past_max_exact_is_not_replayed():
    """One parent with 3,000 children beside parents with 1-3: its exact count had a bin of its
    own, [3000, 3001), and every generated entity that drew it had exactly 3,000 children."""
    counts = pd.Series([1, 2, 3] * 100 + [3000])
    pre = CountPreproc(max_exact=100).fit(counts)
    assert pre.edges == [101, 3001]
    drawn = pre.decode(pre.encode(np.full(200, 3000)), RNG)
    assert drawn.min() >= 101 and drawn.max() <= 3000 and (drawn == 3000).mean() < 0.05
    assert pre.decode(pre.encode(np.array([2])), RNG).tolist() == [2]
    loose = CountPreproc(max_exact=100, min_count=1).fit(counts)  # a bin of one parent: replayed
    assert (loose.decode(loose.encode(np.full(200, 3000)), RNG) == 3000).all()


def test_large_counts_many_parents_hold_are_generated_as_they_are():
    """A panel's stores of 120 or 150 days (12 closed a month for a refit), one of 149: one bin from
    120 to 150, and a small model's 40 generated stores held 20 different numbers of days, none 120
    or 150, one ending on the data's last day. Each count `min_count` parents hold is a bin of its
    own, the rare 149 is written as 150, and the bins between are never generated."""
    counts = pd.Series([120] * 12 + [150] * 27 + [149])
    pre = CountPreproc(max_exact=100).fit(counts)
    drawn = pre.decode(pre.encode(counts.to_numpy()), RNG)
    assert (drawn[:12] == 120).all() and (drawn[12:] == 150).all()
    allowed = [i for i in range(pre.n_exact, pre.n_tokens) if i not in pre.forbidden]
    assert sorted(set(pre.decode(np.repeat(allowed, 50), RNG).tolist())) == [120, 150]
    spread = CountPreproc(max_exact=100).fit(pd.Series([120] * 12 + list(range(130, 140)) + [150] * 27))
    assert len(spread.decode(spread.encode(np.full(100, 150)), RNG)) == 100 and not spread.empty  # 10 rare: bins


def test_a_long_tail_of_counts_is_drawn_with_its_shape_inside_its_bin():
    """Sessions per user, a Pareto tail: six users past max_exact, most near 150, one at 600, share one
    bin from 112 to 600; drawn evenly there, a small model's users had a 99th percentile of 357
    sessions against the data's 153. Drawn in the bin's quantile intervals, they keep the tail's shape."""
    counts = pd.Series(list(range(1, 20)) * 30 + [112, 118, 140, 165, 420, 600])
    pre = CountPreproc(max_exact=100).fit(counts)
    assert len(pre.edges) == 2  # one bin of six parents
    big = counts.to_numpy()[-6:]
    drawn = pre.decode(pre.encode(np.tile(big, 500)), np.random.default_rng(0))
    assert drawn.min() >= 112 and drawn.max() <= 600
    assert abs(np.median(drawn) - np.median(big)) < 40  # evenly: ~356 against 152
    lone = CountPreproc(max_exact=100).fit(pd.Series([1, 2, 3] * 100 + [3000]))
    assert lone.sub_edges == []  # a bin of fewer than min_count parents is drawn evenly: nothing replayed


@pytest.mark.parametrize(
    "pre",
    [
        CategoricalPreproc(min_count=1).fit(pd.Series(["u", "v"], name="t.c")),
        NumericPreproc(n_bins=4).fit(pd.Series(np.arange(100.0), name="t.x")),
        CountPreproc(max_exact=5).fit(pd.Series([0, 1, 2, 9])),
        CountPreproc(max_exact=5).fit(pd.Series([0, 1] + [9] * 5 + [20] * 5)),
    ],
)
def test_saved_description_rebuilds_the_same_encoder(pre):
    again = column_preproc_from_dict(pre.to_dict())
    assert type(again) is type(pre) and again.to_dict() == pre.to_dict() and again.n_tokens == pre.n_tokens


def _log10_spread(sign: float, n: int = 4000) -> pd.Series:
    """Values spread evenly over 12 decades (a heavy tail: most of each wide bin's width is its top decade)."""
    return pd.Series(sign * 10.0 ** np.random.default_rng(0).uniform(0, 12, n))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_values_spread_over_decades_decode_on_a_log_scale_inside_their_bin(sign):
    x = _log10_spread(sign)
    pre = NumericPreproc(n_bins=4, n_sub=2).fit(x)  # 8 intervals of 1.5 decades each
    assert np.mean(pre.log_sub) > 0.9  # nearly every interval spans decades with log-even values
    dec = pre.decode(pre.encode(x), np.random.default_rng(1)).to_numpy(float)
    # a uniform draw inside [10^a, 10^b] lands in the top decade 90 % of the time; log-uniform follows the data
    levels = np.arange(5, 100, 5)
    real_q = np.percentile(np.log10(np.abs(x)), levels)
    assert np.abs(real_q - np.percentile(np.log10(np.abs(dec)), levels)).max() < 0.15
    pre.log_sub = []  # the linear draw, for contrast: the check above can fail
    lin = pre.decode(pre.encode(x), np.random.default_rng(1)).to_numpy(float)
    assert np.abs(real_q - np.percentile(np.log10(np.abs(lin)), levels)).max() > 0.4


def test_evenly_spread_values_keep_the_linear_draw():
    x = pd.Series(np.random.default_rng(0).uniform(1, 1000, 4000))
    pre = NumericPreproc(n_bins=8).fit(x)
    assert not np.any(pre.log_sub)


def test_a_description_saved_before_log_intervals_still_loads_and_draws_linearly():
    pre = NumericPreproc(n_bins=8).fit(_log10_spread(1.0))
    old = {k: v for k, v in pre.to_dict().items() if k != "log_sub"}
    again = column_preproc_from_dict(old)
    assert again.log_sub == []
    assert again.decode(np.array([1, 2, 3]), np.random.default_rng(0)).notna().all()


@pytest.mark.parametrize(("rare", "gap"), [(4, {3}), (10, set(range(3, 10))), (-6, set(range(-6, 0)))])
def test_a_lone_rare_integer_keeps_the_range_in_a_bin_over_its_gap(rare, gap):
    """Counts 0 ... 3 and three rows of one rarer value (min_count 5): no bin was made for a single
    leftover value, which was encoded as the nearest exact value (three 10s came back as 3) and
    fell outside the fitted range [0, 3], so a generation context of training rows was refused."""
    values = pd.Series([0] * 100 + [1] * 80 + [2] * 40 + [3] * 20 + [rare] * 3, dtype="int64", name="t.x")
    pre = NumericPreproc(kind="integer", min_count=5).fit(values)
    assert pre.points == [0.0, 1.0, 2.0, 3.0] and min(pre.edges) <= rare <= max(pre.edges)
    ids = pre.encode(values)
    assert ids[-1] > len(pre.points)  # its own bin, not the token of 3 (or 0)
    draws = pre.decode(np.repeat(ids[-1], 2_000), np.random.default_rng(0))
    assert set(draws) == gap  # drawn across the gap to the exact values, not replayed above them


def test_no_negative_zero_is_decoded():
    """Signed amounts of 2 decimals with some zeros: a bin edge read as the ceiling of a small
    negative quantile was -0.0, and 12 of the 12 zeros decoded were -0.0, written "-0.0" in a CSV."""
    rng = np.random.default_rng(0)
    values = (rng.lognormal(1, 1.5, 800) * np.where(rng.random(800) < 0.6, -1, 1)).round(2)
    values[:10] = 0.0
    pre = NumericPreproc().fit(pd.Series(values, name="t.amount"))
    assert not np.signbit([v for v in pre.points + pre.edges if v == 0]).any()
    back = pre.decode(pre.encode(pd.Series(values)), rng).to_numpy()
    assert (back == 0).sum() > 5 and not np.signbit(back[back == 0]).any()
    assert not np.signbit(pre.decode(pre.encode(pd.Series([-0.0] * 5)), rng)).any()  # nor one read from the data


@pytest.mark.parametrize("kind", ["numeric", "integer"])
def test_a_small_tables_values_are_not_replayed_by_narrow_bins(kind):
    """20 employees' salaries, each one's own: 32 bins over 20 values held one or two each, their
    within-bin quantiles on the values, and 80 % of the decoded salaries were a record's exactly.
    A bin now holds min_count rows at least."""
    rng = np.random.default_rng(0)
    salary = rng.lognormal(11, 0.4, 20)
    values = pd.Series(np.round(salary, 2) if kind == "numeric" else np.round(salary).astype("int64"), name="t.salary")
    pre = NumericPreproc(kind=kind, min_count=5).fit(values)
    assert pre.n_bins_used == 4
    draws = pre.decode(np.repeat(pre.encode(values), 10), np.random.default_rng(1))
    assert not draws.isin(values).any()
    assert draws.min() >= values.min() and draws.max() <= values.max()


def test_numbers_that_share_a_step_of_decimals_decode_on_it():
    """Shoe sizes in half sizes (36, 36.5 ... 47): binned sizes were drawn on the grid of their one
    decimal, and 34 of 2,000 decoded sizes were 34.2 or 47.9, which no shoe has."""
    rng = np.random.default_rng(0)
    values = pd.Series(np.round(rng.normal(41, 3, 2_000) * 2) / 2, name="t.size")
    pre = NumericPreproc(min_count=5).fit(values)
    assert (pre.decimals, pre.step, pre.grid) == (1, 5, 0.5) and pre.n_bins_used > 0
    back = pre.decode(pre.encode(values), rng).to_numpy()
    assert (back * 2 % 1 == 0).all() and len(np.unique(back)) > 20
    old = column_preproc_from_dict({k: v for k, v in pre.to_dict().items() if k != "step"})  # saved before
    assert old.grid == 0.1


def _significant(values: np.ndarray) -> np.ndarray:
    """The significant digits each value is written with (its shortest repr)."""
    return np.array([len(repr(abs(float(v))).split("e")[0].replace(".", "").strip("0")) for v in values])


@pytest.mark.parametrize("low", [-30, -6])
def test_numbers_read_to_significant_digits_keep_them_over_decades(low):
    """Concentrations read to 3 significant digits from 1e-30 to 1e5 (no decimal grid holds them),
    masses from 1e-6 g (8 decimals): binned draws came back with 15-17 digits (2.3456789012e-17),
    92 % of a small model's generated concentrations. Draws are now rounded to the data's digits,
    inside their bin and the data's range."""
    rng = np.random.default_rng(0)
    x = pd.Series([float(f"{v:.2e}") for v in 10 ** rng.uniform(low, 5, 2_000)])
    pre = NumericPreproc().fit(x)
    assert pre.significant == 3
    ids = pre.encode(x)
    dec = pre.decode(ids, np.random.default_rng(1)).to_numpy(float)
    assert _significant(dec).max() <= 3
    assert dec.min() >= x.min() and dec.max() <= x.max()
    assert (pre.encode(pd.Series(dec)) == ids).all()  # each kept in its bin
    q = np.linspace(0.05, 0.95, 19)
    assert np.abs(np.quantile(np.log10(dec), q) - np.quantile(np.log10(x), q)).max() < 0.5
    assert column_preproc_from_dict(pre.to_dict()).significant == 3


def test_prices_in_cents_and_full_precision_numbers_read_no_significant_digits():
    """A grid already holds prices in cents; numbers of full precision have no such digits; a few
    large prices whole by chance (3 of them) are no precision either."""
    rng = np.random.default_rng(0)
    cents = pd.Series(np.round(rng.gamma(2, 20, 2_000), 2))
    assert NumericPreproc().fit(cents).significant == 0
    assert NumericPreproc().fit(pd.Series(10 ** rng.uniform(-3, 3, 2_000))).significant == 0
    few_whole = pd.Series(np.r_[np.round(rng.uniform(1, 99, 500), 2), [12000.0, 15000.0, 31000.0]])
    assert NumericPreproc().fit(few_whole).significant == 0


def _postal_listings(n: int = 800, seed: int = 0):
    """A listing's city and a postal code among its city's few (Lille's 59000, 59160, 59260, 59777,
    59800; Bordeaux's in hundreds), 6 cities and 50 codes, each code in 5 listings at least."""
    from relsynth.relational import Categorical, Integer, PrimaryKey, RelationalData, Schema, Table

    rng = np.random.default_rng(seed)
    codes = {
        "Paris": [75000 + i for i in range(1, 21)],
        "Lyon": [69000 + i for i in range(1, 10)],
        "Bordeaux": [33000, 33100, 33200, 33300, 33800],
        "Lille": [59000, 59160, 59260, 59777, 59800],
        "Nantes": [44000, 44100, 44200, 44300],
        "Brest": [29200, 29217, 29280, 29490, 29810, 29820, 29850],
    }
    city = rng.choice(list(codes), n, p=[0.3, 0.2, 0.15, 0.15, 0.1, 0.1])
    postal = [int(rng.choice(codes[c])) for c in city]
    frame = pd.DataFrame({"id": range(n), "city": city, "postal_code": postal})
    schema = Schema(listing=Table(id=PrimaryKey(), city=Categorical(), postal_code=Integer()))
    return RelationalData({"listing": frame}, schema), codes


def test_integer_codes_each_held_by_several_rows_come_back_as_the_datas_codes():
    """Postal codes (50, each in 5 listings at least, more than the 32 bins): binned, a code was
    drawn between two of the data's (59006 in Lille) or rounded by its city's hundreds (13000), 1 to
    4 % of a round trip's listings (13.9 % of a trained model's) holding a code not of their city.
    Each code now has a token of its own: every code is the data's, and its city's."""
    from relsynth.synth import TabularPreproc

    data, codes = _postal_listings()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    back = pre.inverse_transform(pre.transform(data), seed=0)["listing"]
    assert back["postal_code"].isin(data["listing"]["postal_code"]).all()
    assert all(p in codes[c] for c, p in zip(back["city"], back["postal_code"], strict=True))


def test_integers_mostly_rare_or_too_many_or_dense_stay_binned():
    """Unique amounts, 500 distinct values of 10 rows each, or ages 12 to 90 of ~40 rows each (every
    integer between held: a value drawn in a bin is one rows hold), keep the quantile bins."""
    ages = pd.Series(RNG.integers(12, 91, 3000), name="t.age")
    assert NumericPreproc(kind="integer").fit(ages).n_bins_used > 20
    amounts = pd.Series(RNG.integers(0, 10**6, 1000), name="t.amount")
    assert NumericPreproc(kind="integer").fit(amounts).n_bins_used == 32
    many = pd.Series(np.repeat(np.arange(500) * 7, 10), name="t.many")
    binned = NumericPreproc(kind="integer").fit(many)
    assert binned.n_bins_used > 20 and len(binned.points) <= 6  # the end codes at most


def test_labels_written_once_per_distinct_value_as_row_by_row():
    """The fit writes, codes and encodes a column's distinct labels once each, not every row
    (`one_per_value`): texts, codes and tokens stay every row's own, where equal values are written
    apart (-0.0, 1 and True), a missing value changes how the others are written (an Int64's 1
    mapped as 1.0) or is written as a value's text."""
    from relsynth.synth.tabular.encoders import label_texts, plain_scalar, plain_texts
    from relsynth.synth.tabular.rules.columns import exact_values, value_codes
    from relsynth.synth.tabular.rules.unique_labels import _exact_texts

    columns = [
        pd.Series([0.0, -0.0, np.nan, 1.5, 0.0]),
        pd.Series(["<NA>", None, "a", "nan", None], dtype="string"),
        pd.Series([1, None, 2, 1], dtype="Int64"),
        pd.Series([2**60 + 1, 2**60, 1], dtype="Int64"),
        pd.Series([True, None, False], dtype="boolean"),
        pd.Series([1, "1", 1.0, True, None], dtype=object),
        pd.Series(["a", None, np.nan, "b", "a"], dtype=object),
        pd.Series(pd.Categorical(["b", None, "a", "b"])),
        pd.Series(pd.to_datetime(["2020-01-01", None, "2020-01-01"])),
        pd.Series(["x", "y", "x", "y", "x", "x", "z"], index=[9, 7, 5, 3, 1, 0, 2]),
    ]
    for values in columns:
        pd.testing.assert_series_equal(plain_texts(values), values.map(plain_scalar).astype(str).where(values.notna()))
        texts = values.astype(object).map(lambda v: str(plain_scalar(v)), na_action="ignore").to_numpy(dtype=object)
        assert [None if pd.isna(t) else t for t in texts] == list(label_texts(values))
        codes, uniques = pd.factorize(values.map(plain_scalar, na_action="ignore").astype(object), use_na_sentinel=True)
        assert value_codes(values)[1] == [str(v) for v in uniques]
        np.testing.assert_array_equal(value_codes(values)[0], codes)
        pre = CategoricalPreproc(min_count=1).fit(values)
        expected = pd.Categorical(values.map(plain_scalar, na_action="ignore"), categories=pre.categories).codes
        expected = np.where(values.isna(), 0, np.where(expected >= 0, expected + 2, 1))
        np.testing.assert_array_equal(pre.encode(values), expected)
        exact = exact_values(values, pre).astype(str).where(values.notna())  # as unique label pairs read them
        pd.testing.assert_series_equal(_exact_texts(values, pre), exact.astype(object))
