"""SQLite statements on the event loop's thread: another writer is waited out, never in SQLite."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from quantdesk.db import sqlite_inline
from quantdesk.db.engine import create_engine, create_session_factory


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "inline.db"


@pytest.fixture
async def engine(database: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{database.as_posix()}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
    yield engine
    await engine.dispose()


def other_process_writer(database: Path) -> sqlite3.Connection:
    """A connection of another program that takes SQLite's write lock and keeps it."""
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO counter (n) VALUES (1)")
    return holder


async def ticks_while(task: asyncio.Task[object]) -> int:
    """How many 10 ms ticks the event loop ran while ``task`` was pending."""
    count = 0
    while not task.done():
        await asyncio.sleep(0.01)
        count += 1
    return count


async def test_inline_engine_uses_a_driver_without_a_thread(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, sqlite_inline.InlineConnection)
        assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"


async def test_inline_writer_waits_for_another_process_without_blocking_the_loop(
    engine: AsyncEngine, database: Path
) -> None:
    holder = other_process_writer(database)
    sessions = create_session_factory(engine)

    async def write() -> None:
        async with sessions() as session:
            await session.execute(text("INSERT INTO counter (n) VALUES (2)"))
            await session.commit()

    writer = asyncio.create_task(write())
    asyncio.get_running_loop().call_later(0.3, holder.commit)
    ticks = await ticks_while(writer)  # type: ignore[arg-type]
    await writer
    holder.close()
    # the loop kept running while the writer waited some 300 ms for the lock
    assert ticks >= 10
    async with engine.connect() as connection:
        assert (await connection.scalars(text("SELECT n FROM counter ORDER BY n"))).all() == [1, 2]


async def test_inline_writer_gives_up_after_the_busy_timeout(database: Path) -> None:
    raw = sqlite3.connect(database)
    raw.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
    raw.commit()
    raw.close()
    holder = other_process_writer(database)
    connection = sqlite_inline.connect(str(database), busy_seconds=0.2)
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        await (await connection.cursor()).execute("BEGIN IMMEDIATE")
    assert 0.2 <= time.monotonic() - started < 2
    holder.rollback()
    holder.close()
    await connection.close()


async def test_inline_stale_snapshot_write_fails_at_once_instead_of_waiting(
    engine: AsyncEngine, database: Path
) -> None:
    sessions = create_session_factory(engine)
    async with sessions() as session:
        # a deferred read transaction, then another program commits a write
        await session.execute(text("BEGIN"))
        await session.scalar(text("SELECT count(*) FROM counter"))
        other_process_writer(database).commit()
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            await session.execute(text("INSERT INTO counter (n) VALUES (2)"))
        assert time.monotonic() - started < 1


async def test_inline_large_result_arrives_whole_and_lets_the_loop_run(
    engine: AsyncEngine,
) -> None:
    count = sqlite_inline.FETCH_CHUNK * 5 + 7
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO counter (n) VALUES (:n)"), [{"n": n} for n in range(count)]
        )
    loop = asyncio.get_running_loop()
    turns = [0]

    def turn() -> None:
        turns[0] += 1
        handle[0] = loop.call_soon(turn)

    handle = [loop.call_soon(turn)]
    async with engine.connect() as connection:
        turns[0] = 0
        rows = (await connection.scalars(text("SELECT n FROM counter ORDER BY n"))).all()
        during = turns[0]
    handle[0].cancel()
    assert rows == list(range(count))
    # the loop ran between the chunks
    assert during >= 5
