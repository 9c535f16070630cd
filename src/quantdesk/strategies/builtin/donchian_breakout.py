"""Donchian breakout: the turtle rule of buying a new N-bar high."""

from __future__ import annotations

from pydantic import Field, model_validator

from quantdesk.bars import Bars
from quantdesk.indicators.volatility import donchian
from quantdesk.strategies.base import Signals
from quantdesk.strategies.builtin._base import AtrStops, IndicatorStrategy
from quantdesk.strategies.registry import register
from quantdesk.strategies.series import previous


class DonchianBreakoutParameters(AtrStops):
    """Channel lengths; the exit channel is no longer than the entry channel."""

    entry_period: int = Field(20, ge=1, le=10_000, description="Bars of the entry channel")
    exit_period: int = Field(10, ge=1, le=10_000, description="Bars of the exit channel")

    @model_validator(mode="after")
    def _exit_within_entry(self) -> DonchianBreakoutParameters:
        if self.exit_period > self.entry_period:
            raise ValueError(
                f"exit_period ({self.exit_period}) must not exceed entry_period "
                f"({self.entry_period}); a longer exit channel trails the entry signal"
            )
        return self


@register
class DonchianBreakout(IndicatorStrategy[DonchianBreakoutParameters]):
    """Buy a close above the last ``entry_period`` bars' high; sell one below the exit channel.

    Rules, on the close of bar *i*: enter long when the close is above the upper channel
    of ``entry_period`` bars as it stood on bar *i-1* (the channel of bar *i* includes
    bar *i*'s own high, which a close can never exceed); exit when the close is below
    the previous bar's lower channel of ``exit_period`` bars. Shorts mirror it: a close
    below the previous lower entry channel opens one, a close above the previous upper
    exit channel closes it. Warm-up: a channel has ``period - 1`` NaNs and is read one
    bar late, so the first signal can come at bar ``entry_period``.

    Example:
        >>> DonchianBreakout(entry_period=55, exit_period=20).warmup
        55
    """

    name = "donchian_breakout"
    Parameters = DonchianBreakoutParameters

    @property
    def indicator_warmup(self) -> int:
        """Return ``entry_period``: the first bar with the previous bar's channels valid."""
        return max(self.params.entry_period, self.params.exit_period)

    def conditions(self, bars: Bars) -> Signals:
        """Compare the close with the previous bar's entry and exit channels."""
        entry = donchian(bars.high, bars.low, self.params.entry_period)
        exit_ = donchian(bars.high, bars.low, self.params.exit_period)
        close = bars.close
        return Signals(
            entries=close > previous(entry.upper),
            exits=close < previous(exit_.lower),
            short_entries=close < previous(entry.lower),
            short_exits=close > previous(exit_.upper),
        )
