"""A bracket's stored exits follow the broker's events for their entry and for each other."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import cast

import pytest

from quantdesk.brokers.paper import PaperBroker
from quantdesk.db.models import User
from quantdesk.db.repositories.orders import OrderRepository
from quantdesk.errors import ValidationError
from quantdesk.ports.broker import Broker, BrokerEvent, OrderUpdate
from quantdesk.runtime import Runtime
from quantdesk.services import fills, order_brackets, orders
from quantdesk.services.reconciliation import reconcile
from quantdesk.services.trading_runtime import TradingEngine
from quantdesk.trading.fills import Bar, FillRules
from quantdesk.trading.orders import Fill, OrderStatus, Side
from tests.fixtures.users import MakeUser

pytestmark = pytest.mark.asyncio(loop_scope="session")

AT = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
REQUEST = orders.OrderRequest(
    "b1",
    "AAPL",
    "buy",
    Decimal(10),
    type="limit",
    limit_price=Decimal(100),
    stop_loss=Decimal(95),
    take_profit=Decimal(110),
)


async def _submitted(runtime: Runtime, user: User) -> None:
    broker = PaperBroker(FillRules())
    await broker.connect()
    async with runtime.context() as ctx:
        ctx.actor = user
        await order_brackets.submit_bracket(ctx, broker, REQUEST)


async def _apply(runtime: Runtime, user: User, event: BrokerEvent) -> None:
    async with runtime.context() as ctx:
        await fills.apply_broker_event(ctx, user.id, event)


async def _exits(runtime: Runtime, user: User) -> list[tuple[str, Decimal, str | None]]:
    async with runtime.context() as ctx:
        repository = OrderRepository(ctx.session)
        entry = await repository.get_by_client_id(user.id, "b1")
        assert entry is not None
        children = await repository.children(entry.id)
    return [(row.status, row.quantity, row.reason) for row in children]


def _fill(client_order_id: str, side: Side, quantity: int, price: int) -> BrokerEvent:
    fill = Fill(
        "F-" + client_order_id, client_order_id, "AAPL", side, Decimal(quantity), Decimal(price), AT
    )
    return BrokerEvent(fill=fill)


def _update(client_order_id: str, status: OrderStatus, reason: str) -> BrokerEvent:
    return BrokerEvent(update=OrderUpdate(client_order_id, status, AT, reason=reason))


async def test_entry_cancelled_after_partial_fill_leaves_exits_for_what_filled(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    await _submitted(runtime, user)
    await _apply(runtime, user, _fill("b1", Side.BUY, 4, 100))
    await _apply(runtime, user, _update("b1", OrderStatus.CANCELLED, "cancelled on request"))

    assert await _exits(runtime, user) == [
        ("accepted", Decimal(4), None),
        ("accepted", Decimal(4), None),
    ]


async def test_entry_expired_unfilled_cancels_its_exits(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    await _submitted(runtime, user)
    await _apply(runtime, user, _update("b1", OrderStatus.EXPIRED, "DAY order expired"))

    assert await _exits(runtime, user) == [
        ("cancelled", Decimal(10), "entry expired"),
        ("cancelled", Decimal(10), "entry expired"),
    ]


async def test_exit_fill_cancels_its_sibling_and_the_brokers_cancel_changes_nothing(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    await _submitted(runtime, user)
    await _apply(runtime, user, _fill("b1", Side.BUY, 10, 100))
    await _apply(runtime, user, _fill("b1:tp", Side.SELL, 10, 110))
    await _apply(runtime, user, _update("b1:sl", OrderStatus.CANCELLED, "OCO: b1:tp filled"))

    assert await _exits(runtime, user) == [
        ("cancelled", Decimal(10), "oco"),
        ("filled", Decimal(10), None),
    ]


async def test_broker_without_brackets_is_refused_before_anything_is_stored(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    plain = cast(Broker, SimpleNamespace(name="plain"))
    async with runtime.context() as ctx:
        ctx.actor = user
        with pytest.raises(ValidationError, match="the plain broker takes no brackets") as raised:
            await order_brackets.submit_bracket(ctx, plain, REQUEST)
        assert raised.value.details == {"field": "stop_loss"}
        assert await OrderRepository(ctx.session).get_by_client_id(user.id, "b1") is None


async def _restarted(runtime: Runtime) -> PaperBroker:
    """A fresh paper broker that start-up reconciliation has given the stored working orders."""
    broker = PaperBroker(FillRules())

    async def factory(_user_id: int, _mode: str, _ctx: object) -> Broker:
        return broker

    engine = TradingEngine(runtime.context, factory)
    try:
        async with runtime.context() as ctx:
            await reconcile(ctx, engine, startup=True)
    finally:
        await engine.close()
    await broker.connect()
    return broker


async def test_restart_exits_of_a_working_entry_wait_for_it_again(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    await _submitted(runtime, user)

    broker = await _restarted(runtime)

    assert [broker.order(i).parent_client_order_id for i in ("b1", "b1:sl", "b1:tp")] == [
        None,
        "b1",
        "b1",
    ]
    await broker.cancel("b1")
    assert [broker.order(i).status for i in ("b1:sl", "b1:tp")] == [OrderStatus.CANCELLED] * 2


async def test_restart_exits_of_a_filled_entry_work_on_their_own_and_stay_paired(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    await _submitted(runtime, user)
    await _apply(runtime, user, _fill("b1", Side.BUY, 10, 100))

    broker = await _restarted(runtime)
    broker.on_bar("AAPL", Bar.of(97.0, 98.0, 94.0, 95.5))

    assert broker.order("b1:sl").average_fill_price == Decimal(95)
    assert broker.order("b1:tp").status is OrderStatus.CANCELLED
