"""Reading bar files: flexible columns, time zones, delimiters, and errors that name the rows."""

from __future__ import annotations

import numpy as np
import pytest

from quantdesk.errors import ValidationError
from quantdesk.marketdata.files import FileOptions, detect_format, read_bars
from tests.fixtures.market_files import bars_csv, bars_parquet, csv_bytes, daily_bars, hourly_bars

DAILY = FileOptions(filename="prices.csv", timeframe="1d")
HOURLY = FileOptions(filename="prices.csv", timeframe="1h")


def ns(text: str) -> int:
    return int(np.datetime64(text, "ns").astype(np.int64))


def problems(error: pytest.ExceptionInfo[ValidationError]) -> list[tuple[int, str]]:
    return [(item["row"], item["column"]) for item in error.value.details]


@pytest.mark.parametrize("sep", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_read_bars_any_delimiter_round_trips(sep: str) -> None:
    bars = hourly_bars(30)
    read = read_bars(bars_csv(bars, sep=sep), HOURLY)
    np.testing.assert_array_equal(read.timestamps, bars.timestamps)
    np.testing.assert_array_equal(read.close, bars.close)
    np.testing.assert_array_equal(read.volume, bars.volume)


@pytest.mark.parametrize(
    "header",
    [
        ("Date", "Open", "High", "Low", "Close", "Volume"),
        ("timestamp", "open", "high", "low", "close", "volume"),
        ("Datetime", "OPEN", "High", "Low", "Close", "Vol"),
        ("time", "o", "h", "l", "c", "v"),
    ],
)
def test_read_bars_column_name_variants_recognised(header: tuple[str, ...]) -> None:
    data = csv_bytes([("2024-01-02", 10, 11, 9, 10.5, 100)], header=header)
    bars = read_bars(data, DAILY)
    assert bars.timestamps.tolist() == [ns("2024-01-02")]
    assert (bars.open[0], bars.high[0], bars.low[0], bars.close[0]) == (10, 11, 9, 10.5)


def test_read_bars_adj_close_ignored_unless_adjusted() -> None:
    header = ("Date", "Open", "High", "Low", "Close", "Adj Close", "Volume")
    data = csv_bytes([("2024-01-02", 10, 12, 8, 10, 5, 100)], header=header)
    raw = read_bars(data, DAILY)
    adjusted = read_bars(data, FileOptions(filename="a.csv", timeframe="1d", adjusted=True))
    assert raw.close.tolist() == [10.0]
    assert (adjusted.open[0], adjusted.high[0], adjusted.low[0], adjusted.close[0]) == (5, 6, 4, 5)


def test_read_bars_adjusted_without_adj_column_rejected() -> None:
    with pytest.raises(ValidationError, match="Adj Close"):
        read_bars(bars_csv(daily_bars(3)), FileOptions("a.csv", "1d", adjusted=True))


def test_read_bars_naive_times_read_in_given_zone() -> None:
    data = csv_bytes([("2024-07-01 09:30:00", 1, 2, 0.5, 1.5, 10)])
    options = FileOptions(filename="a.csv", timeframe="1m", timezone="America/New_York")
    assert read_bars(data, options).timestamps.tolist() == [ns("2024-07-01T13:30:00")]


def test_read_bars_offsets_converted_to_utc() -> None:
    rows = [
        ("2024-01-02T10:00:00+01:00", 1, 2, 0.5, 1.5, 1),
        ("2024-01-02T10:00:00Z", 1, 2, 0.5, 1.5, 1),
    ]
    bars = read_bars(csv_bytes(rows), HOURLY)
    assert bars.timestamps.tolist() == [ns("2024-01-02T09:00"), ns("2024-01-02T10:00")]


def test_read_bars_date_only_stays_at_utc_midnight_whatever_the_zone() -> None:
    options = FileOptions(filename="a.csv", timeframe="1d", timezone="Asia/Tokyo")
    bars = read_bars(bars_csv(daily_bars(3), date_only=True), options)
    assert bars.timestamps.tolist() == daily_bars(3).timestamps.tolist()


@pytest.mark.parametrize("scale", [1, 1_000], ids=["seconds", "milliseconds"])
def test_read_bars_epoch_numbers_detected(scale: int) -> None:
    seconds = 1_704_153_600  # 2024-01-02 00:00 UTC
    bars = read_bars(csv_bytes([(seconds * scale, 1, 2, 0.5, 1.5, 1)]), DAILY)
    assert bars.timestamps.tolist() == [ns("2024-01-02")]


def test_read_bars_newest_first_file_sorted() -> None:
    rows = [("2024-01-03", 2, 3, 1, 2, 1), ("2024-01-02", 1, 2, 0.5, 1.5, 1)]
    bars = read_bars(csv_bytes(rows), DAILY)
    assert bars.timestamps.tolist() == [ns("2024-01-02"), ns("2024-01-03")]
    assert bars.open.tolist() == [1.0, 2.0]


def test_read_bars_missing_volume_column_is_zero() -> None:
    data = csv_bytes(
        [("2024-01-02", 1, 2, 0.5, 1.5)], header=("Date", "Open", "High", "Low", "Close")
    )
    assert read_bars(data, DAILY).volume.tolist() == [0.0]


def test_read_bars_malformed_cells_named_by_file_row() -> None:
    rows = [
        ("2024-01-02", 1, 2, 0.5, 1.5, 1),
        ("not a date", 1, 2, 0.5, 1.5, 1),
        ("2024-01-04", "1.2.3", 2, 0.5, 1.5, 1),
        ("2024-01-05", 1, 2, "", 1.5, 1),
    ]
    with pytest.raises(ValidationError) as error:
        read_bars(csv_bytes(rows), DAILY)
    assert problems(error) == [(3, "timestamp"), (4, "open"), (5, "low")]
    assert "row(s) 3, 4, 5" in error.value.message


def test_read_bars_extra_field_names_the_line() -> None:
    rows = [("2024-01-02", 1, 2, 0.5, 1.5, 1), ("2024-01-03", "1,5", 2, 0.5, 1.5, 1)]
    with pytest.raises(ValidationError) as error:
        read_bars(csv_bytes(rows), DAILY)
    assert error.value.details[0]["row"] == 3


def test_read_bars_inconsistent_ohlc_named_by_file_row() -> None:
    rows = [("2024-01-03", 1, 2, 0.5, 1.5, 1), ("2024-01-02", 1, 0.9, 0.5, 0.8, 1)]
    with pytest.raises(ValidationError) as error:
        read_bars(csv_bytes(rows), DAILY)
    assert problems(error) == [(3, "high")]
    assert error.value.details[0]["problem"] == "high is below open"


def test_read_bars_duplicate_timestamp_rejected() -> None:
    rows = [("2024-01-02", 1, 2, 0.5, 1.5, 1), ("2024-01-02", 1, 2, 0.5, 1.5, 1)]
    with pytest.raises(ValidationError) as error:
        read_bars(csv_bytes(rows), DAILY)
    assert error.value.details[0]["problem"] == "timestamp repeats the previous one"


def test_read_bars_missing_column_named() -> None:
    data = csv_bytes([("2024-01-02", 1, 2, 1.5)], header=("Date", "Open", "High", "Close"))
    with pytest.raises(ValidationError, match="lacks the column"):
        read_bars(data, DAILY)


def test_read_bars_blank_lines_keep_row_numbers() -> None:
    data = b"Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n\n2024-01-04,1,2,0.5,x\n"
    with pytest.raises(ValidationError) as error:
        read_bars(data, DAILY)
    assert problems(error) == [(4, "close")]


def test_read_bars_parquet_round_trips() -> None:
    bars = hourly_bars(20)
    read = read_bars(bars_parquet(bars), FileOptions(filename="p.parquet", timeframe="1h"))
    np.testing.assert_array_equal(read.timestamps, bars.timestamps)
    np.testing.assert_array_equal(read.high, bars.high)


def test_read_bars_unknown_zone_rejected() -> None:
    with pytest.raises(ValidationError, match="IANA"):
        read_bars(bars_csv(daily_bars(2)), FileOptions("a.csv", "1d", timezone="Mars/Base"))


def test_detect_format_by_suffix_and_magic() -> None:
    assert detect_format("a.CSV") == "csv"
    assert detect_format("upload", b"PAR1") == "parquet"
    assert detect_format("report.xlsx", b"PK\x03\x04") is None
