"""Technical indicators as fast NumPy/Numba kernels, with TA-Lib's names and warm-up.

Every indicator is a plain function on arrays that returns float64 arrays of the input's
length, NaN during warm-up; multi-output indicators return a named tuple
(``macd(close).signal``). Importing this package imports every family module, which fills
the registry that the API, strategies and the dashboard read.

Example:
    >>> import numpy as np
    >>> from quantdesk import indicators
    >>> indicators.sma(np.arange(5.0), timeperiod=3).tolist()
    [nan, nan, 1.0, 2.0, 3.0]
    >>> sorted(spec.name for spec in indicators.available())[:3]
    ['adx', 'atr', 'bbands']
"""

from quantdesk.indicators._common import MACD, Bands, Ichimoku, Stochastic, Supertrend
from quantdesk.indicators.momentum import cci, macd, mfi, mom, roc, rsi, stoch, stochrsi, willr
from quantdesk.indicators.moving_averages import dema, ema, kama, sma, tema, wma
from quantdesk.indicators.registry import (
    IndicatorSpec,
    Parameter,
    available,
    compute,
    get,
    indicator,
)
from quantdesk.indicators.trend import adx, ichimoku, minus_di, plus_di, sar, supertrend
from quantdesk.indicators.volatility import atr, bbands, donchian, keltner, natr
from quantdesk.indicators.volume import obv, session_vwap, vwap

__all__ = [
    "MACD",
    "Bands",
    "Ichimoku",
    "IndicatorSpec",
    "Parameter",
    "Stochastic",
    "Supertrend",
    "adx",
    "atr",
    "available",
    "bbands",
    "cci",
    "compute",
    "dema",
    "donchian",
    "ema",
    "get",
    "ichimoku",
    "indicator",
    "kama",
    "keltner",
    "macd",
    "mfi",
    "minus_di",
    "mom",
    "natr",
    "obv",
    "plus_di",
    "roc",
    "rsi",
    "sar",
    "session_vwap",
    "sma",
    "stoch",
    "stochrsi",
    "supertrend",
    "tema",
    "vwap",
    "willr",
    "wma",
]
