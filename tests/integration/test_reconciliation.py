"""Reconciliation: orders a crash or a silent broker left unsettled are settled, never lost.

A broker that answers too late, and whose event stream is gone, stands in for a live adapter
whose submit timed out: it holds the order, but the service heard nothing and stored it
``unknown``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from quantdesk.brokers.paper import PaperBroker
from quantdesk.db.models import Order, StrategyEvent, User
from quantdesk.errors import ConflictError
from quantdesk.ports.broker import Broker, BrokerEvent, ConnectionState, OrderUpdate
from quantdesk.runtime import Runtime
from quantdesk.services import orders
from quantdesk.services.reconciliation import reconcile
from quantdesk.services.trading_runtime import TradingEngine
from quantdesk.trading.fills import FillRules
from quantdesk.trading.orders import Order as LibraryOrder
from quantdesk.trading.orders import Side
from tests.fixtures.users import MakeUser

pytestmark = pytest.mark.asyncio(loop_scope="session")

SETTLED = timedelta(0)


class LateBroker:
    """A live broker's stand-in: it keeps every order it gets, but answers after the timeout."""

    name = "late"

    def __init__(self, delay: float = 0.0) -> None:
        self.book = PaperBroker(FillRules())
        self.delay = delay

    @property
    def state(self) -> ConnectionState:
        return self.book.state

    async def connect(self) -> None:
        await self.book.connect()

    async def close(self) -> None:
        await self.book.close()

    async def submit(self, order: LibraryOrder) -> OrderUpdate:
        update = await self.book.submit(order)
        await asyncio.sleep(self.delay)
        return update

    async def cancel(self, client_order_id: str) -> OrderUpdate:
        return await self.book.cancel(client_order_id)

    async def modify(self, client_order_id: str, **changes: Decimal | None) -> OrderUpdate:
        return await self.book.modify(client_order_id, **changes)

    async def open_orders(self) -> list[OrderUpdate]:
        return await self.book.open_orders()

    async def positions(self) -> list:  # type: ignore[type-arg]  # the port's own list type
        return await self.book.positions()

    async def account(self):  # type: ignore[no-untyped-def]  # the port's own account type
        return await self.book.account()

    async def events(self) -> AsyncIterator[BrokerEvent]:
        # the connection that would report the acknowledgement was lost with the answer
        lost: tuple[BrokerEvent, ...] = ()
        for event in lost:
            yield event


def _engine(runtime: Runtime, broker: Broker) -> TradingEngine:
    async def factory(_user_id: int, _mode: str, _ctx: object) -> Broker:
        return broker

    return TradingEngine(runtime.context, factory)


async def _submit(runtime: Runtime, user: User, broker: Broker, client_order_id: str) -> None:
    request = orders.OrderRequest(client_order_id, "AAPL", "buy", Decimal(5))
    async with runtime.context() as ctx:
        ctx.actor = user
        await orders.submit_order(ctx, broker, request)


async def _order(runtime: Runtime, client_order_id: str) -> Order:
    async with runtime.context() as ctx:
        row = await ctx.session.scalar(
            select(Order).where(Order.client_order_id == client_order_id)
        )
    assert row is not None
    return row


async def _user_events(runtime: Runtime, user: User) -> Sequence[StrategyEvent]:
    async with runtime.context() as ctx:
        statement = select(StrategyEvent).where(StrategyEvent.user_id == user.id)
        return list(await ctx.session.scalars(statement.order_by(StrategyEvent.id)))


async def _stored_new(runtime: Runtime, user: User, client_order_id: str) -> None:
    """What a crash between committing the order and calling the broker leaves behind."""

    class CrashError(Exception):
        pass

    class CrashingBroker(LateBroker):
        async def submit(self, order: LibraryOrder) -> OrderUpdate:
            raise CrashError

    with pytest.raises(CrashError):
        await _submit(runtime, user, CrashingBroker(), client_order_id)


