"""Walk-forward analysis: optimise on a window, trade the next one unseen, roll, repeat.

Window *k* trains on ``train_bars`` bars (from bar 0 when ``anchored``) and tests on the
``test_bars`` bars right after them; the next window starts ``step`` bars later (default
``test_bars``, so test windows tile the history). Only whole windows are used. The
in-sample search sees the training bars and nothing after them.

Out of sample, each test window is a fresh backtest with the in-sample winner:

* signals are computed from the start of the training window, so indicators are warmed up
  by past bars only, then cut to the test window; the position starts flat;
* it starts with the cash the previous window ended with (``initial_cash`` for the first);
* a position still open at the window's last close is closed there, paying commission and
  slippage as a signal exit would, and that value is the window's final equity;
* the test windows' equity curves, joined, form the stitched out-of-sample equity.

Walk-forward efficiency is the mean out-of-sample metric over the mean in-sample metric:
near 1 means the optimisation carried over, near 0 or below means it fitted noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from quantdesk.backtest._evaluation import (
    StrategyRef,
    backtest_options,
    base_parameters,
    check_metric,
    strategy_class,
)
from quantdesk.backtest.engine import run_signals, strategy_signals
from quantdesk.backtest.metrics import PerformanceMetrics, infer_periods_per_year, performance
from quantdesk.backtest.optimize import optimize
from quantdesk.backtest.options import BacktestOptions
from quantdesk.backtest.result import BacktestResult
from quantdesk.backtest.sweep import sweep
from quantdesk.bars import Bars
from quantdesk.errors import ValidationError
from quantdesk.strategies.base import Signals, Strategy

if TYPE_CHECKING:
    import pandas as pd

Method = Literal["grid", "optuna"]


@dataclass(frozen=True, slots=True)
class WalkForwardWindow:
    """One train/test split: bar ranges (``start`` included, ``end`` excluded) and outcome."""

    train_start: int
    train_end: int
    test_start: int
    test_end: int
    params: dict[str, Any]
    in_sample: float
    out_of_sample: float
    initial_equity: float
    final_equity: float
    trades: int

    @property
    def efficiency(self) -> float:
        """Return the out-of-sample metric over the in-sample one (NaN when undefined)."""
        if self.in_sample == 0.0 or not np.isfinite(self.in_sample):
            return float("nan")
        return self.out_of_sample / self.in_sample


@dataclass(frozen=True, eq=False)
class WalkForwardResult:
    """The outcome of :func:`walk_forward`: windows, stitched equity and efficiency."""

    windows: tuple[WalkForwardWindow, ...]
    timestamps: np.ndarray
    equity: np.ndarray
    metric: str
    initial_cash: float
    metrics: PerformanceMetrics
    results: tuple[BacktestResult, ...] = field(repr=False)

    @property
    def efficiency(self) -> float:
        """Return mean out-of-sample metric over mean in-sample metric."""
        inside = float(np.mean([w.in_sample for w in self.windows]))
        outside = float(np.mean([w.out_of_sample for w in self.windows]))
        return outside / inside if inside != 0.0 and np.isfinite(inside) else float("nan")

    def table(self) -> pd.DataFrame:
        """Return one row per window: bar ranges, parameters, metrics and equity."""
        import pandas as pd

        rows = []
        for window in self.windows:
            values = {f.name: getattr(window, f.name) for f in fields(window) if f.name != "params"}
            rows.append({**values, **window.params, "efficiency": window.efficiency})
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """Return the stitched out-of-sample equity indexed by UTC time."""
        import pandas as pd

        index = pd.DatetimeIndex(self.timestamps.astype("datetime64[ns]"), tz="UTC", name="time")
        return pd.DataFrame({"equity": self.equity}, index=index)


def walk_forward(
    strategy: StrategyRef | Strategy[Any],
    bars: Bars,
    space: Mapping[str, Sequence[Any] | tuple[Any, ...]],
    *,
    train_bars: int,
    test_bars: int,
    step: int | None = None,
    anchored: bool = False,
    metric: str = "sharpe",
    maximize: bool = True,
    method: Method = "grid",
    trials: int = 100,
    seed: int = 0,
    workers: int | None = None,
    **run_options: Any,
) -> WalkForwardResult:
    """Optimise on rolling in-sample windows and stitch the out-of-sample results.

    ``space`` is a grid (parameter to values) for ``method="grid"``, searched with
    :func:`~quantdesk.backtest.sweep.sweep`, or an Optuna space for ``method="optuna"``,
    searched with :func:`~quantdesk.backtest.optimize.optimize` (``trials``, ``seed``).
    Backtest options pass through ``run_options``. The module docstring states how
    windows are laid out and how equity carries from one test window to the next.

    Example:
        >>> import numpy as np
        >>> from quantdesk.bars import Bars
        >>> close = 100 + np.sin(np.arange(900) / 15) * 10
        >>> bars = Bars.from_arrays(np.arange(900) * 86_400 * 10**9, close, close + 1,
        ...                         close - 1, close, np.ones(900), symbol="DEMO")
        >>> result = walk_forward("sma_cross", bars, {"fast": [5, 10], "slow": [20, 40]},
        ...                       train_bars=300, test_bars=200)
        >>> [(w.test_start, w.test_end) for w in result.windows]
        [(300, 500), (500, 700), (700, 900)]
    """
    check_metric(metric)
    if method not in ("grid", "optuna"):
        raise ValidationError(f"method must be 'grid' or 'optuna', got {method!r}")
    if not isinstance(bars, Bars):
        raise ValidationError("walk_forward takes the Bars of one symbol")
    options = backtest_options(run_options)
    spans = windows(len(bars), train_bars, test_bars, step, anchored)
    search = _Search(strategy, space, metric, maximize, method, trials, seed, workers, options)
    cash, done, results = options.initial_cash, [], []
    for span in spans:
        window, result = _window(
            strategy, bars, span, search, metric, replace(options, initial_cash=cash)
        )
        done.append(window)
        results.append(result)
        cash = window.final_equity
    return _stitch(tuple(done), tuple(results), metric, options)


def windows(
    length: int, train_bars: int, test_bars: int, step: int | None, anchored: bool
) -> list[tuple[int, int, int]]:
    """Return (train start, train end = test start, test end) of every whole window."""
    for value, name in ((train_bars, "train_bars"), (test_bars, "test_bars"), (step, "step")):
        if name == "step" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 2:
            raise ValidationError(f"{name} must be a whole number of bars of at least 2")
    stride = step or test_bars
    starts = range(0, length - train_bars - test_bars + 1, stride)
    spans = [(0 if anchored else s, s + train_bars, s + train_bars + test_bars) for s in starts]
    if not spans:
        raise ValidationError(
            f"{length} bars do not fit one window of train_bars={train_bars} plus "
            f"test_bars={test_bars}; shorten the windows or load more history"
        )
    return spans


class _Search:
    """The in-sample search of one window, by grid sweep or by Optuna."""

    def __init__(
        self,
        strategy: StrategyRef | Strategy[Any],
        space: Mapping[str, Any],
        metric: str,
        maximize: bool,
        method: Method,
        trials: int,
        seed: int,
        workers: int | None,
        options: BacktestOptions,
    ) -> None:
        self._strategy, self._space, self._method = strategy, space, method
        self._common = {"metric": metric, "maximize": maximize, **_keywords(options)}
        self._trials, self._seed = trials, seed
        self._workers = workers

    def __call__(self, train: Bars) -> tuple[dict[str, Any], float]:
        if self._method == "optuna":
            found = optimize(
                self._strategy,
                train,
                self._space,
                trials=self._trials,
                seed=self._seed,
                **self._common,
            )
            return found.best, found.best_value
        swept = sweep(self._strategy, train, self._space, workers=self._workers, **self._common)
        return swept.best, swept.best_value


def _window(
    strategy: StrategyRef | Strategy[Any],
    bars: Bars,
    span: tuple[int, int, int],
    search: _Search,
    metric: str,
    options: BacktestOptions,
) -> tuple[WalkForwardWindow, BacktestResult]:
    train_start, train_end, test_end = span
    params, in_sample = search(bars[train_start:train_end])
    instance = strategy_class(strategy)({**base_parameters(strategy), **params})
    # indicators warm up on the training bars; only the test bars are traded
    history = bars[train_start:test_end]
    signals = strategy_signals(instance, bars.symbol or "symbol", history)
    test = bars[train_end:test_end]
    result = run_signals(test, _cut(signals, train_end - train_start), options, strategy=instance)
    final = liquidation_value(result)
    window = WalkForwardWindow(
        train_start=train_start,
        train_end=train_end,
        test_start=train_end,
        test_end=test_end,
        params=params,
        in_sample=in_sample,
        out_of_sample=_metric(result, final, metric),
        initial_equity=options.initial_cash,
        final_equity=final,
        trades=len(result.trades) + len(result.positions),
    )
    return window, result


def _cut(signals: Signals, offset: int) -> Signals:
    def tail(values: np.ndarray | None) -> Any:
        return None if values is None else values[offset:]

    return Signals(
        entries=tail(signals.entries),
        exits=tail(signals.exits),
        short_entries=tail(signals.short_entries),
        short_exits=tail(signals.short_exits),
        stop_loss=tail(signals.stop_loss),
        take_profit=tail(signals.take_profit),
    )


def liquidation_value(result: BacktestResult) -> float:
    """Return final equity with every open position closed at its last close, costs paid."""
    commission, slippage = result.options.costs
    positions = result.positions
    side = positions["side"].astype(np.float64)
    marks = positions["last_price"]
    fills = marks * (1.0 - side * slippage.rate) - side * slippage.amount
    quantity = positions["quantity"]
    fees = quantity * fills * commission.fraction + commission.fixed
    return float(result.equity[-1] + np.sum(side * quantity * (fills - marks) - fees))


def _metric(result: BacktestResult, final: float, metric: str) -> float:
    if metric in {f.name for f in fields(PerformanceMetrics)}:
        equity = np.concatenate((result.equity[:-1], [final]))
        values = _performance(equity, result.options, result.timestamps).to_dict()
    else:
        values = result.metrics.trades.to_dict()
    return float(values[metric])


def _performance(
    equity: np.ndarray, options: BacktestOptions, timestamps: np.ndarray
) -> PerformanceMetrics:
    per_year = options.periods_per_year or infer_periods_per_year(timestamps)
    return performance(equity, options.initial_cash, timestamps, per_year)


def _stitch(
    windows: tuple[WalkForwardWindow, ...],
    results: tuple[BacktestResult, ...],
    metric: str,
    options: BacktestOptions,
) -> WalkForwardResult:
    curves = [
        np.concatenate((r.equity[:-1], [w.final_equity]))
        for w, r in zip(windows, results, strict=True)
    ]
    equity = np.concatenate(curves)
    timestamps = np.concatenate([r.timestamps for r in results])
    return WalkForwardResult(
        windows=windows,
        timestamps=timestamps,
        equity=equity,
        metric=metric,
        initial_cash=options.initial_cash,
        metrics=_performance(equity, options, timestamps),
        results=results,
    )


def _keywords(options: BacktestOptions) -> dict[str, Any]:
    return {f.name: getattr(options, f.name) for f in fields(options)}
