"""Moving averages: SMA, EMA, WMA, DEMA, TEMA and KAMA, as TA-Lib computes them.

Each kernel follows TA-Lib's algorithm (SMA-seeded EMA, Wilder-free smoothing constants,
KAMA's efficiency ratio) and its warm-up. Where TA-Lib's exact order of operations is the
slow part, an algebraically equal form with a shorter dependency chain is used and the
result stays within 1e-12 relative of TA-Lib (tests hold it to 1e-9): ``sma`` and ``wma``
use running sums re-summed every ``RESYNC`` bars, ``ema`` one FMA per bar. The
``*_into`` kernels reproduce TA-Lib bit for bit and are what other families build on
where values are subtracted (MACD, Bollinger variance, stochastics).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from quantdesk.indicators._common import (
    ArrayLike,
    FloatArray,
    as_series,
    check_period,
    first_valid,
    fma,
    inline_kernel,
    kernel,
    nan_head,
)
from quantdesk.indicators.registry import Parameter, indicator

TA_EPSILON = 1e-14  # TA-Lib's TA_IS_ZERO band (ta_utility.h, 0.7+)
RESYNC = 1024  # bars between exact re-sums of a running window sum


def period_parameter(default: int, minimum: int = 2) -> Parameter:
    """The ``timeperiod`` parameter with TA-Lib's bounds."""
    return Parameter(
        "timeperiod", "int", default, minimum=minimum, maximum=100_000, description="bars"
    )


@kernel
def sma_into(values: FloatArray, start: int, period: int, out: FloatArray) -> None:
    """Write TA-Lib's SMA of ``values[start:]`` into ``out`` bit for bit (NaN before).

    TA-Lib's running sum: add the newest value, divide, then drop the oldest.
    """
    n = values.shape[0]
    lookback = start + period - 1
    nan_head(out, lookback)
    if lookback >= n:
        return
    total = 0.0
    for i in range(start, lookback):
        total += values[i]
    newest, oldest, target = values[lookback:], values[start:], out[lookback:]
    for j in range(n - lookback):
        total += newest[j]
        target[j] = total / period
        total -= oldest[j]


@kernel
def ema_into(values: FloatArray, start: int, period: int, k: float, out: FloatArray) -> None:
    """Write TA-Lib's EMA of ``values[start:]`` into ``out``, bit for bit.

    Seeded with the SMA of the first ``period`` values, then ``fma(x - ema, k, ema)`` as
    TA-Lib's FMA build computes it.
    """
    n = values.shape[0]
    lookback = start + period - 1
    nan_head(out, lookback)
    if lookback >= n:
        return
    previous = _seed(values, start, period)
    out[lookback] = previous
    for i in range(lookback + 1, n):
        previous = fma(values[i] - previous, k, previous)
        out[i] = previous


@kernel
def _seed(values: FloatArray, start: int, period: int) -> float:
    total = 0.0
    for i in range(start, start + period):
        total += values[i]
    return total / period


@inline_kernel
def window_sum(values: FloatArray, first: int, period: int) -> float:
    """Sum ``values[first : first + period]`` in order: how every running sum is re-summed."""
    total = 0.0
    for i in range(first, first + period):
        total += values[i]
    return total


@kernel
def simple_moving_average(values: FloatArray, period: int, out: FloatArray) -> None:
    """Write ``sma(values, period)`` into ``out``: the kernel behind the public ``sma``.

    One add per bar (the window's change), re-summed exactly every RESYNC bars, so it does
    not drift on long series; within 1e-11 of TA-Lib's running sum, which does.
    """
    n = values.shape[0]
    lookback = first_valid(values) + period - 1
    nan_head(out, lookback)
    inverse = 1.0 / period
    for block in range(lookback, n, RESYNC):
        total = window_sum(values, block - period + 1, period)
        out[block] = total * inverse
        stop = min(block + RESYNC, n)
        newest, oldest = values[block + 1 : stop], values[block + 1 - period : stop - period]
        target = out[block + 1 : stop]
        for j in range(stop - block - 1):
            total += newest[j] - oldest[j]
            target[j] = total * inverse


