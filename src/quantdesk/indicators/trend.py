"""Trend indicators: ADX and the directional indicators, parabolic SAR, Supertrend, Ichimoku.

ADX, +DI, -DI and SAR follow TA-Lib's names, defaults, warm-up and arithmetic (Wilder's
smoothing, seeded with plain sums; SAR's first-bar direction and extreme point), so they
agree with TA-Lib to rounding. Supertrend and Ichimoku, which TA-Lib lacks, follow their
published definitions; every output is aligned to the bar it is computed on, so none of
them looks ahead. The kernels live in :mod:`quantdesk.indicators._trend_kernels`.
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
)
from quantdesk.indicators._momentum_kernels import MIDPOINT, window_into
from quantdesk.indicators._trend_kernels import adx_into, di_into, sar_into, supertrend_into
from quantdesk.indicators.momentum import HLC, hlc_columns, int_parameter
from quantdesk.indicators.moving_averages import period_parameter
from quantdesk.indicators.registry import Parameter, indicator

# ------------------------------------------------------------------------ public API


def _check_factor(value: float, name: str) -> float:
    number = check_finite(value, name)
    if number < 0.0:
        raise ValidationError(f"{name} must be at least 0, got {value!r}")
    return number


def _directional(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int, minus: bool
) -> FloatArray:
    columns = hlc_columns(high, low, close)
    out = np.empty_like(columns[0])
    di_into(*columns, check_period(period), minus, out)
    return out


@indicator(inputs=HLC, parameters=(period_parameter(14),), overlay=False)
def plus_di(high: ArrayLike, low: ArrayLike, close: ArrayLike, timeperiod: int = 14) -> FloatArray:
    """Plus directional indicator (Wilder, 1978): smoothed upward movement per unit of range.

    ``100 * +DM / TR``, both Wilder-smoothed over ``timeperiod`` bars and seeded with the
    plain sum of the first ``timeperiod - 1`` values; 0 where the smoothed range is 0.
    Warm-up: ``timeperiod`` NaNs.

    Example:
        >>> plus_di([2.0, 3, 4, 5], [1.0, 2, 3, 4], [1.5, 2.5, 3.5, 4.5], 2)[2:].round(2).tolist()
        [66.67, 66.67]
    """
    return _directional(high, low, close, timeperiod, minus=False)


@indicator(inputs=HLC, parameters=(period_parameter(14),), overlay=False)
def minus_di(high: ArrayLike, low: ArrayLike, close: ArrayLike, timeperiod: int = 14) -> FloatArray:
    """Minus directional indicator (Wilder, 1978): smoothed downward movement per unit of range.

    ``100 * -DM / TR`` with the same smoothing and warm-up as :func:`plus_di`.

    Example:
        >>> minus_di([5.0, 4, 3, 2], [4.0, 3, 2, 1], [4.5, 3.5, 2.5, 1.5], 2)[2:].round(2).tolist()
        [66.67, 66.67]
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
    columns = hlc_columns(high, low, close)
    out = np.empty_like(columns[0])
    adx_into(*columns, check_period(timeperiod), out)
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
    highs, lows = as_columns(("high", "low"), high, low)
    step = _check_factor(acceleration, "acceleration")
    cap = _check_factor(maximum, "maximum")
    out = np.empty_like(highs)
    sar_into(highs, lows, step, cap, out)
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
        >>> high, low, close = [2.0, 3, 4, 5, 6], [1.0, 2, 3, 4, 5], [1.5, 2.5, 3.5, 4.5, 5.5]
        >>> result = supertrend(high, low, close, 1, 1.0)
        >>> result.direction.tolist(), result.value.tolist()
        ([nan, -1.0, -1.0, 1.0, 1.0], [nan, 4.0, 4.0, 3.0, 4.0])
    """
    columns = hlc_columns(high, low, close)
    out = (np.empty_like(columns[0]), np.empty_like(columns[0]))
    factor = check_finite(multiplier, "multiplier")
    supertrend_into(columns, check_period(timeperiod, minimum=1), factor, out)
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
        ([2.5, 3.5], [3.5, 4.5, 5.5])
    """
    columns = hlc_columns(high, low, close)
    periods = (
        check_period(tenkan_period, "tenkan_period", 1),
        check_period(kijun_period, "kijun_period", 1),
        check_period(senkou_period, "senkou_period", 1),
    )
    check_period(displacement, "displacement", 0)
    start = first_valid_all(*columns, columns[2])
    lines = [np.empty_like(columns[0]) for _ in periods]
    for period, line in zip(periods, lines, strict=True):
        window_into(*columns, start, period, MIDPOINT, line)
    tenkan, kijun, senkou_b = lines
    return Ichimoku(tenkan, kijun, (tenkan + kijun) / 2.0, senkou_b, columns[2].copy())
