"""Volatility: ATR, NATR and Bollinger bands as TA-Lib computes them; Donchian and Keltner.

ATR follows TA-Lib: the first value, at bar ``timeperiod``, is the mean true range of bars
1..timeperiod (bar 0 has no previous close), then Wilder's smoothing
``atr = (atr·(n-1) + tr) / n``, written as one FMA per bar. Bollinger bands reproduce
TA-Lib 0.8: the middle band is ``sma`` and the spread the population standard deviation
of the window, computed accurately (flat windows give zero spread).
"""

from __future__ import annotations

import numpy as np

from quantdesk.indicators._common import (
    ArrayLike,
    Bands,
    FloatArray,
    as_columns,
    as_series,
    check_finite,
    check_period,
    first_valid,
    first_valid_all,
    fma,
    inline_kernel,
    kernel,
    nan_head,
)
from quantdesk.indicators.moving_averages import (
    RESYNC,
    TA_EPSILON,
    ema_into,
    period_parameter,
    window_sum,
)
from quantdesk.indicators.registry import Input, Parameter, indicator

HLC: tuple[Input, ...] = ("high", "low", "close")
NEAR_FLAT = 1e-10  # relative variance below which the rolling update is re-summed


def deviation_parameter(name: str) -> Parameter:
    """A band width in standard deviations or ATRs (TA-Lib allows any finite number)."""
    return Parameter(name, "float", 2.0, minimum=-1e6, maximum=1e6, description="multiplier")


@kernel
def atr_into(
    high: FloatArray, low: FloatArray, close: FloatArray, start: int, period: int, out: FloatArray
) -> None:
    """Write the average true range of bars ``start..`` into ``out`` (NaN before)."""
    n = high.shape[0]
    lookback = start + period
    nan_head(out, lookback)
    if lookback < n:
        out[lookback] = _atr_seed(high, low, close, start, period)
        _atr_span(high, low, close, lookback + 1, n, out[lookback], period, out)


@inline_kernel
def _atr_seed(
    high: FloatArray, low: FloatArray, close: FloatArray, start: int, period: int
) -> float:
    total = 0.0
    for i in range(start + 1, start + period + 1):
        total += _true_range(high[i], low[i], close[i - 1])
    return total / period


@inline_kernel
def _atr_span(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    first: int,
    stop: int,
    previous: float,
    period: int,
    out: FloatArray,
) -> float:
    # Wilder's atr = keep·atr + weight·tr, advanced two bars per step
    # (atr₂ = keep²·atr₀ + keep·weight·tr₁ + weight·tr₂) to halve the dependency chain; the
    # recursion is contractive, so results stay within a few ulps of TA-Lib. Views instead
    # of i - 1 indexing spare Numba's negative-index checks.
    keep, weight = (period - 1.0) / period, 1.0 / period
    keep2, keep_weight = keep * keep, keep * weight
    highs, lows, closes = high[first:stop], low[first:stop], close[first - 1 : stop - 1]
    target = out[first:stop]
    count = stop - first
    j = 0
    while j + 1 < count:
        one = _true_range(highs[j], lows[j], closes[j])
        two = _true_range(highs[j + 1], lows[j + 1], closes[j + 1])
        target[j] = fma(previous, keep, one * weight)
        previous = fma(previous, keep2, fma(one, keep_weight, two * weight))
        target[j + 1] = previous
        j += 2
    if j < count:
        previous = fma(previous, keep, _true_range(highs[j], lows[j], closes[j]) * weight)
        target[j] = previous
    return previous


@inline_kernel
def _true_range(high: float, low: float, previous_close: float) -> float:
    # max(h, c₋₁) - min(l, c₋₁): the same subtraction TA-Lib's three-way maximum picks.
    top = high if high > previous_close else previous_close
    bottom = low if low < previous_close else previous_close
    return top - bottom


@kernel
def _natr(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int, out: FloatArray
) -> None:
    # ATR a block at a time, normalised while the block is still in L1 (a vector loop).
    n = close.shape[0]
    lookback = first_valid_all(high, low, close, close) + period
    nan_head(out, lookback)
    if lookback >= n:
        return
    previous = _atr_seed(high, low, close, lookback - period, period)
    out[lookback] = previous
    for block in range(lookback, n, RESYNC):
        stop = min(block + RESYNC, n)
        if block > lookback:
            previous = _atr_span(high, low, close, block, stop, previous, period, out)
        elif block + 1 < stop:
            previous = _atr_span(high, low, close, block + 1, stop, previous, period, out)
        target, closes = out[block:stop], close[block:stop]
        for j in range(stop - block):
            price = closes[j]
            target[j] = 0.0 if -TA_EPSILON < price < TA_EPSILON else (target[j] / price) * 100.0


