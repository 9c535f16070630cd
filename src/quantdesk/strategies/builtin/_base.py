"""What the indicator built-ins share: optional ATR stop and target levels, warm-up masking."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import replace
from typing import TypeVar, overload

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from quantdesk.bars import Bars
from quantdesk.indicators.volatility import atr
from quantdesk.strategies.base import BoolArray, FloatArray, Signals, Strategy


class AtrStops(BaseModel):
    """Stop and target levels in multiples of the average true range, both optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    atr_period: int = Field(
        14, ge=1, le=10_000, description="Bars of the ATR that scales stop_atr and target_atr"
    )
    stop_atr: float | None = Field(
        None,
        gt=0,
        le=100,
        description="Stop-loss this many ATRs from the signal bar's close; "
        "empty leaves stops to the backtest options",
    )
    target_atr: float | None = Field(
        None,
        gt=0,
        le=1_000,
        description="Take-profit this many ATRs from the signal bar's close; "
        "empty leaves targets to the backtest options",
    )


S = TypeVar("S", bound=AtrStops)


class IndicatorStrategy(Strategy[S]):
    """A built-in whose conditions come from indicators, with optional ATR levels.

    Subclasses give :meth:`conditions` and :attr:`indicator_warmup`; this class clears any
    signal before :attr:`warmup` and adds the stop and target levels: below the close for
    a long entry, above it at a bar that opens a short.
    """

    @property
    @abstractmethod
    def indicator_warmup(self) -> int:
        """Return the index of the first bar the slowest indicator can signal on."""

    @abstractmethod
    def conditions(self, bars: Bars) -> Signals:
        """Return the entry and exit conditions before warm-up masking and levels."""

    @property
    def uses_levels(self) -> bool:
        """Return whether a stop or a target multiple is set."""
        return self.params.stop_atr is not None or self.params.target_atr is not None

    @property
    def warmup(self) -> int:
        """Return the slowest indicator's warm-up, the ATR's included when levels are set."""
        if self.uses_levels:
            return max(self.indicator_warmup, self.params.atr_period)
        return self.indicator_warmup

    def signals(self, bars: Bars) -> Signals:
        """Compute the conditions, silence the warm-up bars and attach the ATR levels."""
        raw = self.conditions(bars)
        entries = _silenced(raw.entries, self.warmup)
        short_entries = _silenced(raw.short_entries, self.warmup)
        signals = replace(
            raw,
            entries=entries,
            exits=_silenced(raw.exits, self.warmup),
            short_entries=short_entries,
            short_exits=_silenced(raw.short_exits, self.warmup),
        )
        if not self.uses_levels:
            return signals
        side = np.ones(len(bars))
        if short_entries is not None:
            side[short_entries & ~entries] = -1.0
        distance = atr(bars.high, bars.low, bars.close, timeperiod=self.params.atr_period)
        return replace(
            signals,
            stop_loss=_level(bars.close, distance, -side, self.params.stop_atr),
            take_profit=_level(bars.close, distance, side, self.params.target_atr),
        )


@overload
def _silenced(values: BoolArray, warmup: int) -> BoolArray: ...
@overload
def _silenced(values: None, warmup: int) -> None: ...
def _silenced(values: BoolArray | None, warmup: int) -> BoolArray | None:
    if values is None:
        return None
    out = np.array(values, dtype=np.bool_)
    out[:warmup] = False
    return out


def _level(
    close: FloatArray, distance: FloatArray, side: FloatArray, multiple: float | None
) -> FloatArray | None:
    if multiple is None:
        return None
    return np.asarray(close + side * multiple * distance, dtype=np.float64)


class BandParameters(AtrStops):
    """Bollinger band period and width."""

    period: int = Field(20, ge=2, le=10_000, description="Bars of the middle band's SMA")
    deviations: float = Field(
        2.0, gt=0, le=10, description="Band distance from the middle, in standard deviations"
    )
