"""The paper broker's hooks for the platform: who to tell about an accepted order, which
symbols still have working orders, and positions restored after a restart."""

from __future__ import annotations

from decimal import Decimal

from quantdesk.brokers.paper import PaperBroker
from quantdesk.trading.fills import Bar, FillRules
from quantdesk.trading.orders import OrderType
from tests.fixtures.trading import at, make_order

D = Decimal


async def test_paper_accepted_order_tells_on_accept_its_symbol_and_rejected_does_not() -> None:
    told: list[str] = []
    broker = PaperBroker(FillRules(), on_accept=told.append)
    await broker.connect()
    await broker.submit(make_order("a", symbol="MSFT"))
    await broker.submit(make_order("a", symbol="AAPL"))  # a repeated id is rejected
    assert told == ["MSFT"]


async def test_paper_working_symbols_follow_resting_orders_until_they_fill() -> None:
    broker = PaperBroker(FillRules())
    await broker.connect()
    await broker.submit(make_order("m", symbol="MSFT"))
    await broker.submit(make_order("l", order_type=OrderType.LIMIT, limit_price=50))
    assert broker.working_symbols() == {"MSFT", "AAPL"}
    broker.on_bar("MSFT", Bar.of(10.0, 11.0, 9.0, 10.5), at=at())
    broker.on_bar("AAPL", Bar.of(100.0, 101.0, 99.0, 100.0), at=at())
    assert broker.working_symbols() == {"AAPL"}


async def test_paper_restore_position_books_it_at_average_price_with_cash_unchanged() -> None:
    broker = PaperBroker(FillRules(), cash=D(10_000))
    restored = broker.restore_position("AAPL", D(-5), D(180), restore_id="restore-x-AAPL")
    again = broker.restore_position("AAPL", D(-5), D(180), restore_id="restore-x-AAPL")
    (position,) = await broker.positions()
    account = await broker.account()
    assert (restored, again) == (True, False)
    assert (position.symbol, position.quantity, position.average_price) == ("AAPL", D(-5), D(180))
    assert (account.cash, account.equity) == (D(10_000), D(10_000) - 5 * D(180))
