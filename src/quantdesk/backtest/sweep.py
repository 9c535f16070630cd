"""Parameter sweeps: every combination of a grid, backtested in parallel, as one sorted table.

Each combination is a full backtest with the engine's fills and costs, reduced to one row
of metrics computed in compiled code, so memory grows with bars plus combinations, never
with their product. Indicators that several combinations share are computed once. Chunks
of combinations run on threads: the compiled loop releases the GIL, so threads scale
without copying the bars to other processes. :func:`sweep_chunk` is the unit of work and
a plain top-level function, ready to be shipped to other workers as well.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from quantdesk.backtest._evaluation import (
    BarColumns,
    Evaluator,
    IndicatorCache,
    StrategyRef,
    backtest_options,
    base_parameters,
    check_metric,
    check_parameter,
    from_columns,
    plain,
    strategy_class,
    to_columns,
)
from quantdesk.backtest._summary import SUMMARY_COLUMNS
from quantdesk.backtest.options import BacktestOptions
from quantdesk.bars import Bars
from quantdesk.errors import ValidationError
from quantdesk.strategies.base import Strategy

if TYPE_CHECKING:
    import pandas as pd

Params = dict[str, Any]
Progress = Callable[[int, int], None]
METRICS = SUMMARY_COLUMNS
_CHUNKS_PER_WORKER = 8  # enough chunks for steady progress and balanced threads


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The outcome of :func:`sweep`: one row per valid combination, best first.

    ``table`` has one column per grid parameter and one per metric in ``METRICS``, sorted
    by ``metric`` (best first, NaN last, ties in grid order). ``skipped`` counts
    combinations the strategy refused and ``excluded`` those the ``constraint`` removed.
    """

    table: pd.DataFrame
    metric: str
    maximize: bool
    parameters: tuple[str, ...]
    skipped: int
    excluded: int
    seconds: float

    @property
    def best(self) -> Params:
        """Return the parameters of the best row whose metric is a number."""
        row = self._best_row()
        return {name: plain(self.table[name].iloc[row]) for name in self.parameters}

    @property
    def best_value(self) -> float:
        """Return the metric of the best row."""
        return float(self.table[self.metric].iloc[self._best_row()])

    def heatmap(self, x: str, y: str, metric: str | None = None) -> pd.DataFrame:
        """Pivot ``metric`` (default: the sweep's) with ``y`` values as rows and ``x`` as columns.

        When the grid has more parameters, each cell holds the best value over the others.
        Cells of refused combinations are NaN.
        """
        value = metric or self.metric
        check_metric(value)
        for axis in (x, y):
            if axis not in self.parameters:
                raise ValidationError(
                    f"heatmap axis {axis!r} is not a swept parameter; "
                    f"choose from {', '.join(self.parameters)}"
                )
        if x == y:
            raise ValidationError("heatmap needs two different parameters for x and y")
        return self.table.pivot_table(
            index=y,
            columns=x,
            values=value,
            aggfunc="max" if self.maximize else "min",
            dropna=False,
        )

    def _best_row(self) -> int:
        finite = np.flatnonzero(np.isfinite(self.table[self.metric].to_numpy(np.float64)))
        if len(finite) == 0:
            raise ValidationError(
                f"no combination produced a finite {self.metric}; "
                "widen the grid, lengthen the history or choose another metric"
            )
        return int(finite[0])


def sweep(
    strategy: StrategyRef | Strategy[Any],
    bars: Bars | Mapping[str, Bars],
    grid: Mapping[str, Sequence[Any]],
    *,
    metric: str = "sharpe",
    maximize: bool = True,
    workers: int | None = None,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    constraint: Callable[[Params], bool] | None = None,
    **run_options: Any,
) -> SweepResult:
    """Backtest every combination of ``grid`` and return them sorted by ``metric``.

    Conventions are those of :func:`quantdesk.backtest.run`, whose keyword options
    (``commission``, ``fill``, ``size`` ...) pass through ``run_options`` unchanged; a row
    equals ``run(strategy, bars, params, **run_options).metrics`` for its parameters.
    Combinations the strategy's parameter checks refuse (``fast >= slow`` for
    ``sma_cross``) are skipped and counted, as are those ``constraint(params)`` rejects.
    ``workers`` threads (default: one per CPU) take chunks of ``chunk_size`` combinations;
    ``progress(done, total)`` is called after each chunk. A strategy instance contributes
    its parameters as defaults the grid overrides.

    Example:
        >>> import numpy as np
        >>> from quantdesk.bars import Bars
        >>> close = 100 + np.sin(np.arange(600) / 15) * 10
        >>> bars = Bars.from_arrays(np.arange(600) * 86_400 * 10**9, close, close + 1,
        ...                         close - 1, close, np.ones(600), symbol="DEMO")
        >>> result = sweep("sma_cross", bars, {"fast": [5, 10, 40], "slow": [20, 40]})
        >>> len(result.table), result.skipped
        (4, 2)
    """
    started = time.perf_counter()
    check_metric(metric)
    cls = strategy_class(strategy)
    options = backtest_options(run_options)
    names, combinations = expand(cls, grid)
    base = base_parameters(strategy)
    valid, skipped, excluded = _admit(cls, base, combinations, constraint)
    rows = _run(cls, to_columns(bars), valid, options, workers, chunk_size, progress)
    return SweepResult(
        table=_table(names, rows, metric, maximize),
        metric=metric,
        maximize=maximize,
        parameters=names,
        skipped=skipped,
        excluded=excluded,
        seconds=time.perf_counter() - started,
    )


