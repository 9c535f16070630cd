"""Numba kernels behind :mod:`quantdesk.indicators.momentum`, in TA-Lib's arithmetic.

Kernels are compiled with floating-point contraction allowed (``fastmath={"contract"}``)
and nothing else: fused multiply-adds keep NaN and infinity semantics, match TA-Lib's own
FMA-built arithmetic bit for bit, and shorten the recursive averages' dependency chains.
Division follows NumPy's error model (no ZeroDivisionError check, which would stop a
loop from vectorising); every division that can meet a zero is guarded as TA-Lib's is.
Each kernel writes into arrays NumPy allocated, which is cheaper than allocating inside.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
from numba import njit

from quantdesk.indicators._common import FloatArray, first_valid, first_valid_all, nan_head
from quantdesk.indicators.moving_averages import sma_into

F = TypeVar("F", bound=Callable[..., Any])


def fused(function: F) -> F:
    """Compile a kernel that may fuse multiply-adds (see the module docstring)."""
    return cast(
        F, njit(cache=True, nogil=True, fastmath={"contract"}, error_model="numpy")(function)
    )


def inline_fused(function: F) -> F:
    """Compile a :func:`fused` helper that Numba pastes into each kernel calling it."""
    return cast(
        F,
        njit(cache=True, nogil=True, fastmath={"contract"}, error_model="numpy", inline="always")(
            function
        ),
    )


@fused
def _rsi_ratio(gain: float, loss: float) -> float:
    total = gain + loss
    return 100.0 * (gain / total) if total != 0.0 else 0.0


@fused
def rsi_into(values: FloatArray, start: int, period: int, out: FloatArray) -> None:
    n = values.shape[0]
    first = start + period
    nan_head(out, first)
    if first >= n:
        return
    gain = 0.0
    loss = 0.0
    for i in range(start + 1, first + 1):
        change = values[i] - values[i - 1]
        if change < 0.0:
            loss -= change
        else:
            gain += change
    gain /= period
    loss /= period
    out[first] = _rsi_ratio(gain, loss)
    keep = (period - 1) / period
    part = 1.0 / period
    for i in range(first + 1, n):
        change = values[i] - values[i - 1]
        gain = gain * keep + (0.0 if change < 0.0 else change) * part
        loss = loss * keep + (-change if change < 0.0 else 0.0) * part
        out[i] = _rsi_ratio(gain, loss)


@fused
def _seed_mean(values: FloatArray, stop: int, period: int) -> float:
    total = 0.0
    for i in range(stop - period, stop):
        total += values[i]
    return total / period


@fused
def macd_into(
    values: FloatArray, fast: int, slow: int, signal: int, out: tuple[FloatArray, ...]
) -> None:
    line, trigger, histogram = out
    n = values.shape[0]
    both = first_valid(values) + slow - 1
    first = both + signal - 1
    for array in out:
        nan_head(array, first)
    if first >= n:
        return
    k_fast, k_slow, k_signal = 2.0 / (fast + 1), 2.0 / (slow + 1), 2.0 / (signal + 1)
    fast_ema = _seed_mean(values, both + 1, fast)
    slow_ema = _seed_mean(values, both + 1, slow)
    total = fast_ema - slow_ema
    for i in range(both + 1, first + 1):
        fast_ema = ((values[i] - fast_ema) * k_fast) + fast_ema
        slow_ema = ((values[i] - slow_ema) * k_slow) + slow_ema
        total += fast_ema - slow_ema
    smooth = total / signal
    line[first] = fast_ema - slow_ema
    trigger[first] = smooth
    histogram[first] = line[first] - smooth
    for i in range(first + 1, n):
        fast_ema = ((values[i] - fast_ema) * k_fast) + fast_ema
        slow_ema = ((values[i] - slow_ema) * k_slow) + slow_ema
        difference = fast_ema - slow_ema
        smooth = ((difference - smooth) * k_signal) + smooth
        line[i] = difference
        trigger[i] = smooth
        histogram[i] = difference - smooth


STOCHASTIC, WILLIAMS, MIDPOINT = 0, 1, 2


@fused
def _place(highest: float, lowest: float, close: float, mode: int) -> float:
    if mode == WILLIAMS:
        return _williams(highest, lowest, close)
    if mode == MIDPOINT:
        return _midpoint(highest, lowest, close)
    return _stochastic(highest, lowest, close)


@fused
def _stochastic(highest: float, lowest: float, close: float) -> float:
    if highest - lowest <= 1e-14 * (abs(highest) + abs(lowest)):
        return 0.0  # a range of rounding noise (an RSI that has not moved) counts as empty
    return (close - lowest) / ((highest - lowest) / 100.0)


@fused
def _williams(highest: float, lowest: float, close: float) -> float:
    span = highest - lowest
    return (close - highest) * 100.0 / span if span != 0.0 else 0.0


@fused
def _midpoint(highest: float, lowest: float, close: float) -> float:
    return (highest + lowest) / 2.0


@fused
def _suffix_extremes(
    high: FloatArray, low: FloatArray, top: FloatArray, bottom: FloatArray
) -> None:
    # top[j], bottom[j]: highest of high[j:] and lowest of low[j:] within one block.
    size = top.shape[0]
    up, down = high[size - 1], low[size - 1]
    for step in range(size):
        j = size - 1 - step
        up, down = max(up, high[j]), min(down, low[j])
        top[j], bottom[j] = up, down


@fused
def window_into(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    start: int,
    period: int,
    mode: int,
    out: FloatArray,
) -> None:
    """Place each close within its ``period``-bar high-low range (fast %K, %R or midpoint).

    Extremes come from van Herk/Gil-Werman blocks: a window joins the suffix extremes of
    the block it starts in with the running extremes of the next. One pass per block finds
    its windows' extremes and the next suffix extremes, every running value in a register
    (views spare Numba's negative-index checks); a second pass places the closes, a loop
    the compiler specialises per mode and vectorises.
    """
    n = high.shape[0]
    nan_head(out, start + period - 1)
    if start + period > n:
        return
    tops, bottoms = np.empty((3, period)), np.empty((3, period))
    _suffix_extremes(high[start : start + period], low[start : start + period], tops[0], bottoms[0])
    block, side = start + period, 0
    while block + period <= n:
        top, bottom, next_top, next_bottom = (
            tops[side],
            bottoms[side],
            tops[1 - side],
            bottoms[1 - side],
        )
        highs, lows = high[block : block + period], low[block : block + period]
        closes, target = (
            close[block - 1 : block + period - 1],
            out[block - 1 : block + period - 1],
        )
        run_up, run_down = -np.inf, np.inf
        back_up, back_down = highs[period - 1], lows[period - 1]
        for j in range(period):
            up, down = top[j], bottom[j]
            tops[2, j] = up if up > run_up else run_up
            bottoms[2, j] = down if down < run_down else run_down
            up, down = highs[j], lows[j]
            run_up = run_up if run_up > up else up
            run_down = run_down if run_down < down else down
            back = period - 1 - j
            up, down = highs[back], lows[back]
            back_up = back_up if back_up > up else up
            back_down = back_down if back_down < down else down
            next_top[back], next_bottom[back] = back_up, back_down
        for j in range(period):
            target[j] = _place(tops[2, j], bottoms[2, j], closes[j], mode)
        block, side = block + period, 1 - side
    _window_tail((high, low, close), block, (tops[side], bottoms[side]), mode, out)


@fused
def _window_tail(
    prices: tuple[FloatArray, FloatArray, FloatArray],
    block: int,
    suffix: tuple[FloatArray, FloatArray],
    mode: int,
    out: FloatArray,
) -> None:
    # The windows that start in the last whole block and end in the partial one after it.
    high, low, close = prices
    run_up, run_down = -np.inf, np.inf
    for i in range(block - 1, high.shape[0]):
        if i >= block:
            run_up, run_down = max(run_up, high[i]), min(run_down, low[i])
        j = i - block + 1
        out[i] = _place(max(suffix[0][j], run_up), min(suffix[1][j], run_down), close[i], mode)


@fused
def stoch_into(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    periods: tuple[int, int, int],
    out: tuple[FloatArray, FloatArray, FloatArray],
) -> None:
    fastk_period, slowk_period, slowd_period = periods
    fastk, slowk, slowd = out
    start = first_valid_all(high, low, close, close)
    window_into(high, low, close, start, fastk_period, STOCHASTIC, fastk)
    sma_into(fastk, start + fastk_period - 1, slowk_period, slowk)
    sma_into(slowk, start + fastk_period + slowk_period - 2, slowd_period, slowd)
    nan_head(slowk, start + fastk_period + slowk_period + slowd_period - 3)


@fused
def stochrsi_into(
    values: FloatArray,
    periods: tuple[int, int, int],
    out: tuple[FloatArray, FloatArray, FloatArray],
) -> None:
    period, fastk_period, fastd_period = periods
    strength, fastk, fastd = out
    start = first_valid(values) + period
    rsi_into(values, start - period, period, strength)
    window_into(strength, strength, strength, start, fastk_period, STOCHASTIC, fastk)
    sma_into(fastk, start + fastk_period - 1, fastd_period, fastd)
    nan_head(fastk, start + fastk_period + fastd_period - 2)


@fused
def _cci(typical: float, average: float, deviation: float, scale: float) -> float:
    distance = typical - average
    tie = abs(distance) <= 1e-14 * (abs(typical) + abs(average))
    return distance * scale / deviation if not tie and deviation != 0.0 else 0.0


@fused
def _cci_one(ring: FloatArray, typical: float, scale: float) -> float:
    period = ring.shape[0]
    total = 0.0
    for k in range(period):
        total += ring[k]
    average = total / period
    deviation = 0.0
    for k in range(period):
        deviation += abs(ring[k] - average)
    return _cci(typical, average, deviation, scale)


@fused
def _cci_lanes(ring: FloatArray, slot: int, typical: FloatArray, lanes: np.ndarray) -> int:
    # lanes[k, j]: ring slot k as bar j of the four sees it; returns the next free slot.
    period = ring.shape[0]
    for k in range(period):
        lanes[k, 0] = lanes[k, 1] = lanes[k, 2] = lanes[k, 3] = ring[k]
    for j in range(4):
        ring[slot] = typical[j]
        for later in range(j, 4):
            lanes[slot, later] = typical[j]
        slot = slot + 1 if slot + 1 < period else 0
    return slot


@fused
def cci_into(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int, out: FloatArray
) -> None:
    """Commodity channel index in TA-Lib's ring order, four bars at a time.

    The mean must be summed in TA-Lib's ring-buffer order (the deviation from it cancels
    digits), a chain of ``period`` dependent adds a bar; four bars' chains run side by side.
    """
    n = high.shape[0]
    start = first_valid_all(high, low, close, close)
    first = start + period - 1
    nan_head(out, first)
    ring, lanes, typical = np.empty(period), np.empty((period, 4)), np.empty(4)
    for i in range(start, min(first, n)):
        ring[i - start] = (high[i] + low[i] + close[i]) / 3
    scale, slot, i = period / 0.015, period - 1, first
    while i + 3 < n:
        for j in range(4):
            typical[j] = (high[i + j] + low[i + j] + close[i + j]) / 3
        slot = _cci_lanes(ring, slot, typical, lanes)
        a0 = a1 = a2 = a3 = 0.0
        for k in range(period):
            a0, a1, a2, a3 = a0 + lanes[k, 0], a1 + lanes[k, 1], a2 + lanes[k, 2], a3 + lanes[k, 3]
        a0, a1, a2, a3 = a0 / period, a1 / period, a2 / period, a3 / period
        d0 = d1 = d2 = d3 = 0.0
        for k in range(period):
            d0 += abs(lanes[k, 0] - a0)
            d1 += abs(lanes[k, 1] - a1)
            d2 += abs(lanes[k, 2] - a2)
            d3 += abs(lanes[k, 3] - a3)
        out[i], out[i + 1] = _cci(typical[0], a0, d0, scale), _cci(typical[1], a1, d1, scale)
        out[i + 2], out[i + 3] = _cci(typical[2], a2, d2, scale), _cci(typical[3], a3, d3, scale)
        i += 4
    for rest in range(i, n):
        ring[slot] = (high[rest] + low[rest] + close[rest]) / 3
        out[rest] = _cci_one(ring, ring[slot], scale)
        slot = slot + 1 if slot + 1 < period else 0


@fused
def _money_flow(typical: float, previous: float, volume: float) -> tuple[float, float]:
    """Split one bar's money flow into (positive, negative); ties within rounding count as none."""
    change = typical - previous
    flow = 0.0 if abs(change) <= 1e-14 * (abs(typical) + abs(previous)) else typical * volume
    return (0.0, flow) if change < 0.0 else (flow, 0.0)


