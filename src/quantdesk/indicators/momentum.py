"""Momentum oscillators: RSI, MACD, stochastics, CCI, Williams %R, MFI, ROC and momentum.

Each function carries TA-Lib's name, parameter names, defaults and warm-up (leading NaNs),
and its kernel repeats TA-Lib's arithmetic: Wilder's smoothing seeded with a plain average,
MACD's fast EMA seeded so both EMAs finish their warm-up on the same bar, running-sum SMAs
for the stochastic lines. Results agree with TA-Lib to rounding, NaN for NaN.

The kernels live in :mod:`quantdesk.indicators._momentum_kernels`.
"""

from __future__ import annotations

import numpy as np

from quantdesk.errors import ValidationError
from quantdesk.indicators._common import (
    MACD,
    ArrayLike,
    FloatArray,
    Stochastic,
    as_columns,
    as_series,
    check_period,
    first_valid,
    first_valid_all,
)
from quantdesk.indicators._momentum_kernels import (
    WILLIAMS,
    cci_into,
    macd_into,
    mfi_into,
    momentum_into,
    rate_into,
    rsi_into,
    stoch_into,
    stochrsi_into,
    window_into,
)
from quantdesk.indicators.moving_averages import period_parameter
from quantdesk.indicators.registry import Input, Parameter, indicator

HLC: tuple[Input, Input, Input] = ("high", "low", "close")
Columns3 = tuple[FloatArray, FloatArray, FloatArray]


def hlc_columns(high: ArrayLike, low: ArrayLike, close: ArrayLike) -> Columns3:
    """High, low and close as float64 arrays of one length."""
    first, second, third = as_columns(HLC, high, low, close)
    return first, second, third


def int_parameter(name: str, default: int, minimum: int, description: str) -> Parameter:
    """An integer parameter with TA-Lib's upper bound of 100 000."""
    return Parameter(
        name, "int", default, minimum=minimum, maximum=100_000, description=description
    )


def matype_parameter(name: str) -> Parameter:
    """A TA-Lib moving-average type; only 0 (simple) is supported."""
    return Parameter(name, "int", 0, minimum=0, maximum=0, description="0 = simple moving average")


def check_matype(value: int, name: str) -> None:
    """Refuse MA types other than TA-Lib's 0 (SMA), naming the supported value."""
    if value != 0:
        raise ValidationError(f"{name} must be 0 (simple moving average); got {value!r}")


# ------------------------------------------------------------------------ public API


@indicator(inputs=("close",), parameters=(period_parameter(14),), overlay=False)
def rsi(close: ArrayLike, timeperiod: int = 14) -> FloatArray:
    """Relative strength index: Wilder-smoothed gains as a share of gains plus losses, 0-100.

    Warm-up: ``timeperiod`` NaNs (one bar of change is needed per period). The averages
    are seeded with the plain mean of the first ``timeperiod`` changes, then smoothed as
    ``avg = (avg * (timeperiod - 1) + change) / timeperiod`` (Wilder, 1978). A window with
    no movement at all reads 0, as in TA-Lib.

    Example:
        >>> rsi([1.0, 2.0, 3.0, 2.0, 3.0], timeperiod=2)[2:].round(2).tolist()
        [100.0, 50.0, 75.0]
    """
    values = as_series(close, "close")
    out = np.empty_like(values)
    rsi_into(values, first_valid(values), check_period(timeperiod), out)
    return out


@indicator(
    inputs=("close",),
    parameters=(
        int_parameter("fastperiod", 12, 2, "bars of the fast EMA"),
        int_parameter("slowperiod", 26, 2, "bars of the slow EMA"),
        int_parameter("signalperiod", 9, 1, "bars of the signal EMA"),
    ),
    outputs=MACD._fields,
    overlay=False,
)
def macd(
    close: ArrayLike, fastperiod: int = 12, slowperiod: int = 26, signalperiod: int = 9
) -> MACD:
    """Moving average convergence/divergence: fast EMA minus slow EMA, its EMA and the gap.

    As in TA-Lib, the periods are swapped if ``fastperiod > slowperiod``, both EMAs are
    seeded with a plain mean ending on bar ``slowperiod - 1`` (so the fast one starts late
    and both finish their warm-up together), and all three lines start after
    ``slowperiod + signalperiod - 2`` NaNs.

    Example:
        >>> result = macd(np.arange(40.0), 3, 6, 2)
        >>> float(result.macd[-1]), float(result.histogram[-1])
        (1.5, 0.0)
    """
    values = as_series(close, "close")
    fast, slow = check_period(fastperiod, "fastperiod"), check_period(slowperiod, "slowperiod")
    fast, slow = min(fast, slow), max(fast, slow)
    out = MACD(np.empty_like(values), np.empty_like(values), np.empty_like(values))
    macd_into(values, fast, slow, check_period(signalperiod, "signalperiod", 1), tuple(out))
    return out


