"""Trend indicators: ADX and the directional indicators, parabolic SAR, Supertrend, Ichimoku.

ADX, +DI, -DI and SAR follow TA-Lib's names, defaults, warm-up and arithmetic (Wilder's
smoothing, seeded with plain sums; SAR's first-bar direction and extreme point), so they
agree with TA-Lib to rounding. Supertrend and Ichimoku, which TA-Lib lacks, follow their
published definitions; every output is aligned to the bar it is computed on, so none of
them looks ahead. Kernels use the same compilation as :mod:`quantdesk.indicators.momentum`.
"""

from __future__ import annotations

import numpy as np

from quantdesk.errors import ValidationError
from quantdesk.indicators._common import (
    ArrayLike,
    FloatArray,
    Ichimoku,
    Supertrend,
    as_columns,
    check_finite,
    check_period,
    first_valid_all,
    nan_head,
)
from quantdesk.indicators.momentum import fused, int_parameter
from quantdesk.indicators.moving_averages import period_parameter
from quantdesk.indicators.registry import Parameter, indicator

HLC = ("high", "low", "close")

# ---------------------------------------------------------------------------- kernels


@fused
def _movement(
    high: FloatArray, low: FloatArray, close: FloatArray, i: int
) -> tuple[float, float, float]:
    """(+DM, -DM, true range) of bar ``i`` against bar ``i - 1``, by Wilder's rules."""
    up = high[i] - high[i - 1]
    down = low[i - 1] - low[i]
    plus = up if up > 0.0 and up > down else 0.0
    minus = down if down > 0.0 and up < down else 0.0
    true_range = high[i] - low[i]
    if abs(high[i] - close[i - 1]) > true_range:
        true_range = abs(high[i] - close[i - 1])
    if abs(low[i] - close[i - 1]) > true_range:
        true_range = abs(low[i] - close[i - 1])
    return plus, minus, true_range


@fused
def _seed_movement(
    high: FloatArray, low: FloatArray, close: FloatArray, start: int, period: int
) -> tuple[float, float, float]:
    """Plain sums of +DM, -DM and TR over the first ``period - 1`` changes (Wilder's seed)."""
    plus = minus = true_range = 0.0
    for i in range(start + 1, start + period):
        step = _movement(high, low, close, i)
        plus += step[0]
        minus += step[1]
        true_range += step[2]
    return plus, minus, true_range


@fused
def _di_into(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    period: int,
    minus: bool,
    out: FloatArray,
) -> None:
    n = high.shape[0]
    start = first_valid_all(high, low, close, close)
    nan_head(out, start + period)
    plus_dm, minus_dm, true_range = _seed_movement(high, low, close, start, period)
    movement = minus_dm if minus else plus_dm
    for i in range(start + period, n):
        step = _movement(high, low, close, i)
        movement = movement - movement / period + (step[1] if minus else step[0])
        true_range = true_range - true_range / period + step[2]
        out[i] = 100.0 * (movement / true_range) if true_range != 0.0 else 0.0


@fused
def _dx(plus_dm: float, minus_dm: float, true_range: float) -> float:
    """Directional index of smoothed movements, or NaN when it is undefined (no range)."""
    if true_range == 0.0:
        return np.nan
    minus_di = 100.0 * (minus_dm / true_range)
    plus_di = 100.0 * (plus_dm / true_range)
    total = minus_di + plus_di
    return 100.0 * (abs(minus_di - plus_di) / total) if total != 0.0 else np.nan


@fused
def _adx_into(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int, out: FloatArray
) -> None:
    n = high.shape[0]
    start = first_valid_all(high, low, close, close)
    first = start + 2 * period - 1
    nan_head(out, first)
    if first >= n:
        return
    plus_dm, minus_dm, true_range = _seed_movement(high, low, close, start, period)
    average = 0.0
    for i in range(start + period, n):
        step = _movement(high, low, close, i)
        plus_dm = plus_dm - plus_dm / period + step[0]
        minus_dm = minus_dm - minus_dm / period + step[1]
        true_range = true_range - true_range / period + step[2]
        dx = _dx(plus_dm, minus_dm, true_range)
        if i < first:
            average += 0.0 if np.isnan(dx) else dx
            continue
        if i == first:
            average = (average + (0.0 if np.isnan(dx) else dx)) / period
        elif not np.isnan(dx):
            average = (average * (period - 1) + dx) / period
        out[i] = average


