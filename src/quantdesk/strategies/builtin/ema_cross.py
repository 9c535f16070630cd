"""Exponential-moving-average crossover."""

from __future__ import annotations

from quantdesk.indicators.moving_averages import ema
from quantdesk.strategies.base import FloatArray
from quantdesk.strategies.crossings import MovingAverageCross
from quantdesk.strategies.registry import register


@register
class EmaCross(MovingAverageCross):
    """Trade the crossings of a fast and a slow exponential moving average of the close."""

    name = "ema_cross"

    @staticmethod
    def average(close: FloatArray, timeperiod: int) -> FloatArray:
        """Return the exponential moving average (TA-Lib's EMA, seeded with an SMA)."""
        return ema(close, timeperiod=timeperiod)
