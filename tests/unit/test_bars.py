"""Bars: construction from arrays and frames, slicing, resampling and validation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from quantdesk.bars import Bars, supported_timeframes, timeframe_ns
from quantdesk.errors import ValidationError
from quantdesk.indicators import compute
from tests.fixtures.market_data import real_ohlcv, synthetic_ohlcv

COLUMNS = ("open", "high", "low", "close", "volume")
MINUTE = 60 * 10**9
AGGREGATION = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def make_bars(data: dict[str, np.ndarray], timeframe: str = "1m", symbol: str = "TEST") -> Bars:
    values = (data[name] for name in COLUMNS)
    return Bars.from_arrays(data["timestamps"], *values, symbol=symbol, timeframe=timeframe)


PANDAS_RULES = {"5m": "5min", "15m": "15min", "30m": "30min", "1h": "1h", "4h": "4h", "1d": "1D"}


def pandas_resample(bars: Bars, rule: str) -> pd.DataFrame:
    frequency = PANDAS_RULES.get(rule, "W-MON")
    frame = bars.to_frame().resample(frequency, label="left", closed="left").agg(AGGREGATION)
    return frame.dropna(subset=["open"])


def test_from_arrays_shares_float64_arrays_without_copying() -> None:
    data = synthetic_ohlcv(10)
    bars = make_bars(data)
    assert bars.close is data["close"]
    assert len(bars) == 10


def test_from_arrays_converts_lists_and_datetime64() -> None:
    stamps = np.array(["2024-01-01T00:00", "2024-01-01T00:01"], dtype="datetime64[m]")
    bars = Bars.from_arrays(stamps, [1, 2], [2, 3], [0, 1], [1, 2], [5, 5])
    assert bars.timestamps.dtype == np.int64
    assert bars.timestamps[1] - bars.timestamps[0] == MINUTE
    assert bars.close.dtype == np.float64


def test_from_arrays_of_different_lengths_raises_naming_the_column() -> None:
    with pytest.raises(ValidationError, match="volume has shape"):
        Bars.from_arrays([0, 1], [1, 2], [1, 2], [1, 2], [1, 2], [1])


def test_from_arrays_with_float_timestamps_raises() -> None:
    with pytest.raises(ValidationError, match="int64 UTC nanoseconds"):
        Bars.from_arrays([0.5], [1], [1], [1], [1], [1])


def test_from_frame_reads_capitalised_columns_and_naive_index_as_utc() -> None:
    from backtesting.test import GOOG

    bars = Bars.from_frame(GOOG, symbol="GOOG", timeframe="1d")
    expected = real_ohlcv("GOOG")
    np.testing.assert_array_equal(bars.timestamps, expected["timestamps"])
    np.testing.assert_array_equal(bars.close, expected["close"])


def test_from_frame_converts_aware_timestamp_column_to_utc() -> None:
    stamps = pd.date_range("2024-03-01 09:30", periods=3, freq="min", tz="America/New_York")
    frame = pd.DataFrame({"Date": stamps, **{name: [1.0, 2.0, 3.0] for name in COLUMNS}})
    bars = Bars.from_frame(frame)
    assert bars.to_frame().index[0] == pd.Timestamp("2024-03-01 14:30", tz="UTC")


def test_from_frame_without_a_price_column_names_it() -> None:
    frame = pd.DataFrame({"open": [1.0], "high": [1.0], "low": [1.0]})
    with pytest.raises(ValidationError, match="lacks the column\\(s\\) close, volume"):
        Bars.from_frame(frame)


def test_from_frame_without_any_time_raises_naming_the_option() -> None:
    frame = pd.DataFrame({name: [1.0] for name in COLUMNS})
    with pytest.raises(ValidationError, match="timestamp_column="):
        Bars.from_frame(frame)


def test_to_frame_and_back_keeps_every_value() -> None:
    bars = make_bars(synthetic_ohlcv(50))
    again = Bars.from_frame(bars.to_frame(), symbol="TEST", timeframe="1m")
    for name in ("timestamps", *COLUMNS):
        np.testing.assert_array_equal(getattr(again, name), getattr(bars, name))


def test_positional_slice_returns_the_same_rows() -> None:
    bars = make_bars(synthetic_ohlcv(100))
    part = bars[10:20]
    assert len(part) == 10
    assert part.close[0] == bars.close[10]
    assert (part.symbol, part.timeframe) == ("TEST", "1m")


def test_partial_date_slice_includes_whole_months() -> None:
    bars = Bars.from_frame(real_ohlcv_frame(), timeframe="1d")
    part = bars["2005-01":"2005-03"]
    assert part.to_frame().index[0] == pd.Timestamp("2005-01-03", tz="UTC")
    assert part.to_frame().index[-1] == pd.Timestamp("2005-03-31", tz="UTC")


def test_time_slice_accepts_aware_datetimes_and_datetime64() -> None:
    bars = make_bars(synthetic_ohlcv(120))
    start = datetime(2024, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1)))
    part = bars[start : np.datetime64("2024-01-01T00:09")]
    assert len(part) == 10


def test_open_ended_time_slice_runs_to_the_end() -> None:
    bars = make_bars(synthetic_ohlcv(120))
    assert len(bars["2024-01-01T01:00":]) == 60


def test_indexing_with_an_integer_raises() -> None:
    with pytest.raises(ValidationError, match="index bars with a slice"):
        make_bars(synthetic_ohlcv(5))[0]  # type: ignore[index]


def test_time_slice_with_a_step_raises() -> None:
    with pytest.raises(ValidationError, match="takes no step"):
        make_bars(synthetic_ohlcv(5))["2024-01-01"::2]


def test_unparseable_time_raises_with_an_example() -> None:
    with pytest.raises(ValidationError, match=r"write e\.g\. 2024-03-01"):
        make_bars(synthetic_ohlcv(5))["soon":]


@pytest.mark.parametrize("rule", ["5m", "15m", "30m", "1h", "4h", "1d"])
def test_resample_minute_bars_with_gaps_matches_pandas(rule: str) -> None:
    data = synthetic_ohlcv(6_000, seed=2)
    keep = np.ones(6_000, dtype=bool)
    keep[1_500:3_700] = False  # a gap longer than a day
    keep[::7] = False  # missing minutes
    bars = make_bars({name: column[keep] for name, column in data.items()})
    ours = bars.resample(rule).to_frame()
    pd.testing.assert_frame_equal(ours, pandas_resample(bars, rule), check_freq=False)


def test_resample_daily_to_weekly_labels_mondays() -> None:
    bars = Bars.from_frame(real_ohlcv_frame(), timeframe="1d")
    weekly = bars.resample("1w")
    assert set(weekly.to_frame().index.day_of_week) == {0}
    expected = pandas_resample(bars, "1w")
    np.testing.assert_array_equal(weekly.close, expected["close"].to_numpy())
    np.testing.assert_array_equal(weekly.high, expected["high"].to_numpy())


def test_resample_keeps_symbol_and_sets_the_new_timeframe() -> None:
    resampled = make_bars(synthetic_ohlcv(600)).resample("1h")
    assert (resampled.symbol, resampled.timeframe, len(resampled)) == ("TEST", "1h", 10)


def test_resample_to_finer_timeframe_raises() -> None:
    with pytest.raises(ValidationError, match="cannot resample 1h bars to the finer 5m"):
        make_bars(synthetic_ohlcv(10), timeframe="1h").resample("5m")


def test_resample_to_unsupported_rule_lists_the_supported_ones() -> None:
    with pytest.raises(ValidationError, match="1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w"):
        make_bars(synthetic_ohlcv(10)).resample("2h")


def test_resample_of_unsorted_bars_raises() -> None:
    data = synthetic_ohlcv(10)
    data["timestamps"] = data["timestamps"][::-1].copy()
    with pytest.raises(ValidationError, match="sorted"):
        make_bars(data).resample("5m")


def test_resample_of_no_bars_is_empty() -> None:
    assert len(make_bars(synthetic_ohlcv(0)).resample("1d")) == 0


def test_validate_returns_clean_bars() -> None:
    bars = make_bars(real_ohlcv("EURUSD"))
    assert bars.validate() is bars


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("high", 0.0, "high is below low"),
        ("high", np.nan, "high is NaN"),
        ("close", np.inf, "close is infinite"),
        ("low", 1e9, "low is above open"),
        ("volume", -1.0, "volume is negative"),
        ("volume", np.nan, "volume is not a finite number"),
    ],
)
def test_validate_names_the_row_and_problem(column: str, value: float, problem: str) -> None:
    data = synthetic_ohlcv(20)
    data[column][7] = value
    with pytest.raises(ValidationError, match="at row\\(s\\) 7") as caught:
        make_bars(data).validate()
    assert {
        "row": 7,
        "timestamp": "2024-01-01T00:07:00Z",
        "problem": problem,
    } in caught.value.details


@pytest.mark.parametrize(
    ("stamp", "problem"),
    [(5, "timestamp repeats the previous one"), (4, "timestamp is earlier than the previous one")],
)
def test_validate_rejects_duplicate_and_unsorted_timestamps(stamp: int, problem: str) -> None:
    data = synthetic_ohlcv(10)
    data["timestamps"][6] = data["timestamps"][stamp]
    with pytest.raises(ValidationError) as caught:
        make_bars(data).validate()
    assert caught.value.details[0]["problem"] == problem
    assert caught.value.details[0]["row"] == 6


def test_validate_message_shows_first_rows_and_counts_the_rest() -> None:
    data = synthetic_ohlcv(30)
    data["volume"][3:20] = -1.0
    message = r"17 bar\(s\) .* row\(s\) 3, 4, 5, 6, 7 and 12 more"
    with pytest.raises(ValidationError, match=message):
        make_bars(data).validate()


def test_timeframe_ns_parses_number_and_unit() -> None:
    assert timeframe_ns("4h") == 4 * 3_600 * 10**9
    assert timeframe_ns("1w") == 7 * 86_400 * 10**9
    assert supported_timeframes() == ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w")


@pytest.mark.parametrize("text", ["4", "h", "0m", "1y", "1.5h", ""])
def test_timeframe_ns_rejects_malformed_text(text: str) -> None:
    with pytest.raises(ValidationError, match="is not understood"):
        timeframe_ns(text)


def test_columns_feed_the_indicator_registry() -> None:
    bars = make_bars(synthetic_ohlcv(100))
    result = compute("session_vwap", bars.columns)
    assert result["value"].shape == (100,)


def test_repr_names_symbol_timeframe_and_span() -> None:
    text = repr(make_bars(synthetic_ohlcv(3)))
    assert text == "Bars(TEST 1m, 3 bars, 2024-01-01T00:00:00Z .. 2024-01-01T00:02:00Z)"


def real_ohlcv_frame() -> pd.DataFrame:
    data = real_ohlcv("GOOG")
    index = pd.DatetimeIndex(data["timestamps"].view("datetime64[ns]"))
    return pd.DataFrame({name: data[name] for name in COLUMNS}, index=index)