async def test_submit_broker_times_out_order_unknown_never_rejected(
    runtime: Runtime, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(orders, "BROKER_TIMEOUT_SECONDS", 0.05)
    user = await make_user()
    await _submit(runtime, user, LateBroker(delay=0.5), "slow")
    row = await _order(runtime, "slow")
    assert row.status == "unknown"
    assert [entry["status"] for entry in row.status_history] == ["new", "unknown"]


async def test_reconcile_unknown_order_broker_holds_it_becomes_accepted(
    runtime: Runtime, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(orders, "BROKER_TIMEOUT_SECONDS", 0.05)
    user = await make_user()
    broker = LateBroker(delay=0.5)
    await broker.connect()
    await _submit(runtime, user, broker, "slow")
    engine = _engine(runtime, broker)
    try:
        async with runtime.context() as ctx:
            [outcome] = await reconcile(ctx, engine, grace=SETTLED)
    finally:
        await engine.close()
    assert (await _order(runtime, "slow")).status == "accepted"
    assert (outcome.differences, outcome.unmatched) == (1, 0)
    assert [event.type for event in await _user_events(runtime, user)] == ["order_settled"]


async def test_reconcile_at_startup_new_manual_order_sent_again_to_paper_broker(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    await _stored_new(runtime, user, "crashed")
    assert (await _order(runtime, "crashed")).status == "new"
    broker = PaperBroker(FillRules())
    engine = _engine(runtime, broker)
    try:
        async with runtime.context() as ctx:
            [outcome] = await reconcile(ctx, engine, startup=True)
        held = [update.client_order_id for update in await broker.open_orders()]
    finally:
        await engine.close()
    assert held == ["crashed"]
    assert (await _order(runtime, "crashed")).status == "accepted"
    assert (outcome.differences, outcome.unmatched) == (1, 0)
    [event] = await _user_events(runtime, user)
    assert (event.type, event.deployment_id, event.strategy_id) == ("order_restored", None, None)
    assert event.details["client_order_id"] == "crashed"


async def test_reconcile_at_startup_new_order_live_broker_lacks_it_becomes_unknown(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    await _stored_new(runtime, user, "lost")
    engine = _engine(runtime, LateBroker())
    try:
        async with runtime.context() as ctx:
            [outcome] = await reconcile(ctx, engine, startup=True)
    finally:
        await engine.close()
    assert (await _order(runtime, "lost")).status == "unknown"
    assert (outcome.differences, outcome.unmatched) == (1, 1)
    assert [event.type for event in await _user_events(runtime, user)] == [
        "order_missing_at_broker"
    ]


async def test_reconcile_broker_order_not_stored_is_reported_unknown_here(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    broker = PaperBroker(FillRules())
    engine = _engine(runtime, broker)
    try:
        await engine.broker(user.id, "paper")
        await broker.submit(LibraryOrder("elsewhere", "MSFT", Side.BUY, Decimal(1)))
        async with runtime.context() as ctx:
            [outcome] = await reconcile(ctx, engine, grace=SETTLED)
    finally:
        await engine.close()
    assert (outcome.differences, outcome.unmatched) == (1, 1)
    [event] = await _user_events(runtime, user)
    assert (event.type, event.details["client_order_id"]) == ("order_unknown_here", "elsewhere")


async def test_submit_retried_after_crash_returns_stored_order(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    await _stored_new(runtime, user, "retry")
    broker = PaperBroker(FillRules())
    await broker.connect()
    request = orders.OrderRequest("retry", "AAPL", "buy", Decimal(5))
    async with runtime.context() as ctx:
        ctx.actor = user
        again = await orders.submit_order(ctx, broker, request)
        with pytest.raises(ConflictError):
            await orders.submit_order(
                ctx, broker, orders.OrderRequest("retry", "AAPL", "sell", Decimal(1))
            )
    assert (again.created, again.order.client_order_id) == (False, "retry")
    assert await broker.open_orders() == []