def sweep_chunk(
    strategy: StrategyRef,
    bars_columns: Mapping[str, BarColumns],
    combos: Sequence[Mapping[str, Any]],
    options: BacktestOptions,
    cache: IndicatorCache | None = None,
) -> list[Params]:
    """Backtest each parameter set in ``combos`` and return one row per set, in order.

    A row is the parameter set plus the ``METRICS`` values. Everything here is plain data
    (a strategy name, arrays by symbol from :func:`~quantdesk.backtest._evaluation.to_columns`,
    dicts and frozen options), so the call can run in another process or on another
    machine. Pass one ``cache`` to chunks running side by side in threads.
    """
    evaluate = Evaluator(strategy, from_columns(bars_columns), options, cache)
    rows = []
    for params in combos:
        values = evaluate(params).tolist()
        rows.append({**params, **dict(zip(METRICS, values, strict=True))})
    return rows


def expand(
    cls: type[Strategy[Any]], grid: Mapping[str, Sequence[Any]]
) -> tuple[tuple[str, ...], list[Params]]:
    """Return the parameter names and every combination, the last parameter varying fastest."""
    if not isinstance(grid, Mapping) or not grid:
        raise ValidationError(
            "grid must map parameter names to lists of values, e.g. {'fast': [5, 10]}"
        )
    for name, values in grid.items():
        check_parameter(cls, name, "grid")
        if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
            raise ValidationError(f"grid values of {name!r} must be a list, range or array")
        if len(values) == 0:
            raise ValidationError(f"grid values of {name!r} are empty; give at least one value")
    names = tuple(grid)
    lists = [[plain(value) for value in grid[name]] for name in names]
    return names, [dict(zip(names, values, strict=True)) for values in itertools.product(*lists)]


def _admit(
    cls: type[Strategy[Any]],
    base: Params,
    combinations: list[Params],
    constraint: Callable[[Params], bool] | None,
) -> tuple[list[Params], int, int]:
    valid, refused, excluded = [], [], 0
    for combination in combinations:
        if constraint is not None and not constraint(combination):
            excluded += 1
            continue
        params = {**base, **combination}
        try:
            cls.validate(params)
        except ValidationError as error:
            refused.append(error.message)
            continue
        valid.append(params)
    if not valid:
        reason = f"; {cls.name} refused them, e.g. {refused[0]}" if refused else ""
        raise ValidationError(f"no combination of the grid can run{reason}")
    return valid, len(refused), excluded


def _run(
    cls: type[Strategy[Any]],
    columns: Mapping[str, BarColumns],
    combos: list[Params],
    options: BacktestOptions,
    workers: int | None,
    chunk_size: int | None,
    progress: Progress | None,
) -> list[Params]:
    threads = _positive(workers, "workers") or os.cpu_count() or 1
    size = _positive(chunk_size, "chunk_size") or math.ceil(
        len(combos) / (threads * _CHUNKS_PER_WORKER)
    )
    chunks = [combos[i : i + size] for i in range(0, len(combos), size)]
    cache = IndicatorCache()
    with ThreadPoolExecutor(max_workers=min(threads, len(chunks))) as pool:
        futures = [pool.submit(sweep_chunk, cls, columns, c, options, cache) for c in chunks]
        try:
            _follow(futures, len(combos), progress)
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
    return [row for future in futures for row in future.result()]


def _follow(futures: list[Future[list[Params]]], total: int, progress: Progress | None) -> None:
    # raise the first failure as soon as it happens; report progress as chunks finish
    done = 0
    for future in as_completed(futures):
        done += len(future.result())
        if progress is not None:
            progress(done, total)


def _table(names: tuple[str, ...], rows: list[Params], metric: str, maximize: bool) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame.from_records(rows, columns=[*names, *METRICS])
    frame["number_of_trades"] = frame["number_of_trades"].astype(np.int64)
    ordered = frame.sort_values(metric, ascending=not maximize, na_position="last", kind="stable")
    return ordered.reset_index(drop=True)


def _positive(value: int | None, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value
