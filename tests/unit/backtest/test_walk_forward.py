"""Walk-forward: training never sees test bars, equity carries over, windows tile the history."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from quantdesk.backtest import BacktestOptions, run_signals
from quantdesk.backtest.sweep import sweep
from quantdesk.backtest.walk_forward import (
    WalkForwardResult,
    liquidation_value,
    walk_forward,
    windows,
)
from quantdesk.bars import Bars
from quantdesk.errors import ValidationError
from tests.fixtures.backtest import price_bars, signals_at, synthetic_bars

BARS = synthetic_bars(2_400, seed=5)
GRID = {"fast": [5, 10, 20], "slow": [30, 60]}


def _rolled() -> WalkForwardResult:
    return walk_forward("sma_cross", BARS, GRID, train_bars=800, test_bars=400, commission=0.0005)


def test_windows_rolling_train_ends_where_test_starts_and_tests_tile() -> None:
    spans = windows(2_400, 800, 400, None, anchored=False)
    assert spans == [
        (0, 800, 1_200),
        (400, 1_200, 1_600),
        (800, 1_600, 2_000),
        (1_200, 2_000, 2_400),
    ]


def test_windows_anchored_train_always_starts_at_zero() -> None:
    spans = windows(2_400, 800, 400, 200, anchored=True)
    assert {start for start, _, _ in spans} == {0}
    assert [end for _, end, _ in spans] == [800, 1_000, 1_200, 1_400, 1_600, 1_800, 2_000]


def test_walk_forward_training_never_uses_test_bars() -> None:
    result = _rolled()
    for window in result.windows:
        assert window.train_start < window.train_end <= window.test_start < window.test_end
    # changing everything after the first training window leaves its choice untouched
    changed = synthetic_bars(2_400, seed=99)
    spliced = Bars.from_arrays(
        BARS.timestamps,
        *(np.concatenate((getattr(BARS, c)[:800], getattr(changed, c)[800:] * 0.5))
          for c in ("open", "high", "low", "close", "volume")),
        symbol="SYN",
    )  # fmt: skip
    other = walk_forward(
        "sma_cross", spliced, GRID, train_bars=800, test_bars=400, commission=0.0005
    )
    assert other.windows[0].params == result.windows[0].params
    assert other.windows[0].in_sample == result.windows[0].in_sample
    assert other.windows[0].out_of_sample != result.windows[0].out_of_sample


def test_walk_forward_in_sample_value_is_the_best_of_a_sweep_on_the_training_bars() -> None:
    result = _rolled()
    window = result.windows[1]
    train = BARS[window.train_start : window.train_end]
    swept = sweep("sma_cross", train, GRID, commission=0.0005)
    assert window.params == swept.best
    assert window.in_sample == swept.best_value


def test_walk_forward_each_test_window_starts_with_the_previous_final_equity() -> None:
    result = _rolled()
    assert result.windows[0].initial_equity == 10_000.0
    for before, after in zip(result.windows, result.windows[1:], strict=False):
        assert after.initial_equity == before.final_equity


def test_walk_forward_stitched_equity_covers_test_bars_and_ends_each_window_at_its_final() -> None:
    result = _rolled()
    assert len(result.equity) == 1_600
    np.testing.assert_array_equal(result.timestamps, BARS.timestamps[800:])
    ends = np.cumsum([w.test_end - w.test_start for w in result.windows]) - 1
    assert result.equity[ends].tolist() == [w.final_equity for w in result.windows]
    assert result.metrics.total_return == pytest.approx(result.equity[-1] / 10_000.0 - 1.0)


def test_walk_forward_efficiency_is_mean_out_of_sample_over_mean_in_sample() -> None:
    result = _rolled()
    inside = np.mean([w.in_sample for w in result.windows])
    outside = np.mean([w.out_of_sample for w in result.windows])
    assert result.efficiency == pytest.approx(outside / inside)
    table = result.table()
    assert table[["fast", "slow"]].to_dict("records") == [w.params for w in result.windows]


def test_walk_forward_test_window_trades_with_warmed_up_indicators() -> None:
    # the slow average needs 60 bars; a test window traded cold would wait that long
    result = walk_forward(
        "sma_cross", BARS, {"fast": [5], "slow": [60]}, train_bars=600, test_bars=300
    )
    first_entries = [r.trades["entry_index"].min() for r in result.results if len(r.trades)]
    assert min(first_entries) < 60


def test_walk_forward_optuna_method_is_reproducible() -> None:
    space = {"fast": (3, 20), "slow": (25, 80)}
    arguments = {"train_bars": 1_000, "test_bars": 700, "method": "optuna", "trials": 8}
    first = walk_forward("sma_cross", BARS, space, **arguments)
    second = walk_forward("sma_cross", BARS, space, **arguments)
    assert [w.params for w in first.windows] == [w.params for w in second.windows]
    assert len(first.windows) == 2


def test_liquidation_value_pays_exit_commission_and_slippage_on_open_positions() -> None:
    options = BacktestOptions(commission=0.01, slippage=100.0)
    bars = price_bars([10.0, 11.0, 12.0, 13.0, 14.0])
    result = run_signals(bars, signals_at(5, entries=[0]), options)
    (position,) = result.positions
    fill = 14.0 * 0.99
    quantity = position["quantity"]
    expected = result.equity[-1] - quantity * (14.0 - fill) - quantity * fill * 0.01
    assert liquidation_value(result) == pytest.approx(expected, rel=1e-12)


def test_liquidation_value_without_open_positions_is_final_equity() -> None:
    result = run_signals(price_bars([10.0, 11.0, 12.0]), signals_at(3, entries=[0], exits=[1]))
    assert liquidation_value(result) == result.equity[-1]


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ({"train_bars": 2_000, "test_bars": 500}, "do not fit one window"),
        ({"train_bars": 1, "test_bars": 500}, "train_bars must be a whole number"),
        ({"train_bars": 500, "test_bars": 500, "method": "bayes"}, "method must be"),
        ({"train_bars": 500, "test_bars": 500, "metric": "alpha"}, "metric must be one of"),
    ],
)
def test_walk_forward_bad_input_names_the_fix(arguments: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as error:
        walk_forward("sma_cross", BARS, GRID, **arguments)
    assert fragment in error.value.message
