"""Fill timing, costs, sizing, shorts and validation of the backtest engine."""

from __future__ import annotations

import numpy as np
import pytest

from quantdesk.backtest import (
    BacktestOptions,
    Commission,
    EquityFraction,
    FixedCash,
    FixedQuantity,
    Slippage,
    VolatilityTarget,
    run,
    run_signals,
)
from quantdesk.errors import NotFoundError, ValidationError
from quantdesk.strategies import get
from tests.fixtures.backtest import price_bars, signals_at, synthetic_bars

PRICES = [10.0, 11.0, 12.0, 13.0, 14.0]


def test_run_signals_next_open_fills_at_following_open() -> None:
    result = run_signals(price_bars(PRICES), signals_at(5, entries=[1], exits=[3]))
    (trade,) = result.trades
    assert (trade["entry_index"], trade["exit_index"]) == (2, 4)
    assert (trade["entry_price"], trade["exit_price"]) == (12.0, 14.0)
    assert trade["pnl"] == pytest.approx(10_000 / 12 * 2)
    assert trade["bars_held"] == 2
    assert trade["exit_reason"] == "signal"


def test_run_signals_fill_close_fills_at_signal_close() -> None:
    options = BacktestOptions(fill="close")
    result = run_signals(price_bars(PRICES), signals_at(5, entries=[1], exits=[3]), options)
    (trade,) = result.trades
    assert (trade["entry_index"], trade["entry_price"]) == (1, 11.0)
    assert (trade["exit_index"], trade["exit_price"]) == (3, 13.0)


def test_run_signals_signal_on_last_bar_is_not_acted_on() -> None:
    result = run_signals(price_bars(PRICES), signals_at(5, entries=[4]))
    assert len(result.trades) == 0
    assert len(result.positions) == 0
    np.testing.assert_array_equal(result.equity, 10_000.0)


def test_run_signals_open_position_is_reported_not_closed() -> None:
    result = run_signals(price_bars(PRICES), signals_at(5, entries=[0]))
    assert len(result.trades) == 0
    (position,) = result.positions
    assert position["quantity"] == pytest.approx(10_000 / 11)
    assert position["last_price"] == 14.0
    assert position["unrealised_pnl"] == pytest.approx(10_000 / 11 * 3)
    assert result.equity[-1] == pytest.approx(10_000 / 11 * 14)


def test_run_signals_exit_with_entry_on_same_bar_does_not_enter() -> None:
    result = run_signals(price_bars(PRICES), signals_at(5, entries=[1], exits=[1]))
    assert len(result.trades) == 0
    assert len(result.positions) == 0


def test_run_signals_entry_while_long_does_not_add() -> None:
    result = run_signals(price_bars(PRICES), signals_at(5, entries=[0, 1, 2], exits=[3]))
    (trade,) = result.trades
    assert trade["quantity"] == pytest.approx(10_000 / 11)


def test_run_signals_commission_charges_fraction_and_fixed_per_order() -> None:
    options = BacktestOptions(commission=Commission(fraction=0.01, fixed=5.0))
    result = run_signals(price_bars(PRICES), signals_at(5, entries=[1], exits=[3]), options)
    quantity = (10_000 - 5) / 1.01 / 12
    (trade,) = result.trades
    assert trade["quantity"] == pytest.approx(quantity)
    assert trade["entry_fees"] == pytest.approx(quantity * 12 * 0.01 + 5)
    assert trade["exit_fees"] == pytest.approx(quantity * 14 * 0.01 + 5)
    assert result.equity[-1] == pytest.approx(quantity * 14 * 0.99 - 5)


@pytest.mark.parametrize(
    ("slippage", "buy", "sell"),
    [(100.0, 12.12, 13.86), (Slippage(ticks=2, tick_size=0.05), 12.10, 13.90)],
)
def test_run_signals_slippage_worsens_both_fills(
    slippage: float | Slippage, buy: float, sell: float
) -> None:
    options = BacktestOptions(slippage=slippage)
    result = run_signals(price_bars(PRICES), signals_at(5, entries=[1], exits=[3]), options)
    (trade,) = result.trades
    assert trade["entry_price"] == pytest.approx(buy)
    assert trade["exit_price"] == pytest.approx(sell)


@pytest.mark.parametrize(
    ("size", "quantity"),
    [
        (FixedQuantity(100), 100.0),
        (FixedCash(1_200), 100.0),
        (EquityFraction(0.5), 5_000 / 12),
        (FixedQuantity(10_000), 10_000 / 12),
    ],
    ids=["fixed-quantity", "fixed-cash", "equity-fraction", "capped-by-cash"],
)
def test_run_signals_sizing_sets_quantity(size: object, quantity: float) -> None:
    options = BacktestOptions(size=size)  # type: ignore[arg-type]
    result = run_signals(price_bars(PRICES), signals_at(5, entries=[1], exits=[3]), options)
    assert result.trades["quantity"][0] == pytest.approx(quantity)