@indicator(
    inputs=HLC,
    parameters=(
        int_parameter("fastk_period", 5, 1, "bars of the high-low window"),
        int_parameter("slowk_period", 3, 1, "bars of the SMA that smooths fast %K"),
        matype_parameter("slowk_matype"),
        int_parameter("slowd_period", 3, 1, "bars of the SMA of slow %K"),
        matype_parameter("slowd_matype"),
    ),
    outputs=Stochastic._fields,
    overlay=False,
)
def stoch(
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    fastk_period: int = 5,
    slowk_period: int = 3,
    slowk_matype: int = 0,
    slowd_period: int = 3,
    slowd_matype: int = 0,
) -> Stochastic:
    """Slow stochastic oscillator: where the close sits in the recent high-low range, 0-100.

    Fast %K is ``100 * (close - lowest low) / (highest high - lowest low)`` over
    ``fastk_period`` bars (0 when the range is empty); ``k`` is its SMA over
    ``slowk_period`` and ``d`` the SMA of ``k`` over ``slowd_period``. Only simple moving
    averages (TA-Lib ``matype`` 0) are supported. Warm-up:
    ``fastk_period + slowk_period + slowd_period - 3`` NaNs on both lines.

    Example:
        >>> result = stoch([3.0, 4, 5, 6, 7], [1.0, 2, 3, 4, 5], [2.0, 3, 4, 5, 6], 2, 1, 0, 1)
        >>> result.k.tolist()[1:]
        [66.66666666666667, 66.66666666666667, 66.66666666666667, 66.66666666666667]
    """
    check_matype(slowk_matype, "slowk_matype")
    check_matype(slowd_matype, "slowd_matype")
    columns = hlc_columns(high, low, close)
    periods = (
        check_period(fastk_period, "fastk_period", 1),
        check_period(slowk_period, "slowk_period", 1),
        check_period(slowd_period, "slowd_period", 1),
    )
    out = (np.empty_like(columns[0]), np.empty_like(columns[0]), np.empty_like(columns[0]))
    stoch_into(*columns, periods, out)
    return Stochastic(out[1], out[2])


@indicator(
    inputs=("close",),
    parameters=(
        period_parameter(14),
        int_parameter("fastk_period", 5, 1, "bars of the RSI high-low window"),
        int_parameter("fastd_period", 3, 1, "bars of the SMA of %K"),
        matype_parameter("fastd_matype"),
    ),
    outputs=Stochastic._fields,
    overlay=False,
)
def stochrsi(
    close: ArrayLike,
    timeperiod: int = 14,
    fastk_period: int = 5,
    fastd_period: int = 3,
    fastd_matype: int = 0,
) -> Stochastic:
    """Stochastic RSI (Chande and Kroll, 1994): the fast stochastic of the RSI, 0-100.

    ``k`` is where the RSI sits within its own range over ``fastk_period`` bars and ``d``
    its SMA over ``fastd_period`` (TA-Lib's fastk/fastd; ``matype`` 0 only). Warm-up:
    ``timeperiod + fastk_period + fastd_period - 2`` NaNs on both lines.

    Example:
        >>> result = stochrsi(np.sin(np.arange(60.0) / 3), 5, 5, 3)
        >>> int(np.isnan(result.k).sum())
        11
    """
    check_matype(fastd_matype, "fastd_matype")
    values = as_series(close, "close")
    periods = (
        check_period(timeperiod),
        check_period(fastk_period, "fastk_period", 1),
        check_period(fastd_period, "fastd_period", 1),
    )
    out = (np.empty_like(values), np.empty_like(values), np.empty_like(values))
    stochrsi_into(values, periods, out)
    return Stochastic(out[1], out[2])