@fused
def _sar_into(
    high: FloatArray, low: FloatArray, acceleration: float, maximum: float, out: FloatArray
) -> None:
    n = high.shape[0]
    start = first_valid_all(high, low, high, low) + 1
    nan_head(out, start)
    if start >= n:
        return
    acceleration = min(acceleration, maximum)
    factor = acceleration
    up, down = high[start] - high[start - 1], low[start - 1] - low[start]
    rising = not (down > 0.0 and up < down)
    extreme = high[start] if rising else low[start]
    sar = low[start - 1] if rising else high[start - 1]
    new_high, new_low = high[start], low[start]
    for i in range(start, n):
        prev_high, prev_low, new_high, new_low = new_high, new_low, high[i], low[i]
        if new_low <= sar if rising else new_high >= sar:
            rising = not rising
            sar = extreme
            factor = acceleration
            extreme = new_low if not rising else new_high
            out[i] = sar = _clamp(sar, prev_high, prev_low, new_high, new_low, rising)
        else:
            out[i] = sar
            if (new_high > extreme) if rising else (new_low < extreme):
                extreme = new_high if rising else new_low
                factor = min(factor + acceleration, maximum)
        sar = _clamp(sar + factor * (extreme - sar), prev_high, prev_low, new_high, new_low, rising)


@fused
def _clamp(
    sar: float, prev_high: float, prev_low: float, high: float, low: float, rising: bool
) -> float:
    """Keep the SAR outside the last two bars' range: below the lows when rising."""
    if rising:
        return min(sar, prev_low, low)
    return max(sar, prev_high, high)


@fused
def _atr_into(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    start: int,
    period: int,
    out: FloatArray,
) -> None:
    """Wilder's average true range (TA-Lib's ATR): seeded with the mean of ``period`` TRs."""
    n = high.shape[0]
    nan_head(out, start + period)
    if start + period >= n:
        return
    total = _seed_movement(high, low, close, start, period + 1)[2]
    average = total / period
    out[start + period] = average
    for i in range(start + period + 1, n):
        average = (average * (period - 1) + _movement(high, low, close, i)[2]) / period
        out[i] = average


@fused
def _supertrend_into(
    columns: tuple[FloatArray, FloatArray, FloatArray],
    period: int,
    multiplier: float,
    out: tuple[FloatArray, FloatArray],
) -> None:
    high, low, close = columns
    line, direction = out
    start = first_valid_all(high, low, close, close)
    _atr_into(high, low, close, start, period, line)
    nan_head(direction, start + period)
    upper = lower = 0.0
    for i in range(start + period, high.shape[0]):
        middle = (high[i] + low[i]) / 2.0
        band_up, band_down = middle + multiplier * line[i], middle - multiplier * line[i]
        first = i == start + period
        upper = band_up if first or band_up < upper or close[i - 1] > upper else upper
        lower = band_down if first or band_down > lower or close[i - 1] < lower else lower
        if first:
            trend = -1.0
        elif direction[i - 1] < 0.0:
            trend = 1.0 if close[i] > upper else -1.0
        else:
            trend = -1.0 if close[i] < lower else 1.0
        direction[i] = trend
        line[i] = lower if trend > 0.0 else upper


@fused
def _midpoint_into(
    high: FloatArray, low: FloatArray, start: int, period: int, out: FloatArray
) -> None:
    """Midpoint of the highest high and lowest low over ``period`` bars, rescanning on expiry."""
    n = high.shape[0]
    nan_head(out, start + period - 1)
    highest_at = lowest_at = -1
    for today in range(start + period - 1, n):
        trailing = today - period + 1
        if lowest_at < trailing:
            lowest_at = trailing
            for i in range(trailing + 1, today + 1):
                lowest_at = i if low[i] < low[lowest_at] else lowest_at
        elif low[today] <= low[lowest_at]:
            lowest_at = today
        if highest_at < trailing:
            highest_at = trailing
            for i in range(trailing + 1, today + 1):
                highest_at = i if high[i] > high[highest_at] else highest_at
        elif high[today] >= high[highest_at]:
            highest_at = today
        out[today] = (high[highest_at] + low[lowest_at]) / 2.0


