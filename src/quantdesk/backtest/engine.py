"""The backtest engine: validate at the door, lay arrays on a grid, run one compiled loop."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from quantdesk.backtest import _layout, _loop
from quantdesk.backtest._market import Market, align, stack_signals
from quantdesk.backtest.costs import Commission, Slippage
from quantdesk.backtest.options import BacktestOptions, Fill, IntrabarPolicy
from quantdesk.backtest.result import BacktestResult
from quantdesk.backtest.sizing import Sizing, StopRisk, VolatilityTarget
from quantdesk.bars import Bars
from quantdesk.errors import QuantDeskError, ValidationError
from quantdesk.indicators.volatility import atr
from quantdesk.strategies.base import Signals, Strategy
from quantdesk.strategies.registry import get


def run(
    strategy: str | Strategy[Any],
    bars: Bars | Mapping[str, Bars],
    params: Mapping[str, Any] | None = None,
    *,
    initial_cash: float = 10_000.0,
    fill: Fill = "next_open",
    commission: float | Commission = 0.0,
    slippage: float | Slippage = 0.0,
    size: Sizing | None = None,
    whole_units: bool = False,
    allow_short: bool = False,
    stop_loss: float | None = None,
    take_profit: float | None = None,
    trailing_stop: float | None = None,
    intrabar: IntrabarPolicy = "pessimistic",
    max_position: float | None = None,
    leverage: float = 1.0,
    periods_per_year: float | None = None,
) -> BacktestResult:
    """Backtest a strategy on one symbol or a portfolio of symbols.

    Conventions:
        * Signals are computed on bar *i*'s close. With ``fill="next_open"`` (the default)
          they act at bar *i+1*'s open, so a signal on the last bar is not acted on; with
          ``fill="close"`` they act at bar *i*'s close. An exit wins over an entry on the
          same bar; an entry while a position is open is ignored (no pyramiding); with
          ``allow_short`` a short entry closes a long and opens a short in one step.
        * ``commission`` is a fraction of notional (``0.001`` = 0.1 %) or a
          :class:`Commission` with a fixed amount per order as well. ``slippage`` is basis
          points (``5`` = 0.05 %) or a :class:`Slippage` in ticks; it always worsens the fill.
        * ``size`` defaults to :class:`AllIn`; see :mod:`quantdesk.backtest.sizing` for the
          others. Buying power is ``leverage`` x equity minus open positions (no leverage by
          default); each position is capped at ``max_position`` x equity when given. ``whole_units``
          rounds quantities down.
        * ``stop_loss``, ``take_profit`` and ``trailing_stop`` are fractions of the entry
          fill (the trailing stop follows the best price since entry, up to the previous bar's
          extreme and this bar's open); levels from the strategy's signals take precedence.
          They are checked against each bar's high and low from the bar of entry at the open
          (the bar after, at the close); a gap through a level fills at the open. When one bar
          touches both stop and target, ``intrabar`` decides: ``"pessimistic"`` (stop first),
          ``"optimistic"`` (target first) or ``"ohlc_path"`` (open-low-high-close on an up
          bar, open-high-low-close on a down bar); such trades are counted in
          ``result.metrics.trades.ambiguous_trades``.
        * ``equity[i]`` is cash plus positions at close *i*. Positions open after the last bar
          are not closed: they are in ``result.positions`` and valued at the last close.
        * Several symbols share one cash balance on the union of their timestamps; a symbol
          is not traded on a bar it lacks and is valued at its last close there. Within a bar
          every exit is filled before any entry, symbols in the order given.

    Example:
        >>> import numpy as np
        >>> from quantdesk.bars import Bars
        >>> from quantdesk.backtest import run
        >>> close = 100 + np.sin(np.arange(300) / 10) * 10
        >>> bars = Bars.from_arrays(np.arange(300) * 86_400 * 10**9, close, close + 1,
        ...                         close - 1, close, np.ones(300), symbol="DEMO", timeframe="1d")
        >>> result = run("sma_cross", bars, {"fast": 5, "slow": 20}, commission=0.001)
        >>> len(result.equity) == 300 and result.metrics.trades.number_of_trades > 0
        True
    """
    options = BacktestOptions(
        initial_cash=initial_cash, fill=fill, commission=commission, slippage=slippage,
        size=size if size is not None else BacktestOptions().size, whole_units=whole_units,
        allow_short=allow_short, stop_loss=stop_loss, take_profit=take_profit,
        trailing_stop=trailing_stop, intrabar=intrabar, max_position=max_position,
        leverage=leverage, periods_per_year=periods_per_year,
    )  # fmt: skip
    instance = _strategy(strategy, params)
    series = as_series(bars)
    signals = {symbol: strategy_signals(instance, symbol, data) for symbol, data in series.items()}
    return run_signals(series, signals, options, strategy=instance)


def run_signals(
    bars: Bars | Mapping[str, Bars],
    signals: Signals | Mapping[str, Signals],
    options: BacktestOptions | None = None,
    *,
    strategy: Strategy[Any] | None = None,
) -> BacktestResult:
    """Backtest precomputed signals (one ``Signals`` per symbol) under ``options``.

    This is :func:`run` without the strategy: sweeps and tests call it with signals they
    built themselves. The conventions are those of :func:`run`.
    """
    options = options or BacktestOptions()
    series = as_series(bars)
    per_symbol = _signal_map(signals, series)
    market = align(series)
    flags, (stops, targets) = stack_signals(market, [per_symbol[s] for s in market.symbols])
    sizing = sizing_grid(market, series, options.size)
    config = options.config(has_levels=len(stops) > 0 or len(targets) > 0)
    capacity = int(
        np.count_nonzero(flags[0]) + (np.count_nonzero(flags[2]) if options.allow_short else 0)
    )
    trades = np.empty(capacity, dtype=_layout.TRADE_DTYPE)
    state = np.empty((len(market.symbols), _layout.STATE_SIZE))
    equity = np.empty(len(market.timestamps))
    count = _loop.simulate(
        market.prices, flags, (sizing, stops, targets), config, state, trades, equity
    )
    return BacktestResult(market, trades[:count], state, equity, options, strategy)


def _strategy(strategy: str | Strategy[Any], params: Mapping[str, Any] | None) -> Strategy[Any]:
    if isinstance(strategy, str):
        return get(strategy)(params)
    if not isinstance(strategy, Strategy):
        raise ValidationError(
            f"strategy must be a registered name or a Strategy instance, got {strategy!r}"
        )
    if params is not None:
        raise ValidationError(
            "params apply to a strategy name; set them on the Strategy instance instead"
        )
    return strategy


def as_series(bars: Bars | Mapping[str, Bars]) -> dict[str, Bars]:
    """Return the bars as a symbol-to-Bars mapping, whichever of the two the caller passed."""
    if isinstance(bars, Bars):
        return {bars.symbol or "symbol": bars}
    if isinstance(bars, Mapping) and all(isinstance(b, Bars) for b in bars.values()):
        return dict(bars)
    raise ValidationError("bars must be Bars or a mapping of symbol to Bars")


def _signal_map(
    signals: Signals | Mapping[str, Signals], series: Mapping[str, Bars]
) -> Mapping[str, Signals]:
    if isinstance(signals, Signals):
        if len(series) != 1:
            raise ValidationError(
                "pass one Signals per symbol as a mapping when backtesting several symbols"
            )
        return {next(iter(series)): signals}
    missing = sorted(set(series) - set(signals))
    if missing:
        raise ValidationError(
            f"signals are missing for {', '.join(missing)}; pass one Signals per symbol"
        )
    return signals


def strategy_signals(strategy: Strategy[Any], symbol: str, bars: Bars) -> Signals:
    """Call the strategy's code; every call passes here, so a failure names strategy and symbol."""
    try:
        signals = strategy.signals(bars)
    except QuantDeskError:
        raise
    except Exception as error:
        raise ValidationError(f"strategy {strategy.name} failed on {symbol}: {error}") from error
    if not isinstance(signals, Signals):
        raise ValidationError(
            f"strategy {strategy.name} must return Signals, got {type(signals).__name__}"
        )
    return signals


def sizing_grid(market: Market, series: Mapping[str, Bars], size: Sizing) -> np.ndarray:
    """Return what a sizing rule reads per bar and symbol (empty when it reads nothing).

    :class:`VolatilityTarget` reads the ATR; :class:`StopRisk` reads the close, the price
    its risk to the stop is measured from.
    """
    if isinstance(size, VolatilityTarget):
        columns = [atr(b.high, b.low, b.close, timeperiod=size.atr_period) for b in series.values()]
        return market.grid(columns, np.nan)
    if isinstance(size, StopRisk):
        return market.close
    return np.empty((0, len(market.symbols)))
