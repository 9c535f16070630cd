"""Stops, targets and trailing stops against each bar's range, and the intrabar policy."""

from __future__ import annotations

import numpy as np
import pytest

from quantdesk.backtest import BacktestOptions, run_signals
from tests.fixtures.backtest import price_bars, signals_at

FLAT = [100.0] * 5


def _bars(bar2: tuple[float, float, float, float]) -> object:
    opens, highs, lows, closes = ([100.0] * 5 for _ in range(4))
    opens[2], highs[2], lows[2], closes[2] = bar2
    return price_bars(opens, highs, lows, closes)


def _one_trade(bars: object, **options: object) -> np.void:
    result = run_signals(bars, signals_at(5, entries=[0]), BacktestOptions(**options))  # type: ignore[arg-type]
    (trade,) = result.trades
    return trade


def test_stop_loss_touched_exits_at_level() -> None:
    trade = _one_trade(_bars((100.0, 101.0, 94.0, 98.0)), stop_loss=0.05)
    assert (trade["exit_index"], trade["exit_price"], trade["exit_reason"]) == (
        2,
        95.0,
        "stop_loss",
    )


def test_stop_loss_gap_through_exits_at_open() -> None:
    trade = _one_trade(_bars((90.0, 91.0, 89.0, 90.0)), stop_loss=0.05)
    assert (trade["exit_price"], trade["exit_reason"]) == (90.0, "stop_loss")


def test_take_profit_touched_exits_at_level() -> None:
    trade = _one_trade(_bars((100.0, 111.0, 99.0, 105.0)), take_profit=0.1)
    assert trade["exit_price"] == pytest.approx(110.0)
    assert trade["exit_reason"] == "take_profit"


def test_take_profit_gap_through_exits_at_open() -> None:
    trade = _one_trade(_bars((115.0, 116.0, 114.0, 115.0)), take_profit=0.1)
    assert trade["exit_price"] == 115.0


@pytest.mark.parametrize(
    ("policy", "bar_close", "price", "reason"),
    [
        ("pessimistic", 105.0, 95.0, "stop_loss"),
        ("optimistic", 105.0, 110.0, "take_profit"),
        ("ohlc_path", 105.0, 95.0, "stop_loss"),
        ("ohlc_path", 96.0, 110.0, "take_profit"),
    ],
)
def test_both_levels_in_one_bar_follow_policy(
    policy: str, bar_close: float, price: float, reason: str
) -> None:
    bars = _bars((100.0, 111.0, 94.0, bar_close))
    result = run_signals(
        bars,
        signals_at(5, entries=[0]),
        BacktestOptions(stop_loss=0.05, take_profit=0.1, intrabar=policy),  # type: ignore[arg-type]
    )
    (trade,) = result.trades
    assert trade["exit_price"] == pytest.approx(price)
    assert trade["exit_reason"] == reason
    assert trade["ambiguous"]
    assert result.metrics.trades.ambiguous_trades == 1


def test_short_stop_and_target_mirror_long() -> None:
    options = BacktestOptions(allow_short=True, stop_loss=0.05, take_profit=0.1)
    bars = _bars((100.0, 106.0, 99.0, 100.0))
    result = run_signals(bars, signals_at(5, short_entries=[0]), options)
    (trade,) = result.trades
    assert (trade["side"], trade["exit_reason"]) == (-1, "stop_loss")
    assert trade["exit_price"] == pytest.approx(105.0)
    bars = _bars((100.0, 101.0, 89.0, 95.0))
    (trade,) = run_signals(bars, signals_at(5, short_entries=[0]), options).trades
    assert trade["exit_price"] == pytest.approx(90.0)
    assert trade["exit_reason"] == "take_profit"


def test_trailing_stop_follows_previous_high() -> None:
    opens = [100.0, 100.0, 115.0, 100.0, 100.0]
    highs = [100.0, 120.0, 116.0, 100.0, 100.0]
    lows = [100.0, 99.0, 107.0, 100.0, 100.0]
    trade = _one_trade(price_bars(opens, highs, lows, opens), trailing_stop=0.1)
    assert (trade["exit_index"], trade["exit_reason"]) == (2, "trailing_stop")
    assert trade["exit_price"] == pytest.approx(108.0)


def test_stop_checked_on_entry_bar_after_open_fill() -> None:
    bars = price_bars(FLAT, [100.0] * 5, [100.0, 94.0, 100.0, 100.0, 100.0], FLAT)
    trade = _one_trade(bars, stop_loss=0.05)
    assert (trade["entry_index"], trade["exit_index"], trade["bars_held"]) == (1, 1, 0)


def test_fill_close_ignores_entry_bar_range() -> None:
    bars = price_bars(FLAT, [100.0] * 5, [94.0, 100.0, 94.0, 100.0, 100.0], FLAT)
    trade = _one_trade(bars, stop_loss=0.05, fill="close")
    assert (trade["entry_index"], trade["exit_index"]) == (0, 2)


def test_strategy_stop_level_overrides_fraction() -> None:
    levels = np.full(5, np.nan)
    levels[0] = 97.0
    bars = _bars((100.0, 101.0, 96.0, 98.0))
    signals = signals_at(5, entries=[0], stop_loss=levels)
    result = run_signals(bars, signals, BacktestOptions(stop_loss=0.05))
    assert result.trades["exit_price"][0] == 97.0


def test_stop_with_slippage_fills_worse_than_level() -> None:
    trade = _one_trade(_bars((100.0, 101.0, 94.0, 98.0)), stop_loss=0.05, slippage=100.0)
    assert trade["entry_price"] == pytest.approx(101.0)
    assert trade["exit_price"] == pytest.approx(101.0 * 0.95 * 0.99)