# ------------------------------------------------------------------------ public API


def _check_factor(value: float, name: str) -> float:
    number = check_finite(value, name)
    if number < 0.0:
        raise ValidationError(f"{name} must be at least 0, got {value!r}")
    return number


def _directional(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int, minus: bool
) -> FloatArray:
    columns = as_columns(HLC, high, low, close)
    out = np.empty_like(columns[0])
    _di_into(*columns, check_period(period), minus, out)
    return out


@indicator(inputs=HLC, parameters=(period_parameter(14),), overlay=False)
def plus_di(high: ArrayLike, low: ArrayLike, close: ArrayLike, timeperiod: int = 14) -> FloatArray:
    """Plus directional indicator (Wilder, 1978): smoothed upward movement per unit of range.

    ``100 * +DM / TR``, both Wilder-smoothed over ``timeperiod`` bars and seeded with the
    plain sum of the first ``timeperiod - 1`` values; 0 where the smoothed range is 0.
    Warm-up: ``timeperiod`` NaNs.

    Example:
        >>> plus_di([2.0, 3, 4, 5], [1.0, 2, 3, 4], [1.5, 2.5, 3.5, 4.5], 2)[2:].tolist()
        [100.0, 100.0]
    """
    return _directional(high, low, close, timeperiod, minus=False)


@indicator(inputs=HLC, parameters=(period_parameter(14),), overlay=False)
def minus_di(high: ArrayLike, low: ArrayLike, close: ArrayLike, timeperiod: int = 14) -> FloatArray:
    """Minus directional indicator (Wilder, 1978): smoothed downward movement per unit of range.

    ``100 * -DM / TR`` with the same smoothing and warm-up as :func:`plus_di`.

    Example:
        >>> minus_di([5.0, 4, 3, 2], [4.0, 3, 2, 1], [4.5, 3.5, 2.5, 1.5], 2)[2:].tolist()
        [100.0, 100.0]
    """
    return _directional(high, low, close, timeperiod, minus=True)


@indicator(inputs=HLC, parameters=(period_parameter(14),), overlay=False)
def adx(high: ArrayLike, low: ArrayLike, close: ArrayLike, timeperiod: int = 14) -> FloatArray:
    """Average directional index (Wilder, 1978): trend strength regardless of direction, 0-100.

    ``DX = 100 * |+DI - -DI| / (+DI + -DI)``; the first ADX is the mean of ``timeperiod``
    DX values, then ``adx = (adx * (timeperiod - 1) + dx) / timeperiod``. Bars without
    range leave it unchanged. Warm-up: ``2 * timeperiod - 1`` NaNs.

    Example:
        >>> adx([2.0, 3, 4, 5, 6], [1.0, 2, 3, 4, 5], [1.5, 2.5, 3.5, 4.5, 5.5], 2)[3:].tolist()
        [100.0, 100.0]
    """
    columns = as_columns(HLC, high, low, close)
    out = np.empty_like(columns[0])
    _adx_into(*columns, check_period(timeperiod), out)
    return out


@indicator(
    inputs=("high", "low"),
    parameters=(
        Parameter("acceleration", "float", 0.02, minimum=0.0, description="step of the factor"),
        Parameter("maximum", "float", 0.2, minimum=0.0, description="cap of the factor"),
    ),
    overlay=True,
)
def sar(
    high: ArrayLike, low: ArrayLike, acceleration: float = 0.02, maximum: float = 0.2
) -> FloatArray:
    """Parabolic stop and reverse (Wilder, 1978): a trailing stop that speeds up with the trend.

    As in TA-Lib, the first bar is consumed: the trade starts short on bar 1 only if bar 1
    shows more downward than upward movement (-DM > +DM), long otherwise, with bar 0's low
    (or high) as the first SAR and bar 1's high (or low) as the first extreme point. The
    factor grows by ``acceleration`` with each new extreme, up to ``maximum``; a
    penetration flips the side and restarts at the old extreme. Warm-up: 1 NaN.

    Example:
        >>> sar([2.0, 3, 4, 5], [1.0, 2, 3, 4])[1:].round(4).tolist()
        [1.0, 1.04, 1.1584]
    """
    columns = as_columns(("high", "low"), high, low)
    step = _check_factor(acceleration, "acceleration")
    cap = _check_factor(maximum, "maximum")
    out = np.empty_like(columns[0])
    _sar_into(*columns, step, cap, out)
    return out


