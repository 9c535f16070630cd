"""Volume: on-balance volume as TA-Lib computes it, and VWAP over a rolling window or a session.

VWAP uses the typical price ``(high + low + close) / 3`` of each bar as its traded price.
Where a window or session has traded no volume yet, the VWAP is undefined; the bar's own
typical price stands in, so a quiet stretch does not punch holes in the line.
"""

from __future__ import annotations

import numpy as np

from quantdesk.errors import ValidationError
from quantdesk.indicators._common import (
    ArrayLike,
    FloatArray,
    as_columns,
    check_period,
    first_valid_all,
    inline_kernel,
    kernel,
    nan_head,
)
from quantdesk.indicators.moving_averages import RESYNC, period_parameter
from quantdesk.indicators.registry import Input, Parameter, indicator

HLCV: tuple[Input, ...] = ("high", "low", "close", "volume")
DAY_NS = 86_400 * 1_000_000_000
SESSIONS = {"1h": DAY_NS // 24, "4h": DAY_NS // 6, "1d": DAY_NS, "1w": 7 * DAY_NS}
MONDAY_NS = 4 * DAY_NS  # 1970-01-01 was a Thursday; weeks start on the Monday after


@kernel
def _obv(close: FloatArray, volume: FloatArray, out: FloatArray) -> None:
    n = close.shape[0]
    start = first_valid_all(close, volume, volume, volume)
    nan_head(out, start)
    if start >= n:
        return
    total = volume[start]
    previous = close[start]
    out[start] = total
    for i in range(start + 1, n):
        price = close[i]
        # ±1·volume or +0: TA-Lib's branches without the mispredictions of random prices.
        direction = (1.0 if price > previous else 0.0) - (1.0 if price < previous else 0.0)
        total += direction * volume[i]
        out[i] = total
        previous = price


@inline_kernel
def _typical(high: float, low: float, close: float) -> float:
    return (high + low + close) / 3.0


@inline_kernel
def _weighted_sums(
    high: FloatArray, low: FloatArray, close: FloatArray, volume: FloatArray, first: int, last: int
) -> tuple[float, float]:
    traded = 0.0
    shares = 0.0
    for j in range(first, last + 1):
        traded += _typical(high[j], low[j], close[j]) * volume[j]
        shares += volume[j]
    return traded, shares


@kernel
def _rolling_vwap(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    period: int,
    out: FloatArray,
) -> None:
    n = high.shape[0]
    lookback = first_valid_all(high, low, close, volume) + period - 1
    nan_head(out, lookback)
    for block in range(lookback, n, RESYNC):
        traded, shares = _weighted_sums(high, low, close, volume, block - period + 1, block)
        for i in range(block, min(block + RESYNC, n)):
            typical = _typical(high[i], low[i], close[i])
            if i > block:
                old = i - period
                traded += (
                    typical * volume[i] - _typical(high[old], low[old], close[old]) * volume[old]
                )
                shares += volume[i] - volume[old]
            out[i] = traded / shares if shares > 0.0 else typical


@kernel
def _session_vwap(
    timestamps: np.ndarray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    length: int,
    offset: int,
    out: FloatArray,
) -> None:
    n = high.shape[0]
    start = first_valid_all(high, low, close, volume)
    nan_head(out, start)
    opens, closes_at = 0, 0  # the current session's [open, close) in nanoseconds
    traded = 0.0
    shares = 0.0
    for i in range(start, n):
        stamp = timestamps[i]
        if i == start or stamp >= closes_at or stamp < opens:
            opens = (stamp - offset) // length * length + offset
            closes_at = opens + length
            traded, shares = 0.0, 0.0
        typical = _typical(high[i], low[i], close[i])
        traded += typical * volume[i]
        shares += volume[i]
        out[i] = traded / shares if shares > 0.0 else typical


@indicator(inputs=("close", "volume"), overlay=False)
def obv(close: ArrayLike, volume: ArrayLike) -> FloatArray:
    """On-balance volume: add the bar's volume when close rises, subtract it when it falls.

    As in TA-Lib the line starts at the first bar's volume, and an unchanged close leaves
    it unchanged. No warm-up.

    Example:
        >>> obv([1.0, 2.0, 1.5, 1.5], [10.0, 20.0, 5.0, 7.0]).tolist()
        [10.0, 30.0, 25.0, 25.0]
    """
    closes, volumes = as_columns(("close", "volume"), close, volume)
    out = np.empty(closes.shape[0])
    _obv(closes, volumes, out)
    return out


@indicator(inputs=HLCV, parameters=(period_parameter(20, minimum=1),), overlay=True, talib=False)
def vwap(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, volume: ArrayLike, timeperiod: int = 20
) -> FloatArray:
    """Rolling volume-weighted average price over the last ``timeperiod`` bars.

    Published definition (StockCharts ChartSchool, "VWAP"): sum(typical price · volume) /
    sum(volume) with typical price ``(high + low + close) / 3``; here the sums run over a
    moving window instead of a session. Warm-up: ``timeperiod - 1`` NaNs.

    Example:
        >>> vwap([2.0, 4.0], [1.0, 2.0], [1.5, 3.0], [1.0, 3.0], timeperiod=2).tolist()
        [nan, 2.625]
    """
    highs, lows, closes, volumes = as_columns(HLCV, high, low, close, volume)
    out = np.empty(highs.shape[0])
    _rolling_vwap(highs, lows, closes, volumes, check_period(timeperiod, minimum=1), out)
    return out


@indicator(
    inputs=("timestamps", *HLCV),
    parameters=(
        Parameter("session", "str", "1d", choices=tuple(SESSIONS), description="reset period"),
        Parameter("offset", "int", 0, minimum=0, maximum=10_079, description="minutes"),
    ),
    overlay=True,
    talib=False,
)
def session_vwap(
    timestamps: ArrayLike,
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    volume: ArrayLike,
    session: str = "1d",
    offset: int = 0,
) -> FloatArray:
    """Volume-weighted average price since the start of each session, reset every session.

    Published definition (StockCharts ChartSchool, "VWAP"): cumulative
    sum(typical price · volume) / cumulative sum(volume) from the session open. Sessions
    are UTC hours, days or Monday-based weeks, shifted by ``offset`` minutes (570 for a
    session opening at 09:30 UTC). ``timestamps`` are int64 UTC nanoseconds or
    datetime64 values. No warm-up: the first bar of a session is its own VWAP.

    Example:
        >>> day = 86_400 * 10**9
        >>> session_vwap([0, 1, day], [2.0, 4, 4], [1.0, 2, 2], [1.5, 3, 3], [1.0, 3, 1]).tolist()
        [1.5, 2.625, 3.0]
    """
    stamps = _as_timestamps(timestamps)
    highs, lows, closes, volumes = as_columns(HLCV, high, low, close, volume)
    if stamps.shape[0] != highs.shape[0]:
        raise ValidationError(
            f"timestamps has {stamps.shape[0]} values but the prices have {highs.shape[0]}"
        )
    if session not in SESSIONS:
        raise ValidationError(f"session must be one of {', '.join(SESSIONS)}, got {session!r}")
    shift = check_period(offset, "offset", minimum=0) * 60_000_000_000
    shift += MONDAY_NS if session == "1w" else 0
    out = np.empty(highs.shape[0])
    _session_vwap(stamps, highs, lows, closes, volumes, SESSIONS[session], shift, out)
    return out


def _as_timestamps(values: ArrayLike) -> np.ndarray:
    array = np.asarray(values)
    if np.issubdtype(array.dtype, np.datetime64):
        array = array.astype("datetime64[ns]").view(np.int64)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValidationError("timestamps must be int64 UTC nanoseconds or datetime64 values")
    return np.ascontiguousarray(array, dtype=np.int64)
