"""Orders stored with the prepared INSERT read back as the session would have stored them."""

from __future__ import annotations

from decimal import Decimal

from quantdesk.db.models import Order
from quantdesk.db.repositories.orders import OrderRepository
from tests.fixtures.models import add_instrument, add_user
from tests.integration.conftest import Sessions


async def test_insert_new_fills_id_and_defaults_like_a_flush(sessions: Sessions) -> None:
    async with sessions() as session:
        user = await add_user(session)
        instrument = await add_instrument(session)
        row = Order(
            user_id=user.id,
            instrument_id=instrument.id,
            client_order_id="fast-1",
            side="buy",
            type="limit",
            quantity=Decimal("2.5"),
            limit_price=Decimal("101.25"),
            status="accepted",
            status_history=[{"status": "new", "at": None, "reason": "submitted"}],
        )

        await OrderRepository(session).insert_new(row)
        await session.commit()

    async with sessions() as session:
        stored = await OrderRepository(session).get(row.id)
        assert stored is not None
        for name in ("client_order_id", "quantity", "limit_price", "status", "status_history"):
            assert getattr(stored, name) == getattr(row, name)
        assert (row.filled_quantity, stored.filled_quantity) == (Decimal(0), Decimal(0))
        assert (row.time_in_force, row.mode, row.account) == ("DAY", "paper", "default")
        assert stored.created_at == row.created_at
        assert row.stop_price is None
        assert stored.stop_price is None
