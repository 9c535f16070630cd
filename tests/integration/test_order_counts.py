"""The order counts the database keeps agree with the orders, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quantdesk.db.models import Instrument, Order, OrderRate, User, WorkingOrderCount
from quantdesk.db.models.order_counts import RATE_BUCKETS_KEPT_SECONDS, WORKING_STATUSES
from quantdesk.db.repositories.order_checks import AccountFacts, OrderCheckRepository
from quantdesk.trading.orders import OrderStatus
from tests.fixtures.models import add_instrument, add_order, add_user
from tests.integration.conftest import Sessions

NOW = datetime(2026, 12, 7, 15, 30, 20, 600_000, tzinfo=UTC)


async def _working(session: AsyncSession) -> dict[tuple[int, str], int]:
    rows = await session.execute(
        select(WorkingOrderCount.user_id, WorkingOrderCount.mode, WorkingOrderCount.working)
    )
    return {(user, mode): working for user, mode, working in rows if working}


async def _working_counted(session: AsyncSession) -> dict[tuple[int, str], int]:
    rows = await session.execute(
        select(Order.user_id, Order.mode, func.count())
        .where(Order.status.in_(WORKING_STATUSES))
        .group_by(Order.user_id, Order.mode)
    )
    return {(user, mode): count for user, mode, count in rows}


async def _per_second(session: AsyncSession) -> dict[tuple[int, int], int]:
    rows = await session.execute(
        select(OrderRate.user_id, OrderRate.epoch_second, OrderRate.orders)
    )
    return {(user, second): orders for user, second, orders in rows if orders}


async def _per_second_counted(session: AsyncSession) -> dict[tuple[int, int], int]:
    counted: dict[tuple[int, int], int] = {}
    for user, created_at in await session.execute(select(Order.user_id, Order.created_at)):
        key = (user, int(created_at.timestamp() // 1))
        counted[key] = counted.get(key, 0) + 1
    return counted


async def test_counts_follow_every_insert_status_change_and_delete(sessions: Sessions) -> None:
    chance = random.Random(7)
    async with sessions() as session:
        users = [await add_user(session), await add_user(session)]
        instrument = await add_instrument(session)
        orders: list[Order] = []
        for step in range(120):
            action = chance.choice(["insert", "insert", "status", "delete"])
            if action == "insert" or not orders:
                at = NOW + timedelta(milliseconds=chance.randrange(0, 5_000))
                orders.append(
                    await add_order(
                        session,
                        chance.choice(users),
                        instrument,
                        mode=chance.choice(["paper", "live"]),
                        status=chance.choice(list(OrderStatus)).value,
                        created_at=at,
                    )
                )
            elif action == "status":
                order = chance.choice(orders)
                order.status = chance.choice(list(OrderStatus)).value
                await session.flush()
            else:
                order = orders.pop(chance.randrange(len(orders)))
                await session.execute(delete(Order).where(Order.id == order.id))
            if step % 10 == 9:
                await session.commit()  # PostgreSQL counts at the commit
                assert await _working(session) == await _working_counted(session)
                assert await _per_second(session) == await _per_second_counted(session)
        await session.commit()


async def test_bulk_status_update_moves_the_working_count(sessions: Sessions) -> None:
    async with sessions() as session:
        user = await add_user(session)
        instrument = await add_instrument(session)
        for _ in range(5):
            await add_order(session, user, instrument, status="accepted")
        await add_order(session, user, instrument, status="filled")
        await session.commit()
        assert await _working(session) == {(user.id, "paper"): 5}

        await session.execute(
            update(Order).where(Order.status == "accepted").values(status="cancelled")
        )
        await session.commit()

        assert await _working(session) == {}


async def _facts(
    session: AsyncSession, user: User, instrument: Instrument, now: datetime
) -> AccountFacts:
    return await OrderCheckRepository(session).facts(
        user_id=user.id,
        mode="paper",
        account="default",
        client_order_id="",
        symbol=instrument.symbol,
        exchange=instrument.exchange,
        day_start=now.replace(hour=0, minute=0, second=0, microsecond=0),
        now=now,
        since=now - timedelta(minutes=1),
    )


async def test_last_minute_is_exact_within_the_second_it_starts(sessions: Sessions) -> None:
    since = NOW - timedelta(minutes=1)
    offsets = [-1.5, -0.4, -0.1, 0.0, 0.05, 0.3, 0.39, 0.5, 2.0, 30.0, 59.9]
    async with sessions() as session:
        user, other = await add_user(session), await add_user(session)
        instrument = await add_instrument(session)
        for offset in offsets:
            at = since + timedelta(seconds=offset)
            await add_order(session, user, instrument, created_at=at, status="filled")
            await add_order(session, other, instrument, created_at=at)
        await session.commit()

        # after ``since`` (15:29:20.600), exclusive: .65, .9, .99, 21.1, 22.6, 50.6, 80.5
        assert (await _facts(session, user, instrument, NOW)).recent_orders == 7
        later = NOW + timedelta(seconds=1)
        assert (await _facts(session, user, instrument, later)).recent_orders == 3
        await session.commit()


async def test_working_count_reaches_the_facts(sessions: Sessions) -> None:
    async with sessions() as session:
        user = await add_user(session)
        instrument = await add_instrument(session)
        for status in ("new", "accepted", "partially_filled", "unknown", "filled", "rejected"):
            await add_order(session, user, instrument, status=status)
        await add_order(session, user, instrument, status="accepted", mode="live")
        await session.commit()

        facts = await _facts(session, user, instrument, NOW)

        assert facts.working_orders == 4
        await session.commit()


async def test_buckets_older_than_kept_go_with_the_next_order(sessions: Sessions) -> None:
    async with sessions() as session:
        user = await add_user(session)
        instrument = await add_instrument(session)
        old = NOW - timedelta(seconds=RATE_BUCKETS_KEPT_SECONDS + 5)
        await add_order(session, user, instrument, created_at=old)
        await add_order(session, user, instrument, created_at=NOW - timedelta(seconds=30))
        await session.commit()
        assert len(await _per_second(session)) == 2

        await add_order(session, user, instrument, created_at=NOW)
        await session.commit()

        seconds = sorted(second for _user, second in await _per_second(session))
        assert seconds == [int(NOW.timestamp()) - 30, int(NOW.timestamp())]
        await session.commit()


async def test_an_open_transaction_does_not_hold_up_another_order(
    sessions: Sessions, db_backend: str
) -> None:
    if db_backend != "postgres":
        pytest.skip("SQLite has one writer at a time by design")
    async with sessions() as setup:
        user = await add_user(setup)
        instrument = await add_instrument(setup)
        await setup.commit()
    async with sessions() as first, sessions() as second:
        await add_order(first, user, instrument)  # its transaction stays open

        async def other_order() -> None:
            await add_order(second, user, instrument)
            await second.commit()

        await asyncio.wait_for(other_order(), timeout=5)
        await first.commit()
        assert await _working(second) == {(user.id, "paper"): 2}