@kernel
def _ema(values: FloatArray, period: int, out: FloatArray) -> None:
    # ema·(1-k) + k·x is one FMA deep (TA-Lib's form is two); the recursion is
    # contractive, so the difference from TA-Lib stays at a few ulps.
    n = values.shape[0]
    start = first_valid(values)
    lookback = start + period - 1
    nan_head(out, lookback)
    if lookback >= n:
        return
    previous = _seed(values, start, period)
    out[lookback] = previous
    k = 2.0 / (period + 1)
    keep = 1.0 - k
    for i in range(lookback + 1, n):
        previous = fma(previous, keep, k * values[i])
        out[i] = previous


@kernel
def _wma(values: FloatArray, period: int, out: FloatArray) -> None:
    n = values.shape[0]
    lookback = first_valid(values) + period - 1
    nan_head(out, lookback)
    inverse = 1.0 / ((period * (period + 1)) >> 1)
    for block in range(lookback, n, RESYNC):
        plain, weighted = 0.0, 0.0
        for j in range(period):
            plain += values[block - period + 1 + j]
            weighted += values[block - period + 1 + j] * (j + 1)
        out[block] = weighted * inverse
        stop = min(block + RESYNC, n)
        newest, oldest = values[block + 1 : stop], values[block + 1 - period : stop - period]
        target = out[block + 1 : stop]
        for j in range(stop - block - 1):
            weighted += newest[j] * period - plain
            plain += newest[j] - oldest[j]
            target[j] = weighted * inverse


@kernel
def _dema(values: FloatArray, period: int, out: FloatArray) -> None:
    n = values.shape[0]
    start = first_valid(values)
    lookback = start + 2 * (period - 1)
    nan_head(out, lookback)
    if lookback >= n:
        return
    k = 2.0 / (period + 1)
    first = _seed(values, start, period)
    total = first
    for i in range(start + period, lookback + 1):
        first = fma(values[i] - first, k, first)
        total += first
    second = total / period
    out[lookback] = 2.0 * first - second
    for i in range(lookback + 1, n):
        first = fma(values[i] - first, k, first)
        second = fma(first - second, k, second)
        out[i] = 2.0 * first - second


@kernel
def _tema(values: FloatArray, period: int, out: FloatArray) -> None:
    n = values.shape[0]
    start = first_valid(values)
    lookback = start + 3 * (period - 1)
    nan_head(out, lookback)
    if lookback >= n:
        return
    k = 2.0 / (period + 1)
    first = _seed(values, start, period)
    total = first
    for i in range(start + period, start + 2 * period - 1):
        first = fma(values[i] - first, k, first)
        total += first
    second = total / period
    total = second
    for i in range(start + 2 * period - 1, lookback + 1):
        first = fma(values[i] - first, k, first)
        second = fma(first - second, k, second)
        total += second
    third = total / period
    out[lookback] = third + (3.0 * first - 3.0 * second)
    for i in range(lookback + 1, n):
        first = fma(values[i] - first, k, first)
        second = fma(first - second, k, second)
        third = fma(second - third, k, third)
        out[i] = third + (3.0 * first - 3.0 * second)


@kernel
def _kama(values: FloatArray, period: int, out: FloatArray) -> None:
    # TA-Lib's KAMA. The path length (sum of |changes| over the window) moves by one add
    # per bar and is re-summed every RESYNC bars; kama·(1-c) + c·x keeps the recursion one
    # FMA deep. Both stay within a few ulps of TA-Lib.
    n = values.shape[0]
    start = first_valid(values)
    lookback = start + period
    nan_head(out, lookback)
    if lookback >= n:
        return
    slowest = 2.0 / (30.0 + 1.0)
    spread = 2.0 / (2.0 + 1.0) - slowest
    previous = values[lookback - 1]
    for block in range(lookback, n, RESYNC):
        path = 0.0
        for i in range(block - period, block):
            path += abs(values[i] - values[i + 1])
        stop = min(block + RESYNC, n)
        newest, oldest = values[block:stop], values[block - period : stop - period]
        for j in range(stop - block):
            if j > 0:
                path += abs(newest[j] - newest[j - 1]) - abs(oldest[j - 1] - oldest[j])
            change = newest[j] - oldest[j]
            if path <= change or -TA_EPSILON < path < TA_EPSILON:
                factor = 1.0
            else:
                factor = abs(change / path)
            factor = fma(factor, spread, slowest)
            factor *= factor
            previous = fma(previous, 1.0 - factor, factor * newest[j])
            out[block + j] = previous


