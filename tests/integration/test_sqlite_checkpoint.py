"""WAL checkpoints of a SQLite file database run on a thread, never in a request's commit."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from quantdesk.db.engine import create_engine
from quantdesk.db.sqlite_checkpoint import WalCheckpointer

ROW = "x" * 3000  # most of a page, so each commit adds pages to the log


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "checkpoint.db"


@pytest.fixture
async def engine(database: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{database.as_posix()}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (body TEXT NOT NULL)"))
    yield engine
    await engine.dispose()


def checkpointer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sqlite-checkpoint:")]


def wal_frames(database: Path) -> int:
    """Frames in the log that a checkpoint has not copied yet, read by another program."""
    other = sqlite3.connect(database)
    try:
        _busy, log, checkpointed = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(log) - int(checkpointed)
    finally:
        other.close()


async def test_engine_connections_leave_checkpoints_to_the_thread(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.scalar(text("PRAGMA wal_autocheckpoint")) == 0
        assert await connection.scalar(text("PRAGMA journal_size_limit")) > 0
    assert any(thread.is_alive() for thread in checkpointer_threads())


async def test_the_log_is_copied_back_and_restarted_while_writes_go_on(
    engine: AsyncEngine, database: Path
) -> None:
    wal = database.with_name(database.name + "-wal")
    sizes = []
    for _round in range(8):
        for _ in range(100):
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO notes (body) VALUES (:b)"), {"b": ROW})
        await asyncio.sleep(0.6)  # one checkpoint interval and a bit
        sizes.append(wal.stat().st_size)
    # 800 commits of a page or more would take the log far past 3 MB if it never restarted
    assert max(sizes) < 3_000_000
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM notes")) == 800


async def test_disposing_the_engine_stops_its_checkpointer(
    engine: AsyncEngine, database: Path
) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO notes (body) VALUES (:b)"), {"b": ROW})
    before = {t for t in checkpointer_threads() if database.name in t.name}
    assert before
    await engine.dispose()
    assert not any(t.is_alive() for t in before)
    assert wal_frames(database) == 0  # the last round copied everything back


def test_checkpointer_ends_when_the_database_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "gone.db"
    sqlite3.connect(path).execute("PRAGMA journal_mode=WAL").fetchall()
    checkpointer = WalCheckpointer(str(path), interval=0.01)
    checkpointer.start()
    for _ in range(200):
        if checkpointer.runs:
            break
        threading.Event().wait(0.01)
    path.unlink()
    for _ in range(200):
        if not checkpointer.running:
            break
        threading.Event().wait(0.01)
    assert not checkpointer.running
    checkpointer.stop()
