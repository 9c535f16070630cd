"""Fills booked by the service: a fill reported twice counts once; positions equal the fills."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from quantdesk.brokers.paper import PaperBroker
from quantdesk.db.models import Fill as FillRow
from quantdesk.db.models import Position
from quantdesk.runtime import Runtime
from quantdesk.services import fills, orders
from quantdesk.trading.fills import FillRules
from quantdesk.trading.orders import Fill, Side
from tests.fixtures.users import MakeUser

pytestmark = pytest.mark.asyncio(loop_scope="session")

AT = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)


def _fill(fill_id: str, quantity: str, price: str) -> Fill:
    return Fill(fill_id, "c1", "AAPL", Side.BUY, Decimal(quantity), Decimal(price), AT)


async def test_fill_reported_twice_counts_once(runtime: Runtime, make_user: MakeUser) -> None:
    user = await make_user()
    broker = PaperBroker(FillRules())
    await broker.connect()
    request = orders.OrderRequest("c1", "AAPL", "buy", Decimal(10))
    async with runtime.context() as ctx:
        ctx.actor = user
        await orders.submit_order(ctx, broker, request)
    applied = []
    for fill in (_fill("F1", "4", "100"), _fill("F1", "4", "100"), _fill("F2", "6", "101")):
        async with runtime.context() as ctx:
            applied.append(await fills.apply_fill(ctx, user.id, fill))
    assert applied == [True, False, True]
    async with runtime.context() as ctx:
        count = await ctx.session.scalar(select(func.count()).select_from(FillRow))
        position = await ctx.session.scalar(select(Position).where(Position.user_id == user.id))
    assert count == 2
    assert position is not None
    assert (position.quantity, position.cost_basis) == (Decimal(10), Decimal(1006))