@fused
def mfi_into(columns: tuple[FloatArray, ...], period: int, out: FloatArray) -> None:
    high, low, close, volume = columns
    n = high.shape[0]
    start = first_valid_all(high, low, close, volume)
    nan_head(out, start + period)
    positive_ring, negative_ring = np.zeros(period), np.zeros(period)
    positive = negative = 0.0
    empty_run = 0
    previous = (high[start] + low[start] + close[start]) / 3.0
    for i in range(start + 1, n):
        slot = (i - start - 1) % period
        positive -= positive_ring[slot]
        negative -= negative_ring[slot]
        typical = (high[i] + low[i] + close[i]) / 3.0
        up, down = _money_flow(typical, previous, volume[i])
        previous = typical
        positive_ring[slot], negative_ring[slot] = up, down
        positive += up
        negative += down
        empty_run = empty_run + 1 if up + down == 0.0 else 0
        if empty_run >= period:
            empty_run, positive, negative = period, 0.0, 0.0
        if i >= start + period:
            total = positive + negative
            clamped = min(max(positive, 0.0), total)
            out[i] = 100.0 * (clamped / total) if total > 0.0 else 0.0


@fused
def momentum_into(values: FloatArray, period: int, out: FloatArray) -> None:
    start, n = first_valid(values), values.shape[0]
    nan_head(out, start + period)
    current, before, target = (
        values[start + period :],
        values[start : n - period],
        out[start + period :],
    )
    for i in range(target.shape[0]):
        target[i] = current[i] - before[i]


@fused
def rate_into(values: FloatArray, period: int, out: FloatArray) -> None:
    start, n = first_valid(values), values.shape[0]
    nan_head(out, start + period)
    current, before, target = (
        values[start + period :],
        values[start : n - period],
        out[start + period :],
    )
    for i in range(target.shape[0]):
        target[i] = (current[i] / before[i] - 1.0) * 100.0 if before[i] != 0.0 else 0.0
