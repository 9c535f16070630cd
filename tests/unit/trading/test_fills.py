"""The fill rules facade: the engine's prices on the same bars, and each order type's rule."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from quantdesk.backtest import BacktestOptions, Commission, Slippage, run_signals
from quantdesk.backtest.options import IntrabarPolicy
from quantdesk.errors import ValidationError
from quantdesk.trading.fills import (
    Bar,
    FillRules,
    as_triggered,
    is_triggered,
    match,
    match_exit,
    next_extreme,
    trailing_level,
)
from quantdesk.trading.money import as_decimal, quantize
from quantdesk.trading.orders import OrderType, Side
from tests.fixtures.backtest import price_bars, signals_at
from tests.fixtures.trading import make_order

POLICIES: tuple[IntrabarPolicy, ...] = ("pessimistic", "optimistic", "ohlc_path")
BAR = Bar.of(100.0, 101.0, 99.0, 100.5)
PLAIN = FillRules()


def _random_case(rng: np.random.Generator) -> dict[str, object]:
    o, c = np.round(rng.uniform(85.0, 115.0, 2), 2)
    high = round(max(o, c) + float(rng.choice([0.0, rng.uniform(0, 8)])), 2)
    low = round(min(o, c) - float(rng.choice([0.0, rng.uniform(0, 8)])), 2)
    long = bool(rng.integers(2))
    sign = 1.0 if long else -1.0
    return {
        "bar": (float(o), high, low, float(c)),
        "long": long,
        "stop": round(100.0 - sign * float(rng.uniform(1, 12)), 2),
        "target": round(100.0 + sign * float(rng.uniform(1, 12)), 2),
        "trail": float(rng.choice([np.nan, rng.uniform(0.01, 0.1)])),
        "slippage": Slippage(
            bps=float(rng.choice([0, 5])), ticks=float(rng.integers(2)), tick_size=0.01
        ),
        "commission": Commission(fraction=0.001, fixed=float(rng.choice([0.0, 1.0]))),
        "policy": POLICIES[int(rng.integers(3))],
    }


def _engine_trade(case: dict[str, object]) -> np.void | None:
    o, h, low, c = case["bar"]  # type: ignore[misc]
    bars = price_bars([100.0, 100.0, o], [100.0, 100.0, h], [100.0, 100.0, low], [100.0, 100.0, c])
    side = {"entries": [0]} if case["long"] else {"short_entries": [0]}
    levels = {
        "stop_loss": np.array([case["stop"], np.nan, np.nan]),
        "take_profit": np.array([case["target"], np.nan, np.nan]),
    }
    trail = case["trail"]
    options = BacktestOptions(
        slippage=case["slippage"],  # type: ignore[arg-type]
        commission=case["commission"],  # type: ignore[arg-type]
        intrabar=case["policy"],  # type: ignore[arg-type]
        allow_short=True,
        trailing_stop=None if np.isnan(trail) else trail,  # type: ignore[arg-type]
    )
    trades = run_signals(bars, signals_at(3, **side, **levels), options).trades
    return trades[0] if len(trades) else None


def test_match_exit_random_bars_equals_engine_prices() -> None:
    rng = np.random.default_rng(7)
    exits = 0
    for _ in range(400):
        case = _random_case(rng)
        trade = _engine_trade(case)
        rules = FillRules(case["commission"], case["slippage"], case["policy"])  # type: ignore[arg-type]
        entry = match(
            make_order(side=Side.BUY if case["long"] else Side.SELL),
            Bar.of(100, 100, 100, 100),
            rules,
        )
        assert entry is not None
        trail = case["trail"]
        found = match_exit(
            Side.BUY if case["long"] else Side.SELL,
            Bar.of(*case["bar"]),  # type: ignore[arg-type]
            rules,
            stop=as_decimal(case["stop"]),  # type: ignore[arg-type]
            target=as_decimal(case["target"]),  # type: ignore[arg-type]
            trail_fraction=None if np.isnan(trail) else as_decimal(trail),  # type: ignore[arg-type]
            extreme=entry.price,
        )
        if trade is None:
            assert found is None, case
            continue
        exits += 1
        assert found is not None, case
        assert entry.price == quantize(as_decimal(float(trade["entry_price"])))
        assert found.price == quantize(as_decimal(float(trade["exit_price"]))), case
        assert (found.reason, found.ambiguous) == (trade["exit_reason"], bool(trade["ambiguous"]))
        fees = rules.fees(as_decimal(float(trade["quantity"])), found.price)
        assert float(fees) == pytest.approx(float(trade["exit_fees"]), rel=1e-9)
    assert exits > 150


@pytest.mark.parametrize(
    ("side", "order_type", "level", "bar", "price"),
    [
        (Side.SELL, OrderType.STOP, "99.5", (100.0, 101.0, 99.0, 100.0), "99.5"),
        (Side.SELL, OrderType.STOP, "99.5", (98.0, 99.0, 97.0, 98.0), "98"),
        (Side.BUY, OrderType.STOP, "100.8", (100.0, 101.0, 99.0, 100.0), "100.8"),
        (Side.BUY, OrderType.LIMIT, "99.2", (100.0, 101.0, 99.0, 100.0), "99.2"),
        (Side.BUY, OrderType.LIMIT, "99.2", (98.0, 99.0, 97.0, 98.0), "98"),
        (Side.SELL, OrderType.LIMIT, "100.9", (100.0, 101.0, 99.0, 100.0), "100.9"),
        (Side.SELL, OrderType.LIMIT, "102", (100.0, 101.0, 99.0, 100.0), None),
        (Side.BUY, OrderType.STOP, "102", (100.0, 101.0, 99.0, 100.0), None),
    ],
)
def test_match_resting_order_fills_at_level_or_gap_open(
    side: Side, order_type: OrderType, level: str, bar: tuple[float, ...], price: str | None
) -> None:
    key = "limit_price" if order_type is OrderType.LIMIT else "stop_price"
    order = make_order(side=side, order_type=order_type, **{key: level})

    found = match(order, Bar.of(*bar), PLAIN)

    assert (found.price if found else None) == (Decimal(price) if price else None)


def test_match_market_order_fills_at_open_with_slippage_against_it() -> None:
    rules = FillRules(slippage=Slippage(bps=10, ticks=1, tick_size=0.01))

    buy = match(make_order(side=Side.BUY), BAR, rules)
    sell = match(make_order(side=Side.SELL), BAR, rules)

    assert buy is not None
    assert sell is not None
    assert (buy.price, sell.price) == (Decimal("100.11"), Decimal("99.89"))


def test_match_stop_limit_within_limit_fills_at_trigger() -> None:
    order = make_order(order_type=OrderType.STOP_LIMIT, stop_price="100.5", limit_price="100.7")

    found = match(order, BAR, PLAIN)

    assert found is not None
    assert found.price == Decimal("100.5")


def test_match_stop_limit_gap_past_limit_waits_then_rests_as_limit() -> None:
    order = make_order(order_type=OrderType.STOP_LIMIT, stop_price="100.5", limit_price="100.7")
    gap = Bar.of(102.0, 103.0, 101.0, 102.5)

    assert match(order, gap, PLAIN) is None
    assert is_triggered(order, gap)
    resting = as_triggered(order)
    assert resting.type is OrderType.LIMIT
    assert match(resting, Bar.of(101.0, 101.0, 100.6, 100.8), PLAIN) is not None


def test_match_stop_limit_gap_then_back_to_limit_fills_at_limit() -> None:
    order = make_order(order_type=OrderType.STOP_LIMIT, stop_price="100.5", limit_price="100.7")

    found = match(order, Bar.of(101.0, 101.5, 100.2, 100.4), PLAIN)

    assert found is not None
    assert found.price == Decimal("100.7")


def test_trailing_stop_follows_extreme_and_fills_at_level() -> None:
    order = make_order(side=Side.SELL, order_type=OrderType.TRAILING_STOP, trail_amount="2")
    extreme = next_extreme(order, Decimal(100), Bar.of(100.0, 104.0, 99.0, 103.0))

    assert extreme == Decimal(104)
    assert trailing_level(order, extreme) == Decimal(102)
    found = match(order, Bar.of(103.0, 103.5, 101.0, 101.5), PLAIN, extreme=extreme)
    assert found is not None
    assert (found.price, found.reason) == (Decimal(102), "trailing_stop")


def test_trailing_stop_without_extreme_raises_naming_it() -> None:
    order = make_order(side=Side.SELL, order_type=OrderType.TRAILING_STOP, trail_percent="0.02")

    with pytest.raises(ValidationError, match="needs extreme"):
        match(order, BAR, PLAIN)


def test_fill_rules_fees_are_fraction_of_value_plus_fixed() -> None:
    rules = FillRules(commission=Commission(fraction=0.001, fixed=1.0))

    assert rules.fees(Decimal(10), Decimal("100.5")) == Decimal("2.005")


def test_fill_rules_unknown_policy_raises() -> None:
    with pytest.raises(ValidationError, match="intrabar must be one of"):
        FillRules(intrabar="random")  # type: ignore[arg-type]
