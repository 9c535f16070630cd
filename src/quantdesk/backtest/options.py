"""The options of one backtest, checked once at the door and packed for the kernel."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np

from quantdesk.backtest import _layout
from quantdesk.backtest.costs import Commission, Slippage, as_commission, as_slippage
from quantdesk.backtest.sizing import AllIn, Sizing
from quantdesk.errors import ValidationError

Fill = Literal["next_open", "close"]
IntrabarPolicy = Literal["pessimistic", "optimistic", "ohlc_path"]
_POLICIES = {
    "pessimistic": _layout.PESSIMISTIC,
    "optimistic": _layout.OPTIMISTIC,
    "ohlc_path": _layout.OHLC_PATH,
}
_SIZINGS = (
    "AllIn(), EquityFraction(f), FixedQuantity(q), FixedCash(c), VolatilityTarget(...) "
    "or StopRisk(f)"
)


@dataclass(frozen=True)
class BacktestOptions:
    """Every knob of :func:`quantdesk.backtest.run`; see its docstring for the conventions."""

    initial_cash: float = 10_000.0
    fill: Fill = "next_open"
    commission: Commission | float = 0.0
    slippage: Slippage | float = 0.0
    size: Sizing = field(default_factory=AllIn)
    whole_units: bool = False
    allow_short: bool = False
    stop_loss: float | None = None
    take_profit: float | None = None
    trailing_stop: float | None = None
    intrabar: IntrabarPolicy = "pessimistic"
    max_position: float | None = None
    leverage: float = 1.0
    periods_per_year: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "commission", as_commission(self.commission))
        object.__setattr__(self, "slippage", as_slippage(self.slippage))
        _positive(self.initial_cash, "initial_cash", "pass the starting balance, e.g. 10_000")
        _choice(self.fill, "fill", get_args(Fill))
        _choice(self.intrabar, "intrabar", get_args(IntrabarPolicy))
        if not isinstance(self.size, Sizing):
            raise ValidationError(f"size must be one of {_SIZINGS}, got {self.size!r}")
        _fraction(self.stop_loss, "stop_loss", 1.0)
        _fraction(self.take_profit, "take_profit", math.inf)
        _fraction(self.trailing_stop, "trailing_stop", 1.0)
        if self.max_position is not None:
            _positive(
                self.max_position, "max_position", "0.25 caps each position at 25 % of equity"
            )
        _positive(self.leverage, "leverage", "1 means no borrowing, 2 allows 2x equity")
        if self.periods_per_year is not None:
            _positive(self.periods_per_year, "periods_per_year", "252 for daily equity bars")

    @property
    def costs(self) -> tuple[Commission, Slippage]:
        """Return the normalised commission and slippage."""
        assert isinstance(self.commission, Commission)
        assert isinstance(self.slippage, Slippage)
        return self.commission, self.slippage

    def config(self, has_levels: bool) -> np.ndarray:
        """Pack the options into the kernel's float64 config vector."""
        commission, slippage = self.costs
        mode, value, multiple = self.size.code()
        config = np.zeros(_layout.CONFIG_SIZE)
        config[_layout.INITIAL_CASH] = self.initial_cash
        config[_layout.FILL_AT_CLOSE] = self.fill == "close"
        config[_layout.FEE_RATE] = commission.fraction
        config[_layout.FEE_FIXED] = commission.fixed
        config[_layout.SLIP_RATE] = slippage.rate
        config[_layout.SLIP_AMOUNT] = slippage.amount
        config[_layout.SIZE_MODE] = mode
        config[_layout.SIZE_VALUE] = value
        config[_layout.SIZE_MULTIPLE] = multiple
        config[_layout.WHOLE_UNITS] = self.whole_units
        config[_layout.ALLOW_SHORT] = self.allow_short
        config[_layout.STOP_FRACTION] = _or_nan(self.stop_loss)
        config[_layout.TARGET_FRACTION] = _or_nan(self.take_profit)
        config[_layout.TRAIL_FRACTION] = _or_nan(self.trailing_stop)
        config[_layout.POLICY] = _POLICIES[self.intrabar]
        config[_layout.MAX_POSITION] = math.inf if self.max_position is None else self.max_position
        config[_layout.LEVERAGE] = self.leverage
        config[_layout.HAS_LEVELS] = has_levels or self.uses_levels
        return config

    @property
    def uses_levels(self) -> bool:
        """Return whether a stop, target or trailing stop is set by the options."""
        return any(v is not None for v in (self.stop_loss, self.take_profit, self.trailing_stop))


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _positive(value: object, name: str, example: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{name} must be a number, got {value!r}; {example}")
    if not math.isfinite(value) or value <= 0.0:
        raise ValidationError(f"{name} must be a finite number above 0, got {value!r}; {example}")


def _fraction(value: object, name: str, upper: float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(
            f"{name} must be a fraction of the entry price or None, got {value!r}"
        )
    if not 0.0 < value < upper:
        raise ValidationError(
            f"{name} must be above 0{' and below 1' if upper == 1.0 else ''} "
            f"(0.02 means 2 % from the entry price), got {value!r}"
        )


def _choice(value: object, name: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValidationError(
            f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}"
        )
