"""One backtest per parameter set, reduced to a row of metrics: what sweeps and searches run.

An :class:`Evaluator` prepares everything that does not depend on the parameters once
(aligned prices, the sizing grid, buffers for equity, state and trades), then each call
builds the strategy, computes its signals, runs the compiled loop and summarises it in
compiled code. Indicators are cached per (indicator, input, period) in an
:class:`IndicatorCache`, so a grid of 20 fast x 50 slow periods computes 70 averages, not 2,000.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import numpy as np

from quantdesk.backtest._layout import STATE_SIZE, TRADE_DTYPE
from quantdesk.backtest._loop import simulate
from quantdesk.backtest._market import align, stack_signals
from quantdesk.backtest._summary import SUMMARY_COLUMNS, summarise
from quantdesk.backtest.engine import as_series, sizing_grid, strategy_signals
from quantdesk.backtest.metrics import infer_periods_per_year
from quantdesk.backtest.options import BacktestOptions
from quantdesk.bars import COLUMNS, Bars
from quantdesk.errors import ValidationError
from quantdesk.strategies.base import FloatArray, Strategy
from quantdesk.strategies.crossings import MovingAverageCross
from quantdesk.strategies.registry import get

BarColumns = Mapping[str, Any]
"""One symbol's bars as plain data: the ``Bars.columns`` arrays plus an optional ``timeframe``."""

StrategyRef = str | type[Strategy[Any]]