@indicator(
    inputs=HLC,
    parameters=(
        period_parameter(10, minimum=1),
        Parameter("multiplier", "float", 3.0, minimum=0.0, description="ATRs from hl2 to a band"),
    ),
    outputs=Supertrend._fields,
    overlay=True,
    talib=False,
)
def supertrend(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, timeperiod: int = 10, multiplier: float = 3.0
) -> Supertrend:
    """Supertrend (Seban): a trailing band that flips sides when the close crosses it.

    Bands are ``hl2 ± multiplier * ATR(timeperiod)`` (Wilder's ATR). The upper band only
    moves down, and the lower band only up, unless the previous close broke through them.
    In a downtrend the line is the upper band, and the trend turns up when the close
    rises above it; in an uptrend the line is the lower band, and the trend turns down
    when the close falls below it. The first bar with an ATR starts down (-1), as in
    TradingView's ``ta.supertrend``. Warm-up: ``timeperiod`` NaNs.

    Example:
        >>> result = supertrend([2.0, 3, 4, 5, 6], [1.0, 2, 3, 4, 5], [1.5, 2.5, 3.5, 4.5, 5.5], 1, 1.0)
        >>> result.direction.tolist(), result.value.tolist()
        ([nan, -1.0, 1.0, 1.0, 1.0], [nan, 4.0, 2.5, 3.5, 4.5])
    """
    columns = as_columns(HLC, high, low, close)
    out = (np.empty_like(columns[0]), np.empty_like(columns[0]))
    factor = check_finite(multiplier, "multiplier")
    _supertrend_into(columns, check_period(timeperiod, minimum=1), factor, out)
    return Supertrend(*out)


@indicator(
    inputs=HLC,
    parameters=(
        int_parameter("tenkan_period", 9, 1, "bars of the conversion line"),
        int_parameter("kijun_period", 26, 1, "bars of the base line"),
        int_parameter("senkou_period", 52, 1, "bars of leading span B"),
        int_parameter("displacement", 26, 0, "bars the chart shifts the spans forward"),
    ),
    outputs=Ichimoku._fields,
    overlay=True,
    talib=False,
)
def ichimoku(
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    tenkan_period: int = 9,
    kijun_period: int = 26,
    senkou_period: int = 52,
    displacement: int = 26,
) -> Ichimoku:
    """Ichimoku kinko hyo (Hosoda): five lines of midpoints that frame trend and support.

    ``tenkan`` and ``kijun`` are the midpoints of the highest high and lowest low over
    ``tenkan_period`` and ``kijun_period`` bars, ``senkou_a`` their mean, ``senkou_b`` the
    midpoint over ``senkou_period`` bars and ``chikou`` the close. Every line is aligned
    to the bar it is computed on and never shifted: a chart draws the spans
    ``displacement`` bars ahead and ``chikou`` that many bars behind, so a strategy using
    these arrays sees no future data. Warm-up: each line's period minus one NaNs
    (``senkou_a`` waits for both of its parts).

    Example:
        >>> lines = ichimoku(np.arange(3.0, 9), np.arange(1.0, 7), np.arange(2.0, 8), 2, 3, 4)
        >>> lines.tenkan.tolist()[1:3], lines.senkou_b.tolist()[3:]
        ([3.0, 4.0], [3.5, 4.5, 5.5])
    """
    columns = as_columns(HLC, high, low, close)
    periods = (
        check_period(tenkan_period, "tenkan_period", 1),
        check_period(kijun_period, "kijun_period", 1),
        check_period(senkou_period, "senkou_period", 1),
    )
    check_period(displacement, "displacement", 0)
    start = first_valid_all(*columns, columns[2])
    lines = [np.empty_like(columns[0]) for _ in periods]
    for period, line in zip(periods, lines, strict=True):
        _midpoint_into(columns[0], columns[1], start, period, line)
    tenkan, kijun, senkou_b = lines
    return Ichimoku(tenkan, kijun, (tenkan + kijun) / 2.0, senkou_b, columns[2].copy())
