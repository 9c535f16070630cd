"""Crossings of two series and the moving-average crossover that the built-ins share."""

from __future__ import annotations

from abc import abstractmethod

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from quantdesk.bars import Bars
from quantdesk.indicators._common import kernel
from quantdesk.strategies.base import BoolArray, FloatArray, Signals, Strategy


@kernel
def _crossings(a: FloatArray, b: FloatArray, up: BoolArray, down: BoolArray) -> None:
    # NaN compares False, so a crossing needs both series valid on both bars
    for i in range(1, a.shape[0]):
        valid = a[i] == a[i] and b[i] == b[i] and a[i - 1] == a[i - 1] and b[i - 1] == b[i - 1]
        up[i] = valid and a[i] > b[i] and a[i - 1] <= b[i - 1]
        down[i] = valid and a[i] < b[i] and a[i - 1] >= b[i - 1]


def crossings(a: FloatArray, b: FloatArray) -> tuple[BoolArray, BoolArray]:
    """Return where ``a`` crosses above and below ``b``.

    ``a`` crosses above at bar *i* when ``a[i] > b[i]`` and ``a[i-1] <= b[i-1]`` (below is the
    mirror image). Bars where either series is NaN, or was NaN one bar earlier, never cross,
    so nothing fires during an indicator's warm-up. Bar 0 never crosses.
    """
    first = np.ascontiguousarray(a, dtype=np.float64)
    second = np.ascontiguousarray(b, dtype=np.float64)
    up = np.zeros(first.shape[0], np.bool_)
    down = np.zeros(first.shape[0], np.bool_)
    _crossings(first, second, up, down)
    return up, down


class CrossParameters(BaseModel):
    """Two moving-average periods; the fast one must be the shorter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fast: int = Field(10, ge=2, le=10_000, description="Period of the fast moving average, in bars")
    slow: int = Field(30, ge=3, le=10_000, description="Period of the slow moving average, in bars")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> CrossParameters:
        if self.fast >= self.slow:
            raise ValueError(
                f"fast ({self.fast}) must be below slow ({self.slow}); swap them or shorten fast"
            )
        return self


class MovingAverageCross(Strategy[CrossParameters]):
    """Go long when the fast average crosses above the slow one, leave when it crosses below.

    With shorts allowed the mirror image holds: a cross below opens a short and a cross
    above closes it. The first possible signal is at bar ``slow``: both averages need
    ``slow`` bars to exist on two consecutive bars.
    """

    Parameters = CrossParameters

    @staticmethod
    @abstractmethod
    def average(close: FloatArray, timeperiod: int) -> FloatArray:
        """Return the moving average of ``close`` with TA-Lib's leading NaNs."""

    @property
    def warmup(self) -> int:
        """Return ``slow``: the index of the first bar that can carry a crossing."""
        return self.params.slow

    def signals(self, bars: Bars) -> Signals:
        """Cross above: enter long and leave short; cross below: leave long and enter short."""
        fast = self.average(bars.close, self.params.fast)
        slow = self.average(bars.close, self.params.slow)
        up, down = crossings(fast, slow)
        return Signals(entries=up, exits=down, short_entries=down, short_exits=up)