class IndicatorCache:
    """Indicator arrays shared by every backtest of one sweep, safe to use from threads.

    Two threads may compute the same array at once; the first stored wins and both get
    equal values, which costs less than holding a lock during the computation.
    """

    def __init__(self) -> None:
        self._values: dict[Hashable, tuple[object, np.ndarray]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, source: object, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """Return the cached array for ``key``, computing it on first use.

        ``source`` (the input array) is kept alive with the entry, so a key made from its
        ``id`` cannot be reused by another array while the entry exists.
        """
        with self._lock:
            found = self._values.get(key)
        if found is None:
            computed = (source, compute())
            with self._lock:
                found = self._values.setdefault(key, computed)
        return found[1]

    def __len__(self) -> int:
        return len(self._values)


def strategy_class(strategy: StrategyRef | Strategy[Any]) -> type[Strategy[Any]]:
    """Return the class of a registered name, a Strategy subclass or an instance."""
    if isinstance(strategy, str):
        return get(strategy)
    if isinstance(strategy, Strategy):
        return type(strategy)
    if isinstance(strategy, type) and issubclass(strategy, Strategy):
        return strategy
    raise ValidationError(
        f"strategy must be a registered name, a Strategy class or instance, got {strategy!r}"
    )


def base_parameters(strategy: StrategyRef | Strategy[Any]) -> dict[str, Any]:
    """Return the parameters an instance was built with (grids vary them), else none."""
    return strategy.params.model_dump() if isinstance(strategy, Strategy) else {}


def to_columns(bars: Bars | Mapping[str, Bars]) -> dict[str, dict[str, Any]]:
    """Return bars as plain arrays per symbol, the form chunks travel in to other workers."""
    return {
        symbol: {**data.columns, "timeframe": data.timeframe}
        for symbol, data in as_series(bars).items()
    }


def from_columns(columns: Mapping[str, BarColumns]) -> dict[str, Bars]:
    """Rebuild ``Bars`` per symbol from :func:`to_columns` output, sharing the arrays."""
    return {
        symbol: Bars.from_arrays(
            data["timestamps"],
            *(data[name] for name in COLUMNS),
            symbol=symbol,
            timeframe=str(data.get("timeframe", "")),
        )
        for symbol, data in columns.items()
    }


def with_cache(cls: type[Strategy[Any]], cache: IndicatorCache) -> type[Strategy[Any]]:
    """Return ``cls`` with its indicator routed through ``cache`` where the family allows it.

    Moving-average crossovers compute both averages through one overridable ``average``;
    a subclass that caches it keeps the strategy's own signal logic. Other strategies are
    returned unchanged and compute their indicators per parameter set.
    """
    if not issubclass(cls, MovingAverageCross):
        return cls
    average = cls.average

    def cached(close: FloatArray, timeperiod: int) -> FloatArray:
        key = (average, id(close), timeperiod)
        return cache.get(key, close, lambda: average(close, timeperiod))

    namespace = {"average": staticmethod(cached), "__module__": cls.__module__}
    return type(cls.__name__, (cls,), namespace)


class Evaluator:
    """Backtest one strategy on fixed bars and options, one parameter set per call."""

    def __init__(
        self,
        strategy: StrategyRef,
        series: Mapping[str, Bars],
        options: BacktestOptions,
        cache: IndicatorCache | None = None,
    ) -> None:
        shared = cache if cache is not None else IndicatorCache()
        self._class = with_cache(strategy_class(strategy), shared)
        self._series = dict(series)
        self._options = options
        self._market = market = align(self._series)
        self._sizing = sizing_grid(market, self._series, options.size)
        self._per_year = options.periods_per_year or infer_periods_per_year(market.timestamps)
        bars = len(market.timestamps)
        self._equity = np.empty(bars)
        self._state = np.empty((len(market.symbols), STATE_SIZE))
        self._change = np.empty(bars + 1, np.int64)
        self._trades = np.empty(0, TRADE_DTYPE)

    def __call__(self, params: Mapping[str, Any]) -> np.ndarray:
        """Return the ``SUMMARY_COLUMNS`` values of one backtest with ``params``."""
        strategy = self._class(params)
        signals = [strategy_signals(strategy, s, bars) for s, bars in self._series.items()]
        flags, (stops, targets) = stack_signals(self._market, signals)
        config = self._options.config(has_levels=len(stops) > 0 or len(targets) > 0)
        trades = self._room(flags[0], flags[2])
        levels = (self._sizing, stops, targets)
        count = simulate(
            self._market.prices, flags, levels, config, self._state, trades, self._equity
        )
        initial = self._options.initial_cash
        return summarise(
            self._equity, initial, self._per_year, trades, count, self._state, self._change
        )

    def _room(self, entries: np.ndarray, short_entries: np.ndarray) -> np.ndarray:
        # one trade record per possible entry, as run_signals sizes it; grown, never shrunk
        needed = int(np.count_nonzero(entries))
        if self._options.allow_short:
            needed += int(np.count_nonzero(short_entries))
        if len(self._trades) < needed:
            self._trades = np.empty(max(needed, 2 * len(self._trades)), TRADE_DTYPE)
        return self._trades


def backtest_options(run_options: Mapping[str, Any]) -> BacktestOptions:
    """Build options from ``run``'s keywords, naming any keyword that is not one."""
    try:
        return BacktestOptions(**run_options)
    except TypeError:
        known = ", ".join(BacktestOptions.__dataclass_fields__)
        unknown = sorted(set(run_options) - set(BacktestOptions.__dataclass_fields__))
        raise ValidationError(
            f"unknown backtest option(s) {', '.join(unknown)}; the options are {known}"
        ) from None


def check_metric(metric: str) -> None:
    """Refuse a metric that a summary row does not hold."""
    if metric not in SUMMARY_COLUMNS:
        raise ValidationError(f"metric must be one of {', '.join(SUMMARY_COLUMNS)}, got {metric!r}")


def check_parameter(cls: type[Strategy[Any]], name: str, where: str) -> None:
    """Refuse a name that is not one of the strategy's parameters, listing the real ones."""
    known = tuple(cls.Parameters.model_fields)
    if name not in known:
        raise ValidationError(
            f"{where} parameter {name!r} is not a parameter of {cls.name}; "
            f"its parameters are {', '.join(known) or 'none'}"
        )


def plain(value: Any) -> Any:
    """Return NumPy scalars as Python numbers, which parameter models and JSON accept."""
    return value.item() if isinstance(value, np.generic) else value
