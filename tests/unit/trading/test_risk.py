"""Pre-trade risk rules: each rejects with its name and numbers, exits pass loss caps."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from quantdesk.trading.orders import OrderStatus, Side
from quantdesk.trading.protections import Lock
from quantdesk.trading.risk import (
    RiskContext,
    RiskLimits,
    RiskRejectedError,
    Session,
    TradingHours,
    cancel_all,
    check_order,
)
from quantdesk.trading.state import Accepted, transition
from tests.fixtures.trading import T0, at, make_order

BUY_10 = make_order(quantity=10)


def _context(limits: dict[str, Any], **fields: Any) -> RiskContext:
    return RiskContext(limits=RiskLimits(**limits), now=T0, price=Decimal(100), **fields)


def _rejected(order: Any, context: RiskContext) -> RiskRejectedError:
    with pytest.raises(RiskRejectedError) as info:
        check_order(order, context)
    assert info.value.code == "risk_rejected"
    return info.value


@pytest.mark.parametrize(
    ("limits", "fields", "rule", "limit", "actual"),
    [
        ({"max_order_value": 999}, {}, "max_order_value", "999", "1000"),
        (
            {"max_position_value": 1500},
            {"position": Decimal(6)},
            "max_position_value",
            "1500",
            "1600",
        ),
        (
            {"max_gross_exposure": 5000},
            {"gross_exposure": Decimal(4500)},
            "max_gross_exposure",
            "5000",
            "5500",
        ),
        ({"max_open_orders": 3}, {"open_orders": 3}, "max_open_orders", "3", "4"),
        ({"daily_loss_limit": 200}, {"daily_pnl": Decimal(-250)}, "daily_loss_limit", "200", "250"),
    ],
)
def test_check_order_over_limit_rejects_with_rule_and_numbers(
    limits: dict[str, Any], fields: dict[str, Any], rule: str, limit: str, actual: str
) -> None:
    error = _rejected(BUY_10, _context(limits, **fields))

    assert error.rule == rule
    assert (error.details["limit"], error.details["actual"]) == (limit, actual)
    assert limit in error.message


def test_check_order_within_every_limit_passes() -> None:
    limits = {
        "max_order_value": 1000,
        "max_position_value": 1000,
        "max_gross_exposure": 1000,
        "max_open_orders": 1,
        "max_orders_per_minute": 1,
        "daily_loss_limit": 100,
        "allowed_symbols": {"AAPL"},
    }
    check_order(BUY_10, _context(limits))


def test_check_order_exit_passes_loss_and_exposure_caps() -> None:
    sell = make_order(side=Side.SELL, quantity=10)
    limits = {"daily_loss_limit": 100, "max_position_value": 10, "max_gross_exposure": 10}

    check_order(sell, _context(limits, position=Decimal(10), daily_pnl=Decimal(-500)))


def test_check_order_rate_counts_only_the_last_minute() -> None:
    recent = [at(-2), at(-0.5), at(-0.1)]
    limits = {"max_orders_per_minute": 3}

    check_order(BUY_10, _context(limits, recent_orders=recent[:2]))
    error = _rejected(BUY_10, _context({"max_orders_per_minute": 2}, recent_orders=recent))
    assert (error.rule, error.details["actual"]) == ("max_orders_per_minute", "3")


def test_check_order_kill_switch_blocks_even_exits() -> None:
    sell = make_order(side=Side.SELL)

    assert (
        _rejected(sell, _context({"kill_switch": True}, position=Decimal(10))).rule == "kill_switch"
    )


def test_check_order_symbol_not_allowed_lists_allowed() -> None:
    error = _rejected(BUY_10, _context({"allowed_symbols": {"MSFT", "SPY"}}))

    assert error.message == "AAPL is not an allowed symbol; allowed: MSFT, SPY"


def test_check_order_outside_trading_hours_rejects() -> None:
    hours = TradingHours(
        timezone="America/New_York", sessions=(Session(start=time(9, 30), end=time(16)),)
    )
    check_order(BUY_10, _context({"trading_hours": hours}))  # 09:30 New York, a Monday

    late = RiskContext(
        limits=RiskLimits(trading_hours=hours), now=T0 + timedelta(hours=7), price=Decimal(1)
    )
    assert _rejected(BUY_10, late).rule == "trading_hours"


def test_check_order_locked_symbol_blocks_entry_not_exit() -> None:
    lock = Lock("cooldown", "symbol", "AAPL", at(30), "stop-out")
    context = _context({}, locks=[lock])

    assert _rejected(BUY_10, context).rule == "protection"
    check_order(make_order("o2", symbol="MSFT"), context)
    check_order(make_order(side=Side.SELL), _context({}, locks=[lock], position=Decimal(10)))


def test_cancel_all_cancels_working_orders_only() -> None:
    working = transition(make_order("a"), Accepted(at(0)))
    orders = [working, make_order("b"), make_order("c", status=OrderStatus.FILLED)]

    cancelled = cancel_all(orders, at(1))

    assert [o.client_order_id for o in cancelled] == ["a", "b"]
    assert {o.status for o in cancelled} == {OrderStatus.CANCELLED}
    assert cancelled[0].reason == "kill switch"
