"""The paper path: an order accepted by the in-process book first and stored after.

A fill the broker reports before the order is stored waits in the event consumer until the
order is stored, and is then booked once: order filled, one fill row, the position equal
to the fill.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from quantdesk.brokers.paper import PaperBroker
from quantdesk.db.models import Fill, Order, Position, User
from quantdesk.ports.broker import Broker
from quantdesk.runtime import Runtime
from quantdesk.services import orders
from quantdesk.services.trading_runtime import TradingEngine
from quantdesk.trading.fills import Bar, FillRules
from tests.fixtures.orders import eventually
from tests.fixtures.users import MakeUser

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _engine(runtime: Runtime, broker: Broker) -> TradingEngine:
    async def factory(_user_id: int, _mode: str, _ctx: object) -> Broker:
        return broker

    return TradingEngine(runtime.context, factory)


async def _prepared(runtime: Runtime, user: User, client_order_id: str) -> orders.Prepared:
    async with runtime.context() as ctx:
        return await orders.prepare_paper(
            ctx,
            user.id,
            mode="paper",
            account="default",
            symbol="AAPL",
            client_order_ids=(client_order_id,),
        )


async def _stored(runtime: Runtime) -> tuple[str | None, int | None, Decimal | None]:
    async with runtime.context() as ctx:
        order = await ctx.session.scalar(select(Order).where(Order.client_order_id == "early"))
        fills = await ctx.session.scalar(select(func.count()).select_from(Fill))
        position = await ctx.session.scalar(select(Position.quantity))
    return None if order is None else order.status, fills, position


async def test_paper_order_filled_before_it_is_stored_is_booked_once_after(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    broker = PaperBroker(FillRules())
    engine = _engine(runtime, broker)
    await engine.broker(user.id)
    try:
        prepared = await _prepared(runtime, user, "early")
        request = orders.OrderRequest("early", "AAPL", "buy", Decimal(5))
        sent = await orders.send_to_book(broker, broker, prepared, request)
        assert isinstance(sent, orders.Sent)
        broker.on_bar("AAPL", Bar.of(100.0, 101.0, 99.0, 100.5))
        await asyncio.sleep(0.3)  # the consumer meets the fill of an order not stored yet
        async with runtime.context() as ctx:
            stored = await orders.store_sent(ctx, prepared, sent)
        assert stored.order.status == "accepted"

        async def booked() -> bool:
            return (await _stored(runtime))[0] == "filled"

        await eventually(booked)
        await asyncio.sleep(0.2)  # a repeated event would be booked by now
        assert await _stored(runtime) == ("filled", 1, Decimal(5))
    finally:
        await engine.close()


async def test_paper_order_stored_id_returns_first_order_without_sending(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    broker = PaperBroker(FillRules())
    await broker.connect()
    request = orders.OrderRequest("again", "AAPL", "buy", Decimal(5))
    prepared = await _prepared(runtime, user, "again")
    sent = await orders.send_to_book(broker, broker, prepared, request)
    assert isinstance(sent, orders.Sent)
    async with runtime.context() as ctx:
        first = await orders.store_sent(ctx, prepared, sent)
    repeated = await orders.send_to_book(
        broker, broker, await _prepared(runtime, user, "again"), request
    )
    assert isinstance(repeated, orders.Submitted)
    assert (repeated.order.id, repeated.created) == (first.order.id, False)
    assert broker.working_count() == 1
