"""The engine factory: SQLite pragmas, enforced foreign keys and a bounded pool."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from quantdesk.db import engine as engine_module
from quantdesk.db.base import Base
from quantdesk.db.engine import (
    create_engine,
    create_session_factory,
    lock_for_writing,
    pool_status,
)
from quantdesk.db.models import RefreshToken
from tests.fixtures.models import T0


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{(tmp_path / 'engine.db').as_posix()}")
    yield engine
    await engine.dispose()


async def test_sqlite_engine_new_connection_uses_wal_and_foreign_keys(
    sqlite_engine: AsyncEngine,
) -> None:
    async with sqlite_engine.connect() as connection:
        journal = await connection.scalar(text("PRAGMA journal_mode"))
        foreign_keys = await connection.scalar(text("PRAGMA foreign_keys"))

    assert journal == "wal"
    assert foreign_keys == 1


async def test_sqlite_engine_missing_parent_row_raises_integrity_error(
    sqlite_engine: AsyncEngine,
) -> None:
    async with sqlite_engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    token = RefreshToken(user_id=999, jti="orphan", family="f", expires_at=T0)

    async with create_session_factory(sqlite_engine)() as session:
        session.add(token)
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            await session.flush()


async def test_sqlite_engine_in_memory_url_shares_one_connection() -> None:
    engine = create_engine("sqlite+aiosqlite:///:memory:", pool_size=3)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE kept (id INTEGER)"))
    async with engine.connect() as connection:
        tables = await connection.scalar(text("SELECT count(*) FROM sqlite_master"))
    await engine.dispose()

    assert tables == 1


async def test_engine_pool_beyond_size_and_overflow_times_out(db_url: str) -> None:
    engine = create_engine(db_url, pool_size=2, max_overflow=1, pool_timeout=0.2)
    async with AsyncExitStack() as stack:
        held: list[AsyncConnection] = [
            await stack.enter_async_context(engine.connect()) for _ in range(3)
        ]
        status = pool_status(engine)
        with pytest.raises(PoolTimeoutError):
            await asyncio.wait_for(engine.connect().start(), timeout=5)
    await engine.dispose()

    assert len(held) == 3
    assert (status["size"], status["checkedout"], status["overflow"]) == (2, 3, 1)


def test_create_engine_postgres_url_sizes_pool_from_arguments() -> None:
    engine = create_engine(
        "postgresql+asyncpg://quantdesk@127.0.0.1:1/quantdesk",
        pool_size=7,
        max_overflow=3,
        pool_timeout=4.5,
        pool_recycle=600,
    )
    pool = engine.sync_engine.pool

    assert pool_status(engine)["size"] == 7
    assert pool._max_overflow == 3  # type: ignore[attr-defined]
    assert pool._timeout == 4.5  # type: ignore[attr-defined]
    assert pool._recycle == 600
    assert pool._pre_ping is False  # pinged only after sitting idle, see below


@pytest.mark.asyncio(loop_scope="session")
async def test_postgres_connection_killed_while_idle_is_replaced_before_use(
    postgres_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if postgres_url is None:
        pytest.skip("needs TEST_DATABASE_URL")
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)  # every pooled use is "idle"
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            first = await connection.scalar(text("SELECT pg_backend_pid()"))
        async with engine.connect() as connection:  # pinged, alive: the same connection
            assert await connection.scalar(text("SELECT pg_backend_pid()")) == first
        killer = create_engine(postgres_url)
        async with killer.connect() as connection:
            await connection.execute(text(f"SELECT pg_terminate_backend({first})"))
        await killer.dispose()
        async with engine.connect() as connection:
            replaced = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert replaced != first
    finally:
        await engine.dispose()


async def _counting_writers(engine: AsyncEngine, savepoint: bool) -> list[int]:
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
    sessions = create_session_factory(engine)

    async def read_then_write() -> None:
        async with sessions() as session:
            if savepoint:
                async with session.begin_nested():
                    await _read_pause_write(session)
            else:
                await lock_for_writing(session)
                await _read_pause_write(session)
            await session.commit()

    await asyncio.gather(*(read_then_write() for _ in range(12)))
    async with engine.connect() as connection:
        return sorted((await connection.scalars(text("SELECT n FROM counter"))).all())


async def _read_pause_write(session: AsyncSession) -> None:
    seen = await session.scalar(text("SELECT count(*) FROM counter"))
    await asyncio.sleep(0.005)
    await session.execute(text("INSERT INTO counter (n) VALUES (:n)"), {"n": seen})


@pytest.mark.parametrize("savepoint", [True, False], ids=["savepoint", "lock_for_writing"])
async def test_sqlite_concurrent_read_then_write_transactions_queue_instead_of_locked(
    sqlite_engine: AsyncEngine, savepoint: bool
) -> None:
    # each writer saw every earlier one's row: none was refused, none read a stale count
    assert await _counting_writers(sqlite_engine, savepoint) == list(range(12))


async def test_sqlite_writer_waits_in_process_queue_not_busy_handler(
    sqlite_engine: AsyncEngine,
) -> None:
    async with sqlite_engine.begin() as connection:
        await connection.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
    sessions = create_session_factory(sqlite_engine)
    async with sessions() as holder, sessions() as writer:
        await lock_for_writing(holder)
        await holder.execute(text("INSERT INTO counter (n) VALUES (1)"))
        # with no busy handler, a writer that reached SQLite now would fail at once
        await writer.execute(text("PRAGMA busy_timeout=0"))
        second = asyncio.create_task(writer.execute(text("INSERT INTO counter (n) VALUES (2)")))
        await asyncio.sleep(0.05)
        assert not second.done()
        await holder.commit()
        await second
        await writer.commit()
    async with sqlite_engine.connect() as connection:
        assert (await connection.scalars(text("SELECT n FROM counter ORDER BY n"))).all() == [1, 2]


async def test_sqlite_rolled_back_writer_hands_the_lock_on(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.begin() as connection:
        await connection.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
    sessions = create_session_factory(sqlite_engine)
    async with sessions() as first:
        await first.execute(text("INSERT INTO counter (n) VALUES (1)"))
    async with sessions() as second:
        await asyncio.wait_for(second.execute(text("INSERT INTO counter (n) VALUES (2)")), 1)
        await second.commit()
    async with sqlite_engine.connect() as connection:
        assert (await connection.scalars(text("SELECT n FROM counter"))).all() == [2]


@pytest.mark.asyncio(loop_scope="session")
async def test_writer_cancelled_in_the_turn_the_lock_frees_ends_cancelled() -> None:
    lock = asyncio.Lock()
    await lock.acquire()
    waiter = asyncio.create_task(engine_module._acquire(lock))
    await asyncio.sleep(0)  # the writer now waits for the lock
    lock.release()  # hands the lock to the writer...
    waiter.cancel()  # ...in the same turn as the writer's task is cancelled
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert not lock.locked()  # nobody is left holding it
