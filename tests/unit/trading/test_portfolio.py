"""Portfolio at average cost: positions, realised and unrealised P&L, cash, days, sizing, ticks."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from quantdesk.errors import ValidationError
from quantdesk.trading.instruments import check_order_steps, check_price, check_quantity
from quantdesk.trading.orders import Side
from quantdesk.trading.portfolio import Portfolio
from quantdesk.trading.sizing import size_by_risk
from tests.fixtures.trading import at, make_fill, make_order


def _fill(side: Side, quantity: int, price: str, fill_id: str, fee: str = "0", minutes: float = 1):
    return make_fill(
        make_order(side=side), quantity, price, fill_id=fill_id, commission=fee, minutes=minutes
    )


def test_portfolio_buys_average_cost_and_partial_sell_books_realised() -> None:
    book = Portfolio(Decimal(10_000))
    book.apply_fill(_fill(Side.BUY, 10, "100", "a", fee="1"))
    book.apply_fill(_fill(Side.BUY, 10, "110", "b", fee="1"))
    book.apply_fill(_fill(Side.SELL, 5, "120", "c", fee="1"))

    position = book.positions["AAPL"]
    assert position.quantity == Decimal(15)
    assert position.average_price == Decimal(105)
    assert position.realized_pnl == Decimal(75 - 3)
    assert book.cash == Decimal(10_000 - 1000 - 1100 + 600 - 3)
    assert position.unrealized_pnl == Decimal(15 * 15)
    assert book.equity - book.initial_cash == book.realized_pnl + book.unrealized_pnl


def test_portfolio_sell_through_zero_opens_short_at_fill_price() -> None:
    book = Portfolio(Decimal(10_000))
    book.apply_fill(_fill(Side.BUY, 10, "100", "a"))
    book.apply_fill(_fill(Side.SELL, 15, "90", "b"))

    position = book.positions["AAPL"]
    assert (position.quantity, position.average_price) == (Decimal(-5), Decimal(90))
    assert position.realized_pnl == Decimal(-100)
    assert book.gross_exposure == Decimal(450)
    assert book.net_exposure == Decimal(-450)


def test_portfolio_same_fill_twice_applies_once() -> None:
    book = Portfolio(Decimal(1_000))
    fill = _fill(Side.BUY, 1, "100", "dup", fee="1")

    assert book.apply_fill(fill) is True
    assert book.apply_fill(fill) is False
    assert book.cash == Decimal(899)
    assert len(book.ledger) == 2
    assert sum(e.amount for e in book.ledger) == book.cash - book.initial_cash


def test_portfolio_thirds_close_exactly_to_zero_basis() -> None:
    book = Portfolio(Decimal(1_000))
    book.apply_fill(_fill(Side.BUY, 3, "10", "a"))
    for i in range(3):
        book.apply_fill(_fill(Side.SELL, 1, "11", f"s{i}"))

    position = book.positions["AAPL"]
    assert (position.quantity, position.cost_basis, position.realized_pnl) == (0, 0, 3)


def test_portfolio_daily_pnl_counts_from_last_equity_before_local_midnight() -> None:
    book = Portfolio(Decimal(1_000), timezone="America/New_York", at=at(0))
    book.apply_fill(_fill(Side.BUY, 1, "100", "a"))
    book.mark("AAPL", Decimal(110), datetime(2024, 3, 4, 20, 0, tzinfo=UTC))
    assert book.daily_pnl(datetime(2024, 3, 4, 23, 0, tzinfo=UTC)) == Decimal(10)

    next_day = datetime(2024, 3, 5, 6, 0, tzinfo=UTC)  # 01:00 in New York
    book.mark("AAPL", Decimal(105), next_day)
    assert book.daily_pnl(next_day) == Decimal(-5)
    book.mark("AAPL", Decimal(100), datetime(2024, 3, 5, 15, 0, tzinfo=UTC))
    assert book.daily_pnl(datetime(2024, 3, 5, 15, 0, tzinfo=UTC)) == Decimal(-10)


def test_portfolio_unknown_timezone_raises_naming_it() -> None:
    with pytest.raises(ValidationError, match="'Mars/Base' is not a known IANA zone"):
        Portfolio(Decimal(1), timezone="Mars/Base")


def test_size_by_risk_loses_the_fraction_at_the_stop() -> None:
    assert size_by_risk(Decimal(10_000), Decimal(100), Decimal(95), Decimal("0.01")) == 20
    assert (
        size_by_risk(Decimal(10_000), Decimal(100), Decimal(97), Decimal("0.01"), Decimal(10)) == 30
    )
    assert size_by_risk(Decimal(10_000), Decimal(50), Decimal(55), Decimal("0.02")) == 40


def test_size_by_risk_stop_equal_entry_raises() -> None:
    with pytest.raises(ValidationError, match="entry and stop must be positive and differ"):
        size_by_risk(Decimal(1_000), Decimal(10), Decimal(10), Decimal("0.01"))


def test_check_price_off_tick_names_field_and_nearest_values() -> None:
    with pytest.raises(ValidationError) as info:
        check_price(Decimal("100.015"), Decimal("0.01"), "limit_price")

    assert info.value.message == (
        "limit_price 100.015 is not a multiple of the tick size 0.01; "
        "the nearest valid values are 100.01 and 100.02"
    )


def test_check_quantity_and_order_steps_on_grid_pass_off_grid_raise() -> None:
    check_quantity(Decimal(200), Decimal(100))
    check_order_steps(make_order(quantity=200), Decimal("0.01"), Decimal(100))
    with pytest.raises(ValidationError, match="quantity 150 is not a multiple of the lot size 100"):
        check_quantity(Decimal(150), Decimal(100))
