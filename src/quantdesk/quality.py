"""Data-quality report for one series of bars: should a backtest trust this history?

``check_quality`` counts, for each kind of problem, the offending bars and names the first
few timestamps, so a user can find them in the file or chart:

- ``missing``: calendar slots with no bar between the first and last bar;
- ``outside_calendar``: bars on a weekend or outside the session the calendar expects;
- ``duplicates`` and ``out_of_order``: a timestamp equal to, or earlier than, the previous;
- ``zero_volume``: bars that traded nothing;
- ``stale``: bars whose open, high, low and close all repeat the previous bar's;
- ``price_jumps``: close-to-close moves beyond ``jump_threshold`` (0.2 = 20 %);
- ``ohlc_inconsistent``: prices that are not finite, high below open, close or low, low
  above open or close, or negative volume.

Calendars: ``"24/7"`` expects every slot (crypto); ``"weekdays"`` skips Saturday and
Sunday in UTC (forex, futures); ``"xnys-like"`` is weekdays and, for intraday bars, the
New York session 09:30-16:00 (US equities; exchange holidays are counted as missing, so a
handful per year is normal). Slots start at 00:00 UTC (Monday for weeks) or, for intraday
``"xnys-like"``, at the session's 09:30.

Example:
    >>> import numpy as np
    >>> from quantdesk.bars import Bars
    >>> day = 86_400 * 10**9
    >>> close = np.array([10.0, 10.5, 10.5, 15.0])
    >>> bars = Bars.from_arrays(np.array([0, 1, 3, 4]) * day, close, close, close, close,
    ...                         np.ones(4))
    >>> report = check_quality(bars, "1d")
    >>> report.missing.count, report.price_jumps.count, report.clean
    (1, 1, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np

from quantdesk.bars import Bars, timeframe_ns
from quantdesk.errors import ValidationError

Calendar = Literal["24/7", "weekdays", "xnys-like"]
CALENDARS: tuple[Calendar, ...] = ("24/7", "weekdays", "xnys-like")
CHECKS = (
    "missing",
    "outside_calendar",
    "duplicates",
    "out_of_order",
    "zero_volume",
    "stale",
    "price_jumps",
    "ohlc_inconsistent",
)
FIRST_SHOWN = 5
_DAY_NS = 86_400 * 10**9
_WEEK_NS = 7 * _DAY_NS
_MONDAY_NS = 4 * _DAY_NS  # 1970-01-01 was a Thursday
_NEW_YORK = ZoneInfo("America/New_York")
_SESSION_OPEN = (9, 30)
_SESSION_MINUTES = 390


@dataclass(frozen=True, slots=True)
class Finding:
    """How many bars (or slots) show one problem, and the first few of their timestamps."""

    count: int = 0
    first: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QualityReport:
    """Every check's finding for one series; ``clean`` when none found anything."""

    symbol: str
    timeframe: str
    calendar: Calendar
    jump_threshold: float
    bars: int
    expected: int
    start: str | None
    end: str | None
    missing: Finding
    outside_calendar: Finding
    duplicates: Finding
    out_of_order: Finding
    zero_volume: Finding
    stale: Finding
    price_jumps: Finding
    ohlc_inconsistent: Finding

    @property
    def findings(self) -> dict[str, Finding]:
        """Every check by name, in the order of ``CHECKS``."""
        return {name: getattr(self, name) for name in CHECKS}

    @property
    def clean(self) -> bool:
        return all(finding.count == 0 for finding in self.findings.values())

    @property
    def coverage(self) -> float:
        """Share of expected calendar slots that hold a bar (1.0 for an empty series)."""
        if self.expected == 0:
            return 1.0
        return round(1.0 - self.missing.count / self.expected, 6)


def check_quality(
    bars: Bars,
    timeframe: str,
    *,
    calendar: Calendar = "24/7",
    jump_threshold: float = 0.2,
) -> QualityReport:
    """Check ``bars`` at ``timeframe`` against ``calendar`` and report every problem.

    Bars are checked in the order given, so a file's duplicates and out-of-order rows
    show; the calendar checks use the sorted distinct timestamps.

    Raises:
        ValidationError: Unknown calendar, timeframe, or a threshold that is not positive.
    """
    step = timeframe_ns(timeframe)
    if calendar not in CALENDARS:
        raise ValidationError(f"calendar {calendar!r} is not one of {', '.join(CALENDARS)}")
    if not jump_threshold > 0:
        raise ValidationError(f"jump_threshold must be above 0 (0.2 = 20 %), got {jump_threshold}")
    stamps = bars.timestamps
    distinct = np.unique(stamps)
    slots = _slots(distinct, step, calendar)
    covered, outside = _place(distinct, slots, step)
    findings = {
        "missing": _finding(slots[~covered]),
        "outside_calendar": _finding(distinct[outside]),
        **_order_findings(stamps),
        **_value_findings(bars, jump_threshold),
    }
    return QualityReport(
        symbol=bars.symbol,
        timeframe=timeframe,
        calendar=calendar,
        jump_threshold=jump_threshold,
        bars=len(bars),
        expected=len(slots),
        start=_iso(distinct[0]) if len(distinct) else None,
        end=_iso(distinct[-1]) if len(distinct) else None,
        **findings,
    )


