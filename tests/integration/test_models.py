"""The schema's promises, on SQLite and PostgreSQL: keys, exact money, JSON, UTC, CHECKs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Table, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError, StatementError

from quantdesk.db.base import Base, UTCDateTime
from quantdesk.db.models import (
    ActivityLog,
    Bar,
    Job,
    Order,
    PnlSnapshot,
    Signal,
    Strategy,
    StrategyEvent,
    Trade,
)
from tests.fixtures.models import T0, add_instrument, add_order, add_strategy, add_user
from tests.integration.conftest import Sessions


def _bar(instrument_id: int, timeframe: str = "1d", ts: datetime = T0) -> Bar:
    return Bar(
        instrument_id=instrument_id,
        timeframe=timeframe,
        ts=ts,
        open=1.0,
        high=2.0,
        low=0.5,
        close=1.5,
        volume=100.0,
    )


async def test_bars_same_instrument_timeframe_and_ts_is_rejected(sessions: Sessions) -> None:
    async with sessions() as session:
        instrument = await add_instrument(session)
        session.add_all([_bar(instrument.id), _bar(instrument.id, timeframe="1h")])
        await session.flush()
        session.add(_bar(instrument.id))
        with pytest.raises(IntegrityError):
            await session.flush()


async def test_strategies_same_name_for_one_owner_is_rejected(sessions: Sessions) -> None:
    async with sessions() as session:
        alice, bob = await add_user(session), await add_user(session)
        await add_strategy(session, alice, name="Breakout")
        await add_strategy(session, bob, name="Breakout")
        with pytest.raises(IntegrityError):
            await add_strategy(session, alice, name="Breakout")


async def test_instruments_same_symbol_on_one_exchange_is_rejected(sessions: Sessions) -> None:
    async with sessions() as session:
        await add_instrument(session, symbol="SHEL", exchange="LSE")
        await add_instrument(session, symbol="SHEL", exchange="NYSE")
        with pytest.raises(IntegrityError):
            await add_instrument(session, symbol="SHEL", exchange="LSE")


AMOUNTS = {
    "quantity": Decimal("123456789012345678.0123456789"),
    "limit_price": Decimal("-987654321098765432.9876543210"),
    "stop_price": Decimal("0.0000000001"),
    "trail_amount": Decimal("0.1"),
    "trail_percent": Decimal("0"),
}


async def test_money_columns_decimal_round_trips_exactly(sessions: Sessions) -> None:
    async with sessions() as session:
        user, instrument = await add_user(session), await add_instrument(session)
        order = await add_order(session, user, instrument, **AMOUNTS)
        await session.commit()

    async with sessions() as session:
        stored = await session.get_one(Order, order.id)

    assert {name: getattr(stored, name) for name in AMOUNTS} == AMOUNTS
    assert all(isinstance(getattr(stored, name), Decimal) for name in AMOUNTS)


@pytest.mark.parametrize(
    "dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgres"]
)
@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0.1, "not float"),
        (Decimal("1e18"), "18 integer digits"),
        (Decimal("NaN"), "finite"),
        (Decimal("-Infinity"), "finite"),
    ],
    ids=["float", "too-large", "nan", "infinity"],
)
def test_money_columns_inexact_or_oversized_value_is_refused(
    dialect: Dialect, amount: Any, message: str
) -> None:
    bind = Order.__table__.c["limit_price"].type.bind_processor(dialect)
    assert bind is not None

    with pytest.raises((TypeError, ValueError), match=message):
        bind(amount)


async def test_json_columns_nested_values_round_trip(sessions: Sessions) -> None:
    context = {"trend": "up", "atr": 1.25, "levels": [101.5, None, 99], "note": "naïve € ✓"}
    async with sessions() as session:
        user, instrument = await add_user(session), await add_instrument(session)
        trade = Trade(
            user_id=user.id,
            instrument_id=instrument.id,
            side="long",
            quantity=Decimal(5),
            entry_time=T0,
            entry_price=Decimal("101.5"),
            market_context=context,
        )
        session.add(trade)
        await session.commit()

    async with sessions() as session:
        stored = await session.get_one(Trade, trade.id)

    assert stored.market_context == context


async def test_strategy_event_details_are_stored_in_metadata_column(sessions: Sessions) -> None:
    async with sessions() as session:
        strategy = await add_strategy(session, await add_user(session))
        event = StrategyEvent(
            user_id=strategy.user_id,
            strategy_id=strategy.id,
            type="started",
            message="Strategy started",
            details={"bars": 250},
        )
        session.add(event)
        await session.commit()

    assert StrategyEvent.__table__.c["metadata"].name == "metadata"
    async with sessions() as session:
        stored = await session.scalar(select(StrategyEvent.details))
    assert stored == {"bars": 250}


async def test_timestamps_any_timezone_come_back_as_utc(sessions: Sessions) -> None:
    new_york = timezone(timedelta(hours=-5))
    moment = datetime(2024, 3, 1, 9, 30, tzinfo=new_york)
    async with sessions() as session:
        user = await add_user(session)
        snapshot = PnlSnapshot(
            user_id=user.id, ts=moment, equity=Decimal(100_000), cash=Decimal(50_000)
        )
        session.add(snapshot)
        await session.commit()

    async with sessions() as session:
        stored = await session.get_one(PnlSnapshot, snapshot.id)

    assert stored.ts == moment
    assert stored.ts.utcoffset() == timedelta(0)
    assert stored.created_at.utcoffset() == timedelta(0)


async def test_timestamps_naive_value_is_refused(sessions: Sessions) -> None:
    async with sessions() as session:
        user = await add_user(session)
        session.add(PnlSnapshot(user_id=user.id, ts=datetime(2024, 3, 1), equity=1, cash=1))
        with pytest.raises(StatementError, match="timezone-aware"):
            await session.flush()


@pytest.mark.parametrize(
    "change",
    [
        {"status": "done"},
        {"side": "short"},
        {"type": "iceberg"},
        {"time_in_force": "gtc"},
        {"mode": "demo"},
    ],
    ids=lambda change: next(iter(change)),
)
async def test_orders_value_outside_allowed_set_is_rejected(
    sessions: Sessions, change: dict[str, str]
) -> None:
    async with sessions() as session:
        user, instrument = await add_user(session), await add_instrument(session)
        with pytest.raises(IntegrityError, match="ck_orders_"):
            await add_order(session, user, instrument, **change)


@pytest.mark.parametrize(
    ("row", "constraint"),
    [
        (Job(kind="backtest", status="paused"), "ck_jobs_status"),
        (Job(kind="backtest", progress=1.5), "ck_jobs_progress_fraction"),
        (ActivityLog(action="login"), None),
    ],
    ids=["job-status", "job-progress", "activity-valid"],
)
async def test_check_constraints_reject_only_bad_values(
    sessions: Sessions, row: Base, constraint: str | None
) -> None:
    async with sessions() as session:
        session.add(row)
        if constraint is None:
            await session.flush()
            return
        with pytest.raises(IntegrityError, match=constraint):
            await session.flush()


async def test_signals_lowercase_action_is_rejected(sessions: Sessions) -> None:
    async with sessions() as session:
        strategy = await add_strategy(session, await add_user(session))
        instrument = await add_instrument(session)
        values = {"user_id": strategy.user_id, "strategy_id": strategy.id, "ts": T0}
        session.add(Signal(instrument_id=instrument.id, action="BUY", **values))
        await session.flush()
        session.add(Signal(instrument_id=instrument.id, action="buy", **values))
        with pytest.raises(IntegrityError, match="ck_signals_action"):
            await session.flush()


async def test_deleting_user_removes_owned_rows_and_keeps_activity(sessions: Sessions) -> None:
    async with sessions() as session:
        user = await add_user(session)
        await add_strategy(session, user)
        entry = ActivityLog(user_id=user.id, action="login")
        session.add(entry)
        await session.flush()
        await session.delete(user)
        await session.commit()

    async with sessions() as session:
        strategies = (await session.scalars(select(Strategy))).all()
        kept = await session.get_one(ActivityLog, entry.id)

    assert strategies == []
    assert kept.user_id is None


def _indexed_leading_columns(table: Table) -> set[str]:
    keys = [index.columns for index in table.indexes]
    keys += [c.columns for c in table.constraints if isinstance(c, UniqueConstraint)]
    keys += [table.primary_key.columns]
    return {next(iter(columns)).name for columns in keys if len(columns)}


@pytest.mark.parametrize("table", Base.metadata.sorted_tables, ids=lambda table: table.name)
def test_schema_every_foreign_key_column_leads_an_index(table: Table) -> None:
    leading = _indexed_leading_columns(table)
    foreign = {key.parent.name for key in table.foreign_keys}

    assert foreign - leading == set()


@pytest.mark.parametrize("table", Base.metadata.sorted_tables, ids=lambda table: table.name)
def test_schema_every_table_has_id_and_utc_timestamps(table: Table) -> None:
    assert table.primary_key.columns.keys() == ["id"]
    for name in ("created_at", "updated_at"):
        column = table.c[name]
        assert isinstance(column.type, UTCDateTime)
        assert not column.nullable
        assert column.server_default is not None
