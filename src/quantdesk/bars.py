"""Columnar OHLCV bars: UTC timestamps and float arrays, with slicing, resampling and checks.

``Bars`` holds int64 UTC nanosecond timestamps and float64 open, high, low, close and
volume arrays of one symbol at one timeframe. It keeps no pandas inside: pandas appears
only at the edges (:meth:`Bars.from_frame`, :meth:`Bars.to_frame`). Slicing never copies;
the arrays are shared with the slice, so treat them as read-only.

Example:
    >>> import numpy as np
    >>> minute = 60 * 10**9
    >>> close = np.array([1.0, 2.0, 3.0, 4.0])
    >>> bars = Bars.from_arrays(np.arange(4) * minute, close, close + 1, close - 1, close,
    ...                         np.ones(4), symbol="DEMO", timeframe="1m")
    >>> bars.resample("5m").close.tolist()
    [4.0]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from quantdesk.errors import ValidationError

if TYPE_CHECKING:
    import pandas as pd

PRICE_COLUMNS = ("open", "high", "low", "close")
COLUMNS = (*PRICE_COLUMNS, "volume")
TIMEFRAMES = ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w")
_UNIT_NS = {"m": 60 * 10**9, "h": 3_600 * 10**9, "d": 86_400 * 10**9, "w": 604_800 * 10**9}
_MONDAY_NS = 4 * _UNIT_NS["d"]  # 1970-01-01 was a Thursday
_TIMEFRAME = re.compile(r"^([1-9][0-9]*)([mhdw])$")
_TIME_COLUMNS = ("timestamp", "timestamps", "time", "datetime", "date")
_SHOWN_ROWS = 5
_MAX_DETAILS = 1_000

TimeKey = str | datetime | np.datetime64


def timeframe_ns(timeframe: str) -> int:
    """Return the length of a timeframe such as ``"4h"`` in nanoseconds.

    A timeframe is a positive whole number followed by ``m`` (minutes), ``h``, ``d`` or
    ``w``. Example: ``timeframe_ns("15m") == 900_000_000_000``.
    """
    match = _TIMEFRAME.match(timeframe)
    if match is None:
        raise ValidationError(
            f"timeframe {timeframe!r} is not understood; write a number and a unit, "
            f"like {', '.join(TIMEFRAMES)}"
        )
    return int(match.group(1)) * _UNIT_NS[match.group(2)]


def supported_timeframes() -> tuple[str, ...]:
    """Return the timeframes ``Bars.resample`` accepts, finest first."""
    return TIMEFRAMES


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Bars:
    """OHLCV bars of one symbol at one timeframe, as parallel NumPy arrays.

    Build them with :meth:`from_arrays` or :meth:`from_frame`, which convert and check
    shapes. Index by position (``bars[-500:]``) or by time (``bars["2024-01":"2024-03"]``,
    both ends included, a partial date covering its whole period). :meth:`validate` checks
    the prices themselves.
    """

    timestamps: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    symbol: str = ""
    timeframe: str = ""

    def __post_init__(self) -> None:
        length = self.timestamps.shape[0]
        for name in COLUMNS:
            array = getattr(self, name)
            if array.ndim != 1 or array.shape[0] != length:
                raise ValidationError(
                    f"{name} has shape {array.shape}; every column needs {length} values, "
                    "one per timestamp"
                )
        if self.timeframe:
            timeframe_ns(self.timeframe)

    @classmethod
    def from_arrays(
        cls,
        timestamps: Any,
        open: Any,
        high: Any,
        low: Any,
        close: Any,
        volume: Any,
        *,
        symbol: str = "",
        timeframe: str = "",
    ) -> Bars:
        """Build bars from array-likes; timestamps as int64 UTC ns or datetime64 (naive = UTC).

        Arrays already of the right dtype are shared, not copied.
        """
        columns = {
            name: _float_column(name, values)
            for name, values in zip(COLUMNS, (open, high, low, close, volume), strict=True)
        }
        return cls(_timestamps(timestamps), **columns, symbol=symbol, timeframe=timeframe)

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        symbol: str = "",
        timeframe: str = "",
        timestamp_column: str | None = None,
    ) -> Bars:
        """Build bars from a DataFrame with a DatetimeIndex or a timestamp column.

        Column names are matched case-insensitively (``Open`` or ``open``). A timestamp
        column is found by ``timestamp_column`` or by the names timestamp, time, datetime
        or date. Naive timestamps are taken as UTC; aware ones are converted to UTC.
        """
        import pandas as pd

        names = {str(column).lower(): column for column in frame.columns}
        missing = [name for name in COLUMNS if name not in names]
        if missing:
            raise ValidationError(
                f"the frame lacks the column(s) {', '.join(missing)}; "
                f"it has {', '.join(map(str, frame.columns))}"
            )
        index = pd.DatetimeIndex(_time_values(frame, names, timestamp_column))
        index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
        stamps = index.as_unit("ns").asi8
        values = (frame[names[name]].to_numpy(dtype=np.float64) for name in COLUMNS)
        return cls.from_arrays(stamps, *values, symbol=symbol, timeframe=timeframe)

    def to_frame(self) -> pd.DataFrame:
        """Return a DataFrame of the five columns indexed by a UTC DatetimeIndex."""
        import pandas as pd

        index = pd.DatetimeIndex(self.timestamps.view("datetime64[ns]"), name="timestamp")
        data = {name: getattr(self, name) for name in COLUMNS}
        return pd.DataFrame(data, index=index.tz_localize("UTC"))

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """Every column by name, timestamps included, as ``registry.compute`` takes them."""
        return {"timestamps": self.timestamps, **{name: getattr(self, name) for name in COLUMNS}}

    def __len__(self) -> int:
        return int(self.timestamps.shape[0])

    def __repr__(self) -> str:
        span = ""
        if len(self):
            first, last = (_iso(self.timestamps[i]) for i in (0, -1))
            span = f", {first} .. {last}"
        return f"Bars({self.symbol or '?'} {self.timeframe or '?'}, {len(self)} bars{span})"

    def __getitem__(self, key: slice) -> Bars:
        """Slice by position (ints) or by time (str, datetime, datetime64; ends included)."""
        if not isinstance(key, slice):
            raise ValidationError("index bars with a slice, like bars[10:20] or bars['2024-01':]")
        if _is_time(key.start) or _is_time(key.stop):
            if key.step is not None:
                raise ValidationError("a time slice takes no step; resample() changes spacing")
            key = slice(self._position(key.start, "left"), self._position(key.stop, "right"))
        return self._take(key)

    def _position(self, bound: TimeKey | None, side: str) -> int | None:
        if bound is None:
            return None
        first, after = _time_range(bound)
        target = first if side == "left" else after
        return int(np.searchsorted(self.timestamps, target, side="left"))

    def _take(self, index: slice) -> Bars:
        open_, high, low, close, volume = (column[index] for column in self._values())
        return Bars(
            self.timestamps[index], open_, high, low, close, volume, self.symbol, self.timeframe
        )

    def _values(self) -> tuple[np.ndarray, ...]:
        return self.open, self.high, self.low, self.close, self.volume

    def resample(self, rule: str) -> Bars:
        """Aggregate into coarser bars: first open, max high, min low, last close, summed volume.

        Buckets are labelled by their start; days start at 00:00 UTC and weeks on Monday.
        Buckets without bars (nights, weekends, gaps) are dropped, not filled. Timestamps
        must be sorted (see :meth:`validate`).
        """
        length = self._check_rule(rule)
        if not len(self):
            return Bars.from_arrays(
                self.timestamps, *self._values(), symbol=self.symbol, timeframe=rule
            )
        origin = _MONDAY_NS if rule.endswith("w") else 0
        buckets = (self.timestamps - origin) // length
        if np.any(buckets[1:] < buckets[:-1]):
            raise ValidationError("timestamps must be sorted to resample; call validate()")
        starts = np.concatenate(([0], np.flatnonzero(buckets[1:] != buckets[:-1]) + 1))
        ends = np.concatenate((starts[1:], [len(self)])) - 1
        return Bars(
            buckets[starts] * length + origin,
            self.open[starts],
            np.maximum.reduceat(self.high, starts),
            np.minimum.reduceat(self.low, starts),
            self.close[ends],
            np.add.reduceat(self.volume, starts),
            symbol=self.symbol,
            timeframe=rule,
        )

    def _check_rule(self, rule: str) -> int:
        if rule not in TIMEFRAMES:
            raise ValidationError(f"resample rule {rule!r} is not one of {', '.join(TIMEFRAMES)}")
        length = timeframe_ns(rule)
        if self.timeframe and length < timeframe_ns(self.timeframe):
            raise ValidationError(
                f"cannot resample {self.timeframe} bars to the finer {rule}; "
                "load finer data instead"
            )
        return length

    def validate(self) -> Bars:
        """Return the bars unchanged, or raise naming every row that breaks OHLCV rules.

        Rules: timestamps strictly increasing (no duplicates); prices finite; high at or
        above open, close and low; low at or below open and close; volume finite and not
        negative. The error's ``details`` lists ``{row, timestamp, problem}`` (up to 1,000).
        """
        found = sorted(self._problems(), key=lambda item: item[0])
        if not found:
            return self
        rows = sorted({row for row, _ in found})
        shown = ", ".join(str(row) for row in rows[:_SHOWN_ROWS])
        more = f" and {len(rows) - _SHOWN_ROWS} more" if len(rows) > _SHOWN_ROWS else ""
        details = [
            {"row": row, "timestamp": _iso(self.timestamps[row]), "problem": problem}
            for row, problem in found[:_MAX_DETAILS]
        ]
        raise ValidationError(
            f"{len(rows)} bar(s) of {self.symbol or 'the series'} are invalid, at row(s) "
            f"{shown}{more}: {found[0][1]} first; fix or drop them",
            details=details,
        )

    def _problems(self) -> list[tuple[int, str]]:
        steps = np.diff(self.timestamps)
        checks: list[tuple[np.ndarray, str]] = [
            (np.concatenate(([False], steps < 0)), "timestamp is earlier than the previous one"),
            (np.concatenate(([False], steps == 0)), "timestamp repeats the previous one"),
        ]
        for name in PRICE_COLUMNS:
            values = getattr(self, name)
            checks.append((np.isnan(values), f"{name} is NaN"))
            checks.append((np.isinf(values), f"{name} is infinite"))
        high, low = self.high, self.low
        checks += [
            (high < low, "high is below low"),
            (high < self.open, "high is below open"),
            (high < self.close, "high is below close"),
            (low > self.open, "low is above open"),
            (low > self.close, "low is above close"),
            (~np.isfinite(self.volume), "volume is not a finite number"),
            (self.volume < 0, "volume is negative"),
        ]
        return [(int(row), problem) for mask, problem in checks for row in np.flatnonzero(mask)]


def _float_column(name: str, values: Any) -> np.ndarray:
    try:
        return np.ascontiguousarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must hold numbers") from None


def _timestamps(values: Any) -> np.ndarray:
    array = np.asarray(values)
    if np.issubdtype(array.dtype, np.datetime64):
        return np.ascontiguousarray(array.astype("datetime64[ns]").view(np.int64))
    if np.issubdtype(array.dtype, np.integer):
        return np.ascontiguousarray(array, dtype=np.int64)
    raise ValidationError("timestamps must be int64 UTC nanoseconds or datetime64 values")


def _time_values(frame: pd.DataFrame, names: Mapping[str, Any], column: str | None) -> Any:
    import pandas as pd

    if column is not None:
        if column not in frame.columns:
            raise ValidationError(f"timestamp_column {column!r} is not a column of the frame")
        return frame[column]
    if isinstance(frame.index, pd.DatetimeIndex):
        return frame.index
    for name in _TIME_COLUMNS:
        if name in names:
            return frame[names[name]]
    raise ValidationError(
        "the frame needs a DatetimeIndex or a timestamp column "
        f"({', '.join(_TIME_COLUMNS)}); pass timestamp_column= to name it"
    )


def _is_time(bound: object) -> bool:
    return isinstance(bound, str | datetime | np.datetime64)


def _time_range(bound: TimeKey) -> tuple[int, int]:
    """Return ``[first, after)`` in ns covered by a time bound (a whole month for "2024-03")."""
    if isinstance(bound, datetime) and bound.tzinfo is not None:
        bound = bound.astimezone(UTC).replace(tzinfo=None)
    try:
        moment = np.datetime64(bound)
    except ValueError:
        raise ValidationError(f"{bound!r} is not a date or time; write e.g. 2024-03-01") from None
    unit: Any = np.datetime_data(moment.dtype)[0]
    first = moment.astype("datetime64[ns]").astype(np.int64)
    after = (moment + np.timedelta64(1, unit)).astype("datetime64[ns]").astype(np.int64)
    return int(first), int(after)


def _iso(timestamp: np.int64 | int) -> str:
    return str(np.datetime64(int(timestamp), "ns").astype("datetime64[s]")) + "Z"
