"""Numba kernels behind :mod:`quantdesk.indicators.momentum`, in TA-Lib's arithmetic.

Kernels are compiled with floating-point contraction allowed (``fastmath={"contract"}``)
and nothing else: fused multiply-adds keep NaN and infinity semantics, match TA-Lib's own
FMA-built arithmetic bit for bit, and shorten the recursive averages' dependency chains.
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
    return cast(F, njit(cache=True, nogil=True, fastmath={"contract"})(function))


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
    if mode == MIDPOINT:
        return (highest + lowest) / 2.0
    if mode == WILLIAMS:
        diff = (highest - lowest) / (-100.0)
        return (highest - close) / diff if diff != 0.0 else 0.0
    if highest - lowest <= 1e-14 * (abs(highest) + abs(lowest)):
        return 0.0  # a range of rounding noise (an RSI that has not moved) counts as empty
    return (close - lowest) / ((highest - lowest) / 100.0)


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

    Extremes come from van Herk/Gil-Werman blocks: suffix extremes of one block joined
    with running extremes of the next, three comparisons a bar whatever the period.
    """
    n = high.shape[0]
    nan_head(out, start + period - 1)
    top, bottom = np.empty(period), np.empty(period)
    for block in range(start, n - period + 1, period):
        top[period - 1], bottom[period - 1] = high[block + period - 1], low[block + period - 1]
        for j in range(period - 2, -1, -1):
            top[j] = max(high[block + j], top[j + 1])
            bottom[j] = min(low[block + j], bottom[j + 1])
        run_top, run_bottom = -np.inf, np.inf
        for i in range(block + period - 1, min(block + 2 * period - 1, n)):
            if i >= block + period:
                run_top, run_bottom = max(run_top, high[i]), min(run_bottom, low[i])
            j = i - period + 1 - block
            out[i] = _place(max(top[j], run_top), min(bottom[j], run_bottom), close[i], mode)


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
def cci_into(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int, out: FloatArray
) -> None:
    n = high.shape[0]
    start = first_valid_all(high, low, close, close)
    nan_head(out, start + period - 1)
    ring = np.empty(period)
    for i in range(start, n):
        typical = (high[i] + low[i] + close[i]) / 3
        ring[(i - start) % period] = typical
        if i < start + period - 1:
            continue
        average = 0.0
        for j in range(period):
            average += ring[j]
        average /= period
        deviation = 0.0
        for j in range(period):
            deviation += abs(ring[j] - average)
        distance = typical - average
        tie = abs(distance) <= 1e-14 * (abs(typical) + abs(average))
        if not tie and deviation != 0.0:
            out[i] = distance / (0.015 * (deviation / period))
        else:
            out[i] = 0.0


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
