"""Parameter sweeps: rows equal single backtests, refused combinations skipped, order stable."""

from __future__ import annotations

import math
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pytest

from quantdesk.backtest import BacktestOptions
from quantdesk.backtest._evaluation import IndicatorCache, to_columns
from quantdesk.backtest.sweep import METRICS, sweep, sweep_chunk
from quantdesk.errors import ValidationError
from quantdesk.strategies import get
from tests.fixtures.backtest import synthetic_bars
from tests.fixtures.sweeps import Breakout, Momentum, single_metrics

BARS = synthetic_bars(3_000, seed=7)
GRID = {"fast": [5, 10, 20], "slow": [10, 30, 60]}


def _assert_rows_match(result: Any, strategy: Any, bars: Any, **options: Any) -> None:
    for row in result.table.to_dict("records"):
        params = {name: row[name] for name in result.parameters}
        expected = single_metrics(strategy, bars, params, **options)
        for name in METRICS:
            assert row[name] == pytest.approx(expected[name], rel=1e-9, abs=1e-9, nan_ok=True), (
                params,
                name,
            )


def test_sweep_rows_equal_single_backtests_within_1e9() -> None:
    options = {"commission": 0.001, "slippage": 2.0, "allow_short": True}
    result = sweep("sma_cross", BARS, GRID, workers=2, chunk_size=2, **options)
    assert len(result.table) == 7
    _assert_rows_match(result, "sma_cross", BARS, **options)


def test_sweep_strategy_without_cached_indicators_with_stop_levels_equals_runs() -> None:
    result = sweep(Breakout, BARS, {"window": [10, 40], "hold": [3, 9]}, take_profit=0.01)
    _assert_rows_match(result, Breakout, BARS, take_profit=0.01)
    assert (result.table["number_of_trades"] > 0).all()


def test_sweep_several_symbols_equals_portfolio_runs() -> None:
    portfolio = {"A": synthetic_bars(1_500, seed=1, symbol="A"), "B": BARS[500:2_500]}
    result = sweep("ema_cross", portfolio, {"fast": [5, 12], "slow": [26]}, commission=0.0005)
    _assert_rows_match(result, "ema_cross", portfolio, commission=0.0005)


def test_sweep_refused_combinations_are_skipped_and_counted() -> None:
    result = sweep("sma_cross", BARS, GRID)
    pairs = set(zip(result.table["fast"], result.table["slow"], strict=True))
    assert pairs == {(f, s) for f in GRID["fast"] for s in GRID["slow"] if f < s}
    assert result.skipped == 2
    assert result.excluded == 0


def test_sweep_constraint_excludes_combinations_without_running_them() -> None:
    result = sweep("sma_cross", BARS, GRID, constraint=lambda p: p["slow"] >= 3 * p["fast"])
    assert set(zip(result.table["fast"], result.table["slow"], strict=True)) == {
        (5, 30),
        (5, 60),
        (10, 30),
        (10, 60),
        (20, 60),
    }
    assert (result.excluded, result.skipped) == (4, 0)


def test_sweep_table_is_sorted_best_first_with_nan_last() -> None:
    flat = synthetic_bars(400, seed=3)
    result = sweep("sma_cross", flat, {"fast": [5, 10], "slow": [20, 300, 399]})
    values = result.table["sharpe"].to_numpy()
    finite = values[np.isfinite(values)]
    assert np.all(np.diff(finite) <= 0)
    assert np.isnan(values[len(finite) :]).all()
    assert len(finite) < len(values)
    assert result.best_value == finite[0]
    assert result.best == {
        "fast": int(result.table["fast"].iloc[0]),
        "slow": int(result.table["slow"].iloc[0]),
    }


def test_sweep_minimise_sorts_ascending() -> None:
    result = sweep("sma_cross", BARS, GRID, metric="max_drawdown", maximize=False)
    assert np.all(np.diff(result.table["max_drawdown"].to_numpy()) >= 0)


def test_sweep_same_grid_gives_same_table_for_any_workers_and_chunks() -> None:
    first = sweep("sma_cross", BARS, GRID, workers=1).table
    second = sweep("sma_cross", BARS, GRID, workers=2, chunk_size=1).table
    assert first.equals(second)