def _run(
    function: Callable[[FloatArray, int, FloatArray], None], close: ArrayLike, timeperiod: int
) -> FloatArray:
    # NumPy allocates the output: it asks for huge pages, Numba's allocator does not.
    values = as_series(close, "close")
    out = np.empty(values.shape[0])
    function(values, check_period(timeperiod), out)
    return out


@indicator(inputs=("close",), parameters=(period_parameter(30),), overlay=True)
def sma(close: ArrayLike, timeperiod: int = 30) -> FloatArray:
    """Simple moving average: the mean of the last ``timeperiod`` values.

    Warm-up: the first ``timeperiod - 1`` values are NaN (after any leading NaNs).

    Example:
        >>> sma([1.0, 2.0, 3.0, 4.0], timeperiod=2).tolist()
        [nan, 1.5, 2.5, 3.5]
    """
    return _run(simple_moving_average, close, timeperiod)


@indicator(inputs=("close",), parameters=(period_parameter(30),), overlay=True)
def ema(close: ArrayLike, timeperiod: int = 30) -> FloatArray:
    """Exponential moving average with ``k = 2 / (timeperiod + 1)``, seeded with an SMA.

    TA-Lib's default compatibility: the first value is the SMA of the first ``timeperiod``
    inputs, so the warm-up is ``timeperiod - 1`` NaNs.

    Example:
        >>> ema([1.0, 2.0, 3.0, 4.0], timeperiod=3).tolist()
        [nan, nan, 2.0, 3.0]
    """
    return _run(_ema, close, timeperiod)


@indicator(inputs=("close",), parameters=(period_parameter(30),), overlay=True)
def wma(close: ArrayLike, timeperiod: int = 30) -> FloatArray:
    """Linearly weighted moving average: the newest value weighs ``timeperiod``, the oldest 1.

    Warm-up: ``timeperiod - 1`` NaNs.

    Example:
        >>> wma([3.0, 6.0, 9.0], timeperiod=3).tolist()[2]
        7.0
    """
    return _run(_wma, close, timeperiod)


@indicator(inputs=("close",), parameters=(period_parameter(30),), overlay=True)
def dema(close: ArrayLike, timeperiod: int = 30) -> FloatArray:
    """Double EMA, ``2·EMA - EMA(EMA)``: less lag than an EMA of the same period.

    Warm-up: ``2 · (timeperiod - 1)`` NaNs.

    Example:
        >>> int(np.isnan(dema(np.arange(20.0), timeperiod=5)).sum())
        8
    """
    return _run(_dema, close, timeperiod)


@indicator(inputs=("close",), parameters=(period_parameter(30),), overlay=True)
def tema(close: ArrayLike, timeperiod: int = 30) -> FloatArray:
    """Triple EMA, ``3·EMA - 3·EMA(EMA) + EMA(EMA(EMA))``: lag cut further than DEMA.

    Warm-up: ``3 · (timeperiod - 1)`` NaNs.

    Example:
        >>> int(np.isnan(tema(np.arange(20.0), timeperiod=5)).sum())
        12
    """
    return _run(_tema, close, timeperiod)


@indicator(inputs=("close",), parameters=(period_parameter(30),), overlay=True)
def kama(close: ArrayLike, timeperiod: int = 30) -> FloatArray:
    """Kaufman adaptive moving average: fast (2-bar) in trends, slow (30-bar) in noise.

    The efficiency ratio over ``timeperiod`` bars scales the smoothing constant, as in
    TA-Lib (which treats a path length within 1e-14 of zero as a perfect trend).
    Warm-up: ``timeperiod`` NaNs.

    Example:
        >>> int(np.isnan(kama(np.arange(40.0), timeperiod=10)).sum())
        10
    """
    return _run(_kama, close, timeperiod)