@inline_kernel
def _squared_deviations(values: FloatArray, last: int, period: int, mean: float) -> float:
    total = 0.0
    for j in range(last - period + 1, last + 1):
        total += (values[j] - mean) * (values[j] - mean)
    return total


@kernel
def _bbands(
    values: FloatArray,
    period: int,
    up: float,
    down: float,
    upper: FloatArray,
    middle: FloatArray,
    lower: FloatArray,
) -> None:
    # Middle: the window sum exactly as ``sma`` keeps it (same re-sums, same adds), so the
    # two agree bit for bit. Spread: the window's sum of squared deviations, moved by a
    # Welford-style update per bar, re-summed with the window sum every RESYNC bars and
    # whenever it is too small for the update's rounding residue (flat windows give 0).
    n = values.shape[0]
    lookback = first_valid(values) + period - 1
    inverse = 1.0 / period
    for out in (upper, middle, lower):
        nan_head(out, lookback)
    for block in range(lookback, n, RESYNC):
        total = window_sum(values, block - period + 1, period)
        mean = total * inverse
        squares = _squared_deviations(values, block, period, mean)
        for i in range(block, min(block + RESYNC, n)):
            if i > block:
                new, old = values[i], values[i - period]
                total += new - old
                previous, mean = mean, total * inverse
                squares += (new - old) * (new - mean + old - previous)
                if squares < NEAR_FLAT * period * mean * mean:
                    squares = _squared_deviations(values, i, period, mean)
            deviation = np.sqrt(squares * inverse) if squares > 0.0 else 0.0
            middle[i] = mean
            upper[i] = mean + deviation * up
            lower[i] = mean - deviation * down


@kernel
def _rolling_max(values: FloatArray, start: int, period: int, sign: float, out: FloatArray) -> None:
    # van Herk / Gil-Werman: running maxima forward and backward inside blocks of
    # ``period`` bars; any window is one backward and one forward maximum. ``sign=-1``
    # gives the minimum (negation is exact).
    n = values.shape[0]
    lookback = start + period - 1
    if lookback >= n:
        nan_head(out, n)
        return
    backward = np.empty(n - start)
    for block in range(start, n, period):
        stop = min(block + period, n)
        best = sign * values[block]
        for i in range(block, stop):
            value = sign * values[i]
            best = value if value > best else best
            out[i] = best
        best = sign * values[stop - 1]
        for i in range(stop - 1, block - 1, -1):
            value = sign * values[i]
            best = value if value > best else best
            backward[i - start] = best
    for i in range(lookback, n):
        ahead, behind = backward[i - period + 1 - start], out[i]
        out[i] = sign * (ahead if ahead > behind else behind)
    nan_head(out, lookback)


@kernel
def _donchian(
    high: FloatArray,
    low: FloatArray,
    period: int,
    upper: FloatArray,
    middle: FloatArray,
    lower: FloatArray,
) -> None:
    start = first_valid_all(high, low, low, low)
    _rolling_max(high, start, period, 1.0, upper)
    _rolling_max(low, start, period, -1.0, lower)
    nan_head(middle, start + period - 1)
    for i in range(start + period - 1, high.shape[0]):
        middle[i] = (upper[i] + lower[i]) * 0.5


@kernel
def _keltner(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    period: int,
    atr_period: int,
    multiplier: float,
    upper: FloatArray,
    middle: FloatArray,
    lower: FloatArray,
) -> None:
    start = first_valid_all(high, low, close, close)
    ema_into(close, start, period, 2.0 / (period + 1), middle)
    atr_into(high, low, close, start, atr_period, upper)
    lookback = start + max(period - 1, atr_period)
    nan_head(middle, lookback)
    nan_head(lower, lookback)
    nan_head(upper, lookback)
    for i in range(lookback, close.shape[0]):
        width = multiplier * upper[i]
        upper[i] = middle[i] + width
        lower[i] = middle[i] - width


def _empty_bands(length: int) -> Bands:
    return Bands(np.empty(length), np.empty(length), np.empty(length))


@indicator(inputs=HLC, parameters=(period_parameter(14, minimum=1),), overlay=False)
def atr(high: ArrayLike, low: ArrayLike, close: ArrayLike, timeperiod: int = 14) -> FloatArray:
    """Average true range: Wilder's smoothing of the true range, in price units.

    True range is the largest of high - low, |previous close - high| and
    |previous close - low|. Warm-up: ``timeperiod`` NaNs (bar 0 has no true range).

    Example:
        >>> atr([3.0, 4, 5, 6], [1.0, 2, 3, 4], [2.0, 3, 4, 5], timeperiod=2).tolist()
        [nan, nan, 2.0, 2.0]
    """
    highs, lows, closes = as_columns(HLC, high, low, close)
    out = np.empty(highs.shape[0])
    start = first_valid_all(highs, lows, closes, closes)
    atr_into(highs, lows, closes, start, check_period(timeperiod, minimum=1), out)
    return out


