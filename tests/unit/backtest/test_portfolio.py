"""Several symbols on one grid: missing bars, shared cash and the per-position cap."""

from __future__ import annotations

import numpy as np
import pytest

from quantdesk.backtest import BacktestOptions, EquityFraction, run_signals
from quantdesk.errors import ValidationError
from tests.fixtures.backtest import DAY_NS, price_bars, signals_at
from tests.fixtures.market_data import START_NS


def _pair() -> dict[str, object]:
    return {
        "A": price_bars([10.0, 11.0, 12.0, 13.0, 14.0], symbol="A"),
        "B": price_bars([20.0, 30.0, 40.0], symbol="B", days=[0, 2, 4]),
    }


def test_portfolio_grid_is_union_of_timestamps() -> None:
    result = run_signals(_pair(), {"A": signals_at(5), "B": signals_at(3)})  # type: ignore[arg-type]
    np.testing.assert_array_equal(result.timestamps, START_NS + np.arange(5) * DAY_NS)
    assert len(result.equity) == 5


def test_portfolio_signal_fills_at_symbols_next_own_bar() -> None:
    signals = {"A": signals_at(5), "B": signals_at(3, entries=[0])}
    result = run_signals(_pair(), signals)  # type: ignore[arg-type]
    (position,) = result.positions
    assert (position["symbol"], position["entry_index"], position["entry_price"]) == ("B", 2, 30.0)


def test_portfolio_missing_bar_values_at_last_close() -> None:
    signals = {"A": signals_at(5), "B": signals_at(3, entries=[0])}
    result = run_signals(_pair(), signals)  # type: ignore[arg-type]
    quantity = 10_000 / 30
    np.testing.assert_allclose(result.equity[2:], [10_000.0, 10_000.0, quantity * 40])


def test_portfolio_shares_cash_between_symbols() -> None:
    signals = {"A": signals_at(5, entries=[1]), "B": signals_at(3, entries=[0])}
    options = BacktestOptions(size=EquityFraction(0.5))
    result = run_signals(_pair(), signals, options)  # type: ignore[arg-type]
    spent = result.positions["quantity"] * result.positions["entry_price"]
    np.testing.assert_allclose(spent, [5_000.0, 5_000.0])
    assert result.cash[2] == pytest.approx(0.0, abs=1e-9)


def test_portfolio_all_in_first_symbol_leaves_nothing_for_second() -> None:
    signals = {"A": signals_at(5, entries=[1]), "B": signals_at(3, entries=[0])}
    result = run_signals(_pair(), signals)  # type: ignore[arg-type]
    assert list(result.positions["symbol"]) == ["A"]


def test_portfolio_max_position_caps_each_symbol() -> None:
    signals = {"A": signals_at(5, entries=[1]), "B": signals_at(3, entries=[0])}
    options = BacktestOptions(max_position=0.25)
    result = run_signals(_pair(), signals, options)  # type: ignore[arg-type]
    spent = result.positions["quantity"] * result.positions["entry_price"]
    np.testing.assert_allclose(spent, [2_500.0, 2_500.0])


def test_portfolio_exit_frees_cash_for_entry_on_same_bar() -> None:
    signals = {"A": signals_at(5, entries=[0], exits=[1]), "B": signals_at(3, entries=[0])}
    result = run_signals(_pair(), signals)  # type: ignore[arg-type]
    (trade,) = result.trades
    (position,) = result.positions
    assert (trade["symbol"], trade["exit_index"]) == ("A", 2)
    assert position["quantity"] * position["entry_price"] == pytest.approx(10_000 / 11 * 12)


def test_portfolio_benchmark_splits_cash_equally() -> None:
    result = run_signals(_pair(), {"A": signals_at(5), "B": signals_at(3)})  # type: ignore[arg-type]
    expected_last = 5_000 / 10 * 14 + 5_000 / 20 * 40
    assert result.benchmark[-1] == pytest.approx(expected_last)
    assert result.benchmark[1] == pytest.approx(5_000 / 10 * 11 + 5_000)


def test_portfolio_repeated_timestamp_names_symbol_and_fix() -> None:
    bars = price_bars([10.0, 11.0, 12.0], symbol="A", days=[0, 1, 1])
    with pytest.raises(ValidationError, match=r"timestamps of A must increase strictly"):
        run_signals(bars, signals_at(3))
