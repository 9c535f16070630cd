"""Causal helpers on series: a value some bars back, and rolling highs and lows.

Each result at bar *i* reads bars up to *i* only, with NaN where there is not yet enough
history, so strategies built from them pass the look-ahead check by construction.
"""

from __future__ import annotations

import numpy as np

from quantdesk.errors import ValidationError
from quantdesk.indicators.volatility import donchian
from quantdesk.strategies.base import FloatArray


def previous(values: FloatArray, bars: int = 1) -> FloatArray:
    """Return ``values`` delayed by ``bars``: bar *i* holds bar *i - bars*, NaN before.

    Example:
        >>> previous(np.array([1.0, 2.0, 3.0])).tolist()
        [nan, 1.0, 2.0]
    """
    if bars < 1:
        raise ValidationError(f"previous needs bars of 1 or more, got {bars}; 0 is the series")
    series = np.asarray(values, dtype=np.float64)
    out = np.full(series.shape[0], np.nan)
    out[bars:] = series[: max(series.shape[0] - bars, 0)]
    return out


def highest(values: FloatArray, bars: int) -> FloatArray:
    """Return the highest value of the last ``bars`` bars, this one included.

    Warm-up: the first ``bars - 1`` values after the series' own leading NaNs are NaN.

    Example:
        >>> highest(np.array([1.0, 3.0, 2.0, 0.0]), 2).tolist()
        [nan, 3.0, 3.0, 2.0]
    """
    series = np.asarray(values, dtype=np.float64)
    return donchian(series, series, timeperiod=_window(bars, "highest")).upper


def lowest(values: FloatArray, bars: int) -> FloatArray:
    """Return the lowest value of the last ``bars`` bars, this one included.

    Example:
        >>> lowest(np.array([1.0, 3.0, 2.0, 0.0]), 2).tolist()
        [nan, 1.0, 2.0, 0.0]
    """
    series = np.asarray(values, dtype=np.float64)
    return donchian(series, series, timeperiod=_window(bars, "lowest")).lower


def _window(bars: int, name: str) -> int:
    if bars < 1:
        raise ValidationError(f"{name} needs a window of 1 bar or more, got {bars}")
    return int(bars)