def test_run_signals_whole_units_rounds_down() -> None:
    result = run_signals(
        price_bars(PRICES), signals_at(5, entries=[1], exits=[3]), BacktestOptions(whole_units=True)
    )
    assert result.trades["quantity"][0] == 833.0


def test_run_signals_volatility_target_sizes_by_atr() -> None:
    n = 12
    bars = price_bars([100.0] * n, [101.0] * n, [99.0] * n, [100.0] * n)
    options = BacktestOptions(size=VolatilityTarget(risk=0.01, atr_period=3, atr_multiple=2.0))
    result = run_signals(bars, signals_at(n, entries=[1, 6]), options)
    (position,) = result.positions
    assert position["entry_index"] == 7
    assert position["quantity"] == pytest.approx(0.01 * 10_000 / (2.0 * 2.0))


def test_run_signals_short_profits_when_price_falls() -> None:
    falling = PRICES[::-1]
    options = BacktestOptions(allow_short=True)
    result = run_signals(
        price_bars(falling), signals_at(5, short_entries=[1], short_exits=[3]), options
    )
    (trade,) = result.trades
    assert trade["side"] == -1
    assert trade["pnl"] == pytest.approx(10_000 / 12 * 2)
    assert result.equity[-1] == pytest.approx(10_000 + 10_000 / 12 * 2)


def test_run_signals_short_entry_ignored_without_allow_short() -> None:
    result = run_signals(price_bars(PRICES), signals_at(5, short_entries=[1]))
    assert len(result.trades) == 0
    assert len(result.positions) == 0


def test_run_signals_short_entry_reverses_long_in_one_bar() -> None:
    options = BacktestOptions(allow_short=True)
    signals = signals_at(5, entries=[0], exits=[2], short_entries=[2])
    result = run_signals(price_bars(PRICES), signals, options)
    (trade,) = result.trades
    (position,) = result.positions
    assert trade["exit_index"] == 3
    assert position["entry_index"] == 3
    assert position["side"] == -1


def test_run_signals_leverage_allows_larger_position() -> None:
    options = BacktestOptions(leverage=2.0)
    result = run_signals(price_bars(PRICES), signals_at(5, entries=[1], exits=[3]), options)
    assert result.trades["quantity"][0] == pytest.approx(20_000 / 12)
    assert result.equity[-1] == pytest.approx(10_000 + 20_000 / 12 * 2)


def test_run_sma_cross_by_name_equals_instance() -> None:
    bars = synthetic_bars(3_000)
    by_name = run("sma_cross", bars, {"fast": 10, "slow": 40}, commission=0.001)
    by_instance = run(get("sma_cross")(fast=10, slow=40), bars, commission=0.001)
    np.testing.assert_array_equal(by_name.equity, by_instance.equity)
    assert len(by_name.trades) > 5


def test_run_unknown_strategy_raises_not_found() -> None:
    with pytest.raises(NotFoundError, match="strategy nope"):
        run("nope", synthetic_bars(100))


def test_run_params_with_instance_names_the_fix() -> None:
    with pytest.raises(ValidationError, match="set them on the Strategy instance"):
        run(get("sma_cross")(), synthetic_bars(100), {"fast": 5})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"commission": -0.1}, "commission fraction must be"),
        ({"commission": "1%"}, "commission must be a number"),
        ({"fill": "open"}, "fill must be one of 'next_open', 'close'"),
        ({"intrabar": "random"}, "intrabar must be one of"),
        ({"stop_loss": 1.5}, "stop_loss must be above 0 and below 1"),
        ({"take_profit": 0.0}, "take_profit must be above 0"),
        ({"size": 0.5}, "size must be one of AllIn"),
        ({"initial_cash": 0}, "initial_cash must be a finite number above 0"),
        ({"leverage": -1}, "leverage must be"),
        ({"max_position": float("nan")}, "max_position must be"),
    ],
)
def test_run_bad_option_names_field_and_fix(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        run("sma_cross", synthetic_bars(100), **options)  # type: ignore[arg-type]


def test_slippage_ticks_without_tick_size_names_the_fix() -> None:
    with pytest.raises(ValidationError, match="tick_size greater than 0"):
        Slippage(ticks=1)


def test_run_signals_wrong_length_names_symbol() -> None:
    with pytest.raises(ValidationError, match="signals for TEST have 4 values but its bars have 5"):
        run_signals(price_bars(PRICES), signals_at(4, entries=[1]))


def test_run_signals_several_symbols_need_a_mapping() -> None:
    bars = {"A": price_bars(PRICES, symbol="A"), "B": price_bars(PRICES, symbol="B")}
    with pytest.raises(ValidationError, match="one Signals per symbol"):
        run_signals(bars, signals_at(5, entries=[1]))