@indicator(inputs=HLC, parameters=(period_parameter(14),), overlay=False)
def cci(high: ArrayLike, low: ArrayLike, close: ArrayLike, timeperiod: int = 14) -> FloatArray:
    """Commodity channel index (Lambert, 1980): typical price's distance from its mean.

    ``(tp - mean(tp)) / (0.015 * mean(|tp - mean(tp)|))`` over ``timeperiod`` bars, with
    ``tp = (high + low + close) / 3``; 0 when either part is zero. Warm-up:
    ``timeperiod - 1`` NaNs.

    Example:
        >>> round(float(cci([2.0, 3, 4], [0.0, 1, 2], [1.0, 2, 3], 3)[2]), 9)
        100.0
    """
    columns = hlc_columns(high, low, close)
    out = np.empty_like(columns[0])
    cci_into(*columns, check_period(timeperiod), out)
    return out


@indicator(inputs=HLC, parameters=(period_parameter(14),), overlay=False)
def willr(high: ArrayLike, low: ArrayLike, close: ArrayLike, timeperiod: int = 14) -> FloatArray:
    """Williams %R: how far the close sits below the recent highest high, -100 to 0.

    ``-100 * (highest - close) / (highest - lowest)`` over ``timeperiod`` bars; 0 when the
    range is empty. Warm-up: ``timeperiod - 1`` NaNs.

    Example:
        >>> willr([3.0, 4.0], [1.0, 2.0], [2.0, 2.5], 2).tolist()
        [nan, -50.0]
    """
    columns = hlc_columns(high, low, close)
    out = np.empty_like(columns[0])
    start = first_valid_all(*columns, columns[2])
    window_into(*columns, start, check_period(timeperiod), WILLIAMS, out)
    return out


@indicator(
    inputs=("high", "low", "close", "volume"), parameters=(period_parameter(14),), overlay=False
)
def mfi(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, volume: ArrayLike, timeperiod: int = 14
) -> FloatArray:
    """Money flow index: volume-weighted RSI of the typical price, 0-100.

    Money flow is ``typical price * volume``; it counts as positive when the typical price
    rose, negative when it fell and not at all when it is unchanged (within rounding).
    The result is ``100 * positive / (positive + negative)`` over ``timeperiod`` bars, 0
    for a window without flow. Warm-up: ``timeperiod`` NaNs.

    Example:
        >>> high, low, close = [2.0, 3, 2, 3], [1.0, 2, 1, 2], [1.5, 2.5, 1.5, 2.5]
        >>> mfi(high, low, close, [1.0, 1, 1, 1], 2)[2:].tolist()
        [62.5, 62.5]
    """
    columns = as_columns(("high", "low", "close", "volume"), high, low, close, volume)
    out = np.empty_like(columns[0])
    mfi_into(columns, check_period(timeperiod), out)
    return out


@indicator(inputs=("close",), parameters=(period_parameter(10, minimum=1),), overlay=False)
def roc(close: ArrayLike, timeperiod: int = 10) -> FloatArray:
    """Rate of change in percent: ``(close / close[timeperiod bars ago] - 1) * 100``.

    0 where the earlier value is 0. Warm-up: ``timeperiod`` NaNs.

    Example:
        >>> roc([100.0, 110.0, 99.0], 1)[1:].round(6).tolist()
        [10.0, -10.0]
    """
    values = as_series(close, "close")
    out = np.empty_like(values)
    rate_into(values, check_period(timeperiod, minimum=1), out)
    return out


@indicator(inputs=("close",), parameters=(period_parameter(10, minimum=1),), overlay=False)
def mom(close: ArrayLike, timeperiod: int = 10) -> FloatArray:
    """Momentum: ``close - close[timeperiod bars ago]``, in price units.

    Warm-up: ``timeperiod`` NaNs.

    Example:
        >>> mom([1.0, 4.0, 9.0], 1).tolist()
        [nan, 3.0, 5.0]
    """
    values = as_series(close, "close")
    out = np.empty_like(values)
    momentum_into(values, check_period(timeperiod, minimum=1), out)
    return out