@indicator(inputs=HLC, parameters=(period_parameter(14),), overlay=False)
def natr(high: ArrayLike, low: ArrayLike, close: ArrayLike, timeperiod: int = 14) -> FloatArray:
    """Normalised ATR: ``100 · atr / close``, comparable across price levels.

    A close within 1e-14 of zero gives 0, as in TA-Lib. ``timeperiod`` starts at 2: TA-Lib
    returns the raw true range for 1, which is not normalised. Warm-up: ``timeperiod`` NaNs.

    Example:
        >>> natr([3.0, 4, 5, 6], [1.0, 2, 3, 4], [2.0, 3, 4, 5], timeperiod=2).tolist()
        [nan, nan, 50.0, 40.0]
    """
    highs, lows, closes = as_columns(HLC, high, low, close)
    out = np.empty(highs.shape[0])
    _natr(highs, lows, closes, check_period(timeperiod), out)
    return out


@indicator(
    inputs=("close",),
    parameters=(
        period_parameter(20),
        deviation_parameter("nbdevup"),
        deviation_parameter("nbdevdn"),
    ),
    outputs=Bands._fields,
    overlay=True,
)
def bbands(
    close: ArrayLike, timeperiod: int = 20, nbdevup: float = 2.0, nbdevdn: float = 2.0
) -> Bands:
    """Bollinger bands: the SMA plus and minus a multiple of the population std deviation.

    TA-Lib's ``matype=0`` (simple moving average) is the only middle band offered.
    Warm-up: ``timeperiod - 1`` NaNs in every band.

    Example:
        >>> bands = bbands([1.0, 2.0, 3.0], timeperiod=3, nbdevup=1.0, nbdevdn=1.0)
        >>> round(float(bands.upper[2]), 6), float(bands.middle[2])
        (2.816497, 2.0)
    """
    values = as_series(close, "close")
    bands = _empty_bands(values.shape[0])
    up, down = check_finite(nbdevup, "nbdevup"), check_finite(nbdevdn, "nbdevdn")
    _bbands(values, check_period(timeperiod), up, down, bands.upper, bands.middle, bands.lower)
    return bands


@indicator(
    inputs=("high", "low"),
    parameters=(period_parameter(20),),
    outputs=Bands._fields,
    overlay=True,
    talib=False,
)
def donchian(high: ArrayLike, low: ArrayLike, timeperiod: int = 20) -> Bands:
    """Donchian channel: the highest high and lowest low of the last ``timeperiod`` bars.

    Published definition (Richard Donchian; StockCharts ChartSchool, "Price Channels"):
    upper = max(high[t-n+1..t]), lower = min(low[t-n+1..t]), middle = (upper + lower) / 2.
    The current bar is included. Warm-up: ``timeperiod - 1`` NaNs.

    Example:
        >>> donchian([3.0, 5, 4], [1.0, 2, 0], timeperiod=2).middle.tolist()
        [nan, 3.0, 2.5]
    """
    highs, lows = as_columns(("high", "low"), high, low)
    bands = _empty_bands(highs.shape[0])
    _donchian(
        highs, lows, check_period(timeperiod, minimum=1), bands.upper, bands.middle, bands.lower
    )
    return bands


@indicator(
    inputs=HLC,
    parameters=(
        period_parameter(20),
        Parameter("atr_period", "int", 10, minimum=1, maximum=100_000, description="bars"),
        deviation_parameter("multiplier"),
    ),
    outputs=Bands._fields,
    overlay=True,
    talib=False,
)
def keltner(
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    timeperiod: int = 20,
    atr_period: int = 10,
    multiplier: float = 2.0,
) -> Bands:
    """Keltner channel: an EMA of close plus and minus a multiple of the ATR.

    Published definition (Linda Raschke's version, as in StockCharts ChartSchool,
    "Keltner Channels"): middle = EMA(close, 20), upper/lower = middle ± 2 · ATR(10). The
    EMA and ATR are the ones of this library (TA-Lib's). Warm-up:
    ``max(timeperiod - 1, atr_period)`` NaNs.

    Example:
        >>> keltner([3.0, 4, 5, 6], [1.0, 2, 3, 4], [2.0, 3, 4, 5], 2, 2, 1.0).upper.tolist()
        [nan, nan, 5.5, 6.5]
    """
    highs, lows, closes = as_columns(HLC, high, low, close)
    bands = _empty_bands(highs.shape[0])
    period, width_period = check_period(timeperiod), check_period(atr_period, "atr_period", 1)
    width = check_finite(multiplier, "multiplier")
    _keltner(
        highs, lows, closes, period, width_period, width, bands.upper, bands.middle, bands.lower
    )
    return bands