def _order_findings(stamps: np.ndarray) -> dict[str, Finding]:
    steps = np.diff(stamps)
    return {
        "duplicates": _finding(stamps[1:][steps == 0]),
        "out_of_order": _finding(stamps[1:][steps < 0]),
    }


def _value_findings(bars: Bars, jump_threshold: float) -> dict[str, Finding]:
    stamps, open_, high, low, close = (
        bars.timestamps,
        bars.open,
        bars.high,
        bars.low,
        bars.close,
    )
    prices = np.vstack((open_, high, low, close))
    stale = np.all(prices[:, 1:] == prices[:, :-1], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        moves = np.abs(close[1:] / close[:-1] - 1.0)
    inconsistent = (
        ~np.all(np.isfinite(prices), axis=0)
        | (high < np.maximum(np.maximum(open_, close), low))
        | (low > np.minimum(open_, close))
        | ~(bars.volume >= 0)
    )
    return {
        "zero_volume": _finding(stamps[bars.volume == 0]),
        "stale": _finding(stamps[1:][stale]),
        "price_jumps": _finding(stamps[1:][moves > jump_threshold]),
        "ohlc_inconsistent": _finding(stamps[inconsistent]),
    }


def _slots(distinct: np.ndarray, step: int, calendar: Calendar) -> np.ndarray:
    """Every slot start the calendar expects from the first bar's slot to the last bar's."""
    if not len(distinct):
        return distinct
    if calendar == "xnys-like" and step < _DAY_NS:
        return _session_slots(int(distinct[0]), int(distinct[-1]), step)
    origin = _MONDAY_NS if step % _WEEK_NS == 0 else 0
    first = (int(distinct[0]) - origin) // step * step + origin
    slots = np.arange(first, int(distinct[-1]) + 1, step, dtype=np.int64)
    if calendar == "24/7" or step >= _WEEK_NS:
        return slots
    weekday = (slots // _DAY_NS + 3) % 7  # Monday = 0
    return slots[weekday < 5]


def _session_slots(first: int, last: int, step: int) -> np.ndarray:
    """Intraday slots of the New York session (09:30-16:00 local) on each weekday."""
    per_session = -(-_SESSION_MINUTES * 60 * 10**9 // step)
    offsets = np.arange(per_session, dtype=np.int64) * step
    opens = [_session_open(day) for day in _weekdays(first - _DAY_NS, last + _DAY_NS)]
    if not opens:
        return np.empty(0, dtype=np.int64)
    slots = (np.array(opens, dtype=np.int64)[:, None] + offsets[None, :]).ravel()
    keep = (slots + step > first) & (slots <= last)
    return slots[keep]


def _weekdays(first_ns: int, last_ns: int) -> list[date]:
    day = _utc(first_ns).astimezone(_NEW_YORK).date()
    end = _utc(last_ns).astimezone(_NEW_YORK).date()
    days = []
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _session_open(day: date) -> int:
    local = datetime(day.year, day.month, day.day, *_SESSION_OPEN, tzinfo=_NEW_YORK)
    return int(local.timestamp()) * 10**9


def _place(distinct: np.ndarray, slots: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Which slots hold a bar, and which bars fall in no slot."""
    covered = np.zeros(len(slots), dtype=bool)
    if not len(slots):
        return covered, np.zeros(len(distinct), dtype=bool)
    index = np.searchsorted(slots, distinct, side="right") - 1
    inside = (index >= 0) & (distinct < slots[np.maximum(index, 0)] + step)
    covered[index[inside]] = True
    return covered, ~inside


def _finding(stamps: np.ndarray) -> Finding:
    return Finding(len(stamps), tuple(_iso(stamp) for stamp in stamps[:FIRST_SHOWN]))


def _utc(stamp_ns: int) -> datetime:
    return datetime.fromtimestamp(stamp_ns / 10**9, ZoneInfo("UTC"))


def _iso(stamp: np.int64 | int) -> str:
    return str(np.datetime64(int(stamp), "ns").astype("datetime64[s]")) + "Z"
