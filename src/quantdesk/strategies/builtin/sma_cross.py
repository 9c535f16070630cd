"""Simple-moving-average crossover."""

from __future__ import annotations

from quantdesk.indicators.moving_averages import sma
from quantdesk.strategies.base import FloatArray
from quantdesk.strategies.crossings import MovingAverageCross
from quantdesk.strategies.registry import register


@register
class SmaCross(MovingAverageCross):
    """Trade the crossings of a fast and a slow simple moving average of the close."""

    name = "sma_cross"

    @staticmethod
    def average(close: FloatArray, timeperiod: int) -> FloatArray:
        """Return the simple moving average (TA-Lib's SMA)."""
        return sma(close, timeperiod=timeperiod)
