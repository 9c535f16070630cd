"""Numba kernels behind :mod:`quantdesk.indicators.trend` (compiled like the momentum ones)."""

from __future__ import annotations

from quantdesk.indicators._common import FloatArray, first_valid_all, nan_head
from quantdesk.indicators._momentum_kernels import fused


@fused
def _true_range(high: FloatArray, low: FloatArray, close: FloatArray, i: int) -> float:
    """Wilder's true range of bar ``i``: its range widened to the previous close."""
    widest: float = high[i] - low[i]
    above: float = abs(high[i] - close[i - 1])
    widest = above if above > widest else widest
    below: float = abs(low[i] - close[i - 1])
    return below if below > widest else widest


@fused
def _directional_move(high: FloatArray, low: FloatArray, i: int, minus: bool) -> float:
    """+DM (or -DM) of bar ``i``: the larger outward move, if it is outward at all."""
    up = high[i] - high[i - 1]
    down = low[i - 1] - low[i]
    if minus:
        return down if down > 0.0 and up < down else 0.0
    return up if up > 0.0 and up > down else 0.0


@fused
def _seed(
    high: FloatArray, low: FloatArray, close: FloatArray, start: int, period: int
) -> tuple[float, float, float]:
    """Plain sums of +DM, -DM and TR over the first ``period - 1`` changes (Wilder's seed)."""
    plus = minus = true_range = 0.0
    for i in range(start + 1, start + period):
        plus += _directional_move(high, low, i, False)
        minus += _directional_move(high, low, i, True)
        true_range += _true_range(high, low, close, i)
    return plus, minus, true_range


@fused
def di_into(
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
    plus_dm, minus_dm, true_range = _seed(high, low, close, start, period)
    movement = minus_dm if minus else plus_dm
    part = 1.0 / period
    for i in range(start + period, n):
        movement = movement - movement * part + _directional_move(high, low, i, minus)
        true_range = true_range - true_range * part + _true_range(high, low, close, i)
        out[i] = 100.0 * (movement / true_range) if true_range != 0.0 else 0.0


@fused
def adx_into(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int, out: FloatArray
) -> None:
    n = high.shape[0]
    start = first_valid_all(high, low, close, close)
    first = start + 2 * period - 1
    nan_head(out, first)
    plus_dm, minus_dm, true_range = _seed(high, low, close, start, period)
    part, keep = 1.0 / period, (period - 1) / period
    average = 0.0
    for i in range(start + period, n):
        plus_dm = plus_dm - plus_dm * part + _directional_move(high, low, i, False)
        minus_dm = minus_dm - minus_dm * part + _directional_move(high, low, i, True)
        true_range = true_range - true_range * part + _true_range(high, low, close, i)
        total = plus_dm + minus_dm
        if true_range == 0.0 or total == 0.0:
            dx, defined = 0.0, False
        else:
            dx, defined = 100.0 * (abs(minus_dm - plus_dm) / total), True
        if i < first:
            average += dx
        elif i == first:
            average = (average + dx) * part
        elif defined:
            average = average * keep + dx * part
        if i >= first:
            out[i] = average


@fused
def sar_into(
    high: FloatArray, low: FloatArray, acceleration: float, maximum: float, out: FloatArray
) -> None:
    """Parabolic SAR in TA-Lib's order, one branch per direction (each well predicted)."""
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
    level = low[start - 1] if rising else high[start - 1]
    new_high, new_low = high[start], low[start]
    for i in range(start, n):
        prev_high, prev_low, new_high, new_low = new_high, new_low, high[i], low[i]
        if rising and new_low <= level:
            rising, factor = False, acceleration
            out[i] = level = max(extreme, prev_high, new_high)
            extreme = new_low
            level = max(level + factor * (extreme - level), prev_high, new_high)
        elif rising:
            out[i] = level
            if new_high > extreme:
                extreme, factor = new_high, min(factor + acceleration, maximum)
            level = min(level + factor * (extreme - level), prev_low, new_low)
        elif new_high >= level:
            rising, factor = True, acceleration
            out[i] = level = min(extreme, prev_low, new_low)
            extreme = new_high
            level = min(level + factor * (extreme - level), prev_low, new_low)
        else:
            out[i] = level
            if new_low < extreme:
                extreme, factor = new_low, min(factor + acceleration, maximum)
            level = max(level + factor * (extreme - level), prev_high, new_high)


@fused
def atr_into(
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
    average = _seed(high, low, close, start, period + 1)[2] / period
    out[start + period] = average
    for i in range(start + period + 1, n):
        average = (average * (period - 1) + _true_range(high, low, close, i)) / period
        out[i] = average


@fused
def supertrend_into(
    columns: tuple[FloatArray, FloatArray, FloatArray],
    period: int,
    multiplier: float,
    out: tuple[FloatArray, FloatArray],
) -> None:
    high, low, close = columns
    line, direction = out
    start = first_valid_all(high, low, close, close)
    atr_into(high, low, close, start, period, line)
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