def test_sweep_ties_keep_grid_order() -> None:
    # slow beyond the history never trades: every row ties at a zero return
    result = sweep(
        "sma_cross", BARS[:200], {"fast": [7, 5, 6], "slow": [500]}, metric="total_return"
    )
    assert result.table["fast"].tolist() == [7, 5, 6]


def test_sweep_progress_is_reported_per_chunk_up_to_total() -> None:
    calls: list[tuple[int, int]] = []
    sweep(
        "sma_cross", BARS, GRID, workers=2, chunk_size=2, progress=lambda d, t: calls.append((d, t))
    )
    done = [count for count, _ in calls]
    assert len(done) == 4  # chunks of 2, 2, 2 and 1
    assert done == sorted(done)
    assert done[-1] == 7
    assert {total for _, total in calls} == {7}


def test_sweep_chunk_computes_each_average_once() -> None:
    cache = IndicatorCache()
    combos = [{"fast": f, "slow": s} for f in (5, 10) for s in (20, 30, 40)]
    rows = sweep_chunk("sma_cross", to_columns(BARS), combos, BacktestOptions(), cache)
    assert len(rows) == 6
    assert len(cache) == 5  # periods 5, 10, 20, 30, 40


def test_sweep_chunk_runs_in_another_process_with_the_same_rows() -> None:
    combos = [{"fast": 5, "slow": 20}, {"fast": 10, "slow": 40}]
    arguments = ("sma_cross", to_columns(BARS), combos, BacktestOptions(commission=0.001))
    assert pickle.loads(pickle.dumps(sweep_chunk)) is sweep_chunk  # noqa: S301  (our own bytes)
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        remote = pool.submit(sweep_chunk, *arguments).result()
    assert remote == sweep_chunk(*arguments)


def test_sweep_instance_parameters_are_defaults_the_grid_overrides() -> None:
    strategy = get("sma_cross")(fast=5, slow=60)
    result = sweep(strategy, BARS, {"fast": [10, 20]})
    assert result.parameters == ("fast",)
    expected = single_metrics("sma_cross", BARS, {"fast": 10, "slow": 60})
    row = result.table.set_index("fast").loc[10]
    assert row["total_return"] == pytest.approx(expected["total_return"], rel=1e-12)


def test_sweep_heatmap_pivots_metric_by_two_parameters() -> None:
    result = sweep("sma_cross", BARS, GRID)
    grid = result.heatmap("fast", "slow")
    assert grid.index.tolist() == [10, 30, 60]
    assert grid.columns.tolist() == [5, 10, 20]
    row = result.table[(result.table["fast"] == 10) & (result.table["slow"] == 60)]
    assert grid.loc[60, 10] == row["sharpe"].iloc[0]
    assert math.isnan(grid.loc[10, 20])  # refused: fast above slow


@pytest.mark.parametrize(
    ("grid", "options", "fragment"),
    [
        ({"fsat": [5]}, {}, "'fsat' is not a parameter of sma_cross"),
        ({"fast": []}, {}, "are empty"),
        ({"fast": "5"}, {}, "must be a list"),
        ({"fast": [50], "slow": [20]}, {}, "fast (50) must be below slow (20)"),
        (GRID, {"comission": 0.1}, "unknown backtest option(s) comission"),
        (GRID, {"metric": "profit"}, "metric must be one of"),
        (GRID, {"workers": 0}, "workers must be a whole number"),
    ],
)
def test_sweep_bad_input_names_the_fix(
    grid: dict[str, Any], options: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ValidationError) as error:
        sweep("sma_cross", BARS, grid, **options)
    assert fragment in error.value.message


def test_sweep_best_without_finite_metric_raises() -> None:
    result = sweep("sma_cross", BARS[:100], {"fast": [5], "slow": [200]})
    with pytest.raises(ValidationError, match="no combination produced a finite sharpe"):
        _ = result.best


def test_sweep_heatmap_unknown_axis_names_the_parameters() -> None:
    result = sweep("sma_cross", BARS, GRID)
    with pytest.raises(ValidationError, match="choose from fast, slow"):
        result.heatmap("fast", "period")


def test_sweep_strategy_failure_in_one_chunk_raises_naming_the_strategy() -> None:
    # lookback 0 divides by an empty slice inside the strategy
    with pytest.raises(ValidationError, match="strategy test_momentum failed on SYN"):
        sweep(Momentum, BARS, {"lookback": [5, 10, 0, 20]}, workers=2, chunk_size=1)
