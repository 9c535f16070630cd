"""The data-quality report on hand-made bars, one problem at a time."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from quantdesk.bars import Bars
from quantdesk.errors import ValidationError
from quantdesk.quality import CHECKS, check_quality

MINUTE = 60 * 10**9
HOUR = 60 * MINUTE
DAY = 24 * HOUR
MONDAY = int(np.datetime64("2024-01-08T00:00:00", "ns").astype(np.int64))
# 2024-01-08 09:30 in New York (EST) is 14:30 UTC.
SESSION_OPEN = MONDAY + 14 * HOUR + 30 * MINUTE


def make_bars(
    stamps: Sequence[int],
    close: Sequence[float] | None = None,
    volume: Sequence[float] | None = None,
) -> Bars:
    """Valid bars at ``stamps``; closes alternate between 100 and 100.5 unless given."""
    count = len(stamps)
    closes = np.asarray(close if close is not None else 100 + 0.5 * (np.arange(count) % 2), float)
    opens = np.concatenate((closes[:1], closes[:-1]))
    return Bars.from_arrays(
        np.asarray(stamps, dtype=np.int64),
        opens,
        np.maximum(opens, closes) + 0.5,
        np.minimum(opens, closes) - 0.5,
        closes,
        np.asarray(volume if volume is not None else np.full(count, 1000.0)),
        symbol="TEST",
    )


def only_problems(report_findings: dict[str, object]) -> set[str]:
    return {name for name, finding in report_findings.items() if finding.count}  # type: ignore[attr-defined]


def test_check_clean_daily_weekdays_reports_nothing() -> None:
    stamps = [MONDAY + day * DAY for day in (0, 1, 2, 3, 4, 7, 8)]
    report = check_quality(make_bars(stamps), "1d", calendar="weekdays")
    assert report.clean
    assert (report.bars, report.expected, report.coverage) == (7, 7, 1.0)
    assert report.start == "2024-01-08T00:00:00Z"
    assert list(report.findings) == list(CHECKS)


def test_check_missing_day_counts_and_names_it() -> None:
    stamps = [MONDAY + day * DAY for day in (0, 1, 3, 4)]
    report = check_quality(make_bars(stamps), "1d", calendar="weekdays")
    assert only_problems(report.findings) == {"missing"}
    assert report.missing.count == 1
    assert report.missing.first == ("2024-01-10T00:00:00Z",)
    assert report.coverage == pytest.approx(0.8)


def test_check_weekend_gap_is_missing_only_on_24_7() -> None:
    stamps = [MONDAY + day * DAY for day in (0, 1, 2, 3, 4, 7)]
    assert check_quality(make_bars(stamps), "1d", calendar="weekdays").clean
    report = check_quality(make_bars(stamps), "1d", calendar="24/7")
    assert report.missing.count == 2
    assert report.missing.first == ("2024-01-13T00:00:00Z", "2024-01-14T00:00:00Z")


def test_check_weekend_bar_is_outside_weekday_calendar() -> None:
    stamps = [MONDAY + day * DAY for day in (4, 5, 7)]
    report = check_quality(make_bars(stamps), "1d", calendar="weekdays")
    assert only_problems(report.findings) == {"outside_calendar"}
    assert report.outside_calendar.first == ("2024-01-13T00:00:00Z",)


def test_check_duplicates_and_out_of_order_rows_are_found_in_file_order() -> None:
    stamps = [MONDAY, MONDAY + DAY, MONDAY + DAY, MONDAY + 3 * DAY, MONDAY + 2 * DAY]
    report = check_quality(make_bars(stamps), "1d")
    assert report.duplicates.count == 1
    assert report.duplicates.first == ("2024-01-09T00:00:00Z",)
    assert report.out_of_order.count == 1
    assert report.out_of_order.first == ("2024-01-10T00:00:00Z",)
    assert report.missing.count == 0


def test_check_zero_volume_bars_are_counted() -> None:
    stamps = [MONDAY + hour * HOUR for hour in range(6)]
    report = check_quality(make_bars(stamps, volume=[5, 0, 7, 0, 0, 1]), "1h")
    assert only_problems(report.findings) == {"zero_volume"}
    assert report.zero_volume.count == 3
    assert report.zero_volume.first[0] == "2024-01-08T01:00:00Z"


def test_check_repeated_bar_is_stale() -> None:
    stamps = [MONDAY + hour * HOUR for hour in range(5)]
    bars = make_bars(stamps, close=[10, 11, 11, 11, 12])
    report = check_quality(bars, "1h")
    # Bar 2 opens at bar 1's close of 11; only bar 3 repeats all of bar 2's prices.
    assert report.stale.count == 1
    assert report.stale.first == ("2024-01-08T03:00:00Z",)


def test_check_price_jump_beyond_threshold_is_reported() -> None:
    stamps = [MONDAY + hour * HOUR for hour in range(4)]
    bars = make_bars(stamps, close=[100, 101, 130, 129])
    assert check_quality(bars, "1h").price_jumps.first == ("2024-01-08T02:00:00Z",)
    assert check_quality(bars, "1h", jump_threshold=0.5).price_jumps.count == 0


def test_check_ohlc_inconsistencies_are_reported() -> None:
    stamps = [MONDAY + hour * HOUR for hour in range(4)]
    bars = make_bars(stamps)
    bars.high[1] = bars.low[1] - 1.0
    bars.close[3] = np.nan
    report = check_quality(bars, "1h")
    assert report.ohlc_inconsistent.count == 2
    assert report.ohlc_inconsistent.first == ("2024-01-08T01:00:00Z", "2024-01-08T03:00:00Z")


def test_check_xnys_like_intraday_expects_only_the_session() -> None:
    monday = [SESSION_OPEN + hour * HOUR for hour in range(7)]
    tuesday = [stamp + DAY for stamp in monday]
    report = check_quality(make_bars(monday + tuesday), "1h", calendar="xnys-like")
    assert report.clean
    assert report.expected == 14


def test_check_xnys_like_gap_in_session_and_bar_after_close() -> None:
    monday = [SESSION_OPEN + hour * HOUR for hour in range(7) if hour != 2]
    evening = SESSION_OPEN + 8 * HOUR
    report = check_quality(make_bars([*monday, evening]), "1h", calendar="xnys-like")
    assert report.missing.first == ("2024-01-08T16:30:00Z",)
    assert report.outside_calendar.first == ("2024-01-08T22:30:00Z",)


def test_check_xnys_like_follows_daylight_saving_time() -> None:
    # 2024-03-11 (EDT, UTC-4): the session opens at 13:30 UTC.
    open_edt = int(np.datetime64("2024-03-11T13:30:00", "ns").astype(np.int64))
    stamps = [open_edt + step * 30 * MINUTE for step in range(13)]
    assert check_quality(make_bars(stamps), "30m", calendar="xnys-like").clean


def test_check_long_gap_reports_first_five_and_full_count() -> None:
    stamps = [MONDAY, MONDAY + 100 * MINUTE]
    report = check_quality(make_bars(stamps), "1m")
    assert report.missing.count == 99
    assert len(report.missing.first) == 5


def test_check_empty_series_is_clean() -> None:
    report = check_quality(make_bars([]), "1d")
    assert report.clean
    assert (report.bars, report.expected, report.start) == (0, 0, None)


@pytest.mark.parametrize(
    ("calendar", "threshold", "message"),
    [("nyse", 0.2, "calendar 'nyse'"), ("24/7", 0.0, "jump_threshold"), ("24/7", -1, "above 0")],
)
def test_check_bad_options_are_refused(calendar: str, threshold: float, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        check_quality(make_bars([MONDAY]), "1d", calendar=calendar, jump_threshold=threshold)  # type: ignore[arg-type]


def test_check_two_weeks_of_minutes_counts_every_weekend_minute() -> None:
    stamps = MONDAY + np.arange(14 * 24 * 60, dtype=np.int64) * MINUTE
    report = check_quality(make_bars(list(stamps)), "1m", calendar="weekdays")
    assert report.outside_calendar.count == 2 * 2 * 24 * 60
    assert report.outside_calendar.first[0] == "2024-01-13T00:00:00Z"
    assert report.missing.count == 0
