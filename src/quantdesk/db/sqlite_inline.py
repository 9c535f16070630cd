"""SQLite for the async engine without a thread: statements run on the event loop's thread.

SQLAlchemy's aiosqlite dialect speaks to a driver that hands every call (open a cursor,
execute, fetch, close) to a thread of its own and back: four trips across threads per
statement, which cost more CPU than the statement itself on a local file (about 0.5 ms
against 0.05 ms for a primary-key read). :func:`connect` returns a connection with
aiosqlite's asynchronous interface whose calls run at once in the caller's thread, so the
dialect, the pool and every session work unchanged.

Nothing here may wait inside SQLite, since that would stop the event loop: the connection's
busy timeout is zero, and a statement that opens a transaction while another process holds
the write lock is retried after an ``await asyncio.sleep`` until ``busy_seconds`` pass. Large
results are fetched in chunks with a yield to the loop between them.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = ["InlineConnection", "connect"]

FETCH_CHUNK = 2000
_RETRY_FIRST_SECONDS = 0.001
_RETRY_MAX_SECONDS = 0.05


def _locked(error: sqlite3.OperationalError) -> bool:
    return "database is locked" in str(error) or "database is busy" in str(error)


class InlineCursor:
    """aiosqlite's cursor interface over a :class:`sqlite3.Cursor`, run in this thread."""

    __slots__ = ("_connection", "_cursor")

    def __init__(self, connection: InlineConnection, cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    async def execute(self, sql: str, parameters: Any = None) -> InlineCursor:
        """Run one statement; one that would open a transaction waits out another writer."""
        arguments = (sql,) if parameters is None else (sql, parameters)
        await self._connection.run(self._cursor.execute, *arguments)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        """Run one statement for each parameter set."""
        await self._connection.run(self._cursor.executemany, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        """The next row, or None."""
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` rows."""
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        """Every remaining row, yielding to the event loop between chunks of a large result."""
        rows = self._cursor.fetchmany(FETCH_CHUNK)
        if len(rows) < FETCH_CHUNK:
            return rows
        while chunk := self._cursor.fetchmany(FETCH_CHUNK):
            rows.extend(chunk)
            await asyncio.sleep(0)
        return rows

    async def close(self) -> None:
        """Close the cursor."""
        self._cursor.close()

    async def nextset(self) -> None:
        """SQLite has one result set per statement."""
        return None

    async def setinputsizes(self, *_sizes: Any) -> None:
        """Nothing to do for SQLite."""
        return None

    @property
    def description(self) -> Any:
        """The result's columns, as the DB-API describes them."""
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        """The row id of the last inserted row."""
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        """Rows :meth:`fetchmany` returns by default."""
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _OpenCursor:
    """What ``connection.cursor()`` returns: aiosqlite's awaitable context of a cursor."""

    __slots__ = ("_connection",)

    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection

    async def __aenter__(self) -> InlineCursor:
        return InlineCursor(self._connection, self._connection.raw.cursor())

    async def __aexit__(self, *_exc: object) -> None:
        return None

    def __await__(self) -> Any:
        return self.__aenter__().__await__()


class _ImmediateQueue:
    """Stands in for aiosqlite's request queue, which the dialect uses to set isolation."""

    __slots__ = ()

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to the awaiting caller, as aiosqlite does
            future.set_exception(error)


class InlineConnection:
    """aiosqlite's connection interface over a :class:`sqlite3.Connection` in this thread."""

    def __init__(self, raw: sqlite3.Connection, busy_seconds: float) -> None:
        self.raw = raw
        self.busy_seconds = busy_seconds
        self._tx = _ImmediateQueue()

    async def run(self, call: Callable[..., Any], *arguments: Any) -> Any:
        """Call the driver; retry a statement that found the write lock taken.

        Only a statement outside a transaction is retried: inside one, "locked" means the
        transaction's snapshot is stale, which no wait can fix.
        """
        if self.raw.in_transaction:
            return call(*arguments)
        deadline = time.monotonic() + self.busy_seconds
        pause = _RETRY_FIRST_SECONDS
        while True:
            try:
                return call(*arguments)
            except sqlite3.OperationalError as error:
                if not _locked(error) or self.raw.in_transaction or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, _RETRY_MAX_SECONDS)

    def cursor(self) -> _OpenCursor:
        """A new cursor (awaitable, or an async context)."""
        return _OpenCursor(self)

    async def execute(self, sql: str, parameters: Any = None) -> InlineCursor:
        """Run one statement on a new cursor."""
        cursor = InlineCursor(self, self.raw.cursor())
        return await cursor.execute(sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Any = None) -> list[Any]:
        """Run one statement and return all its rows."""
        cursor = await self.execute(sql, parameters)
        try:
            return await cursor.fetchall()
        finally:
            await cursor.close()

    async def commit(self) -> None:
        """Commit the open transaction."""
        self.raw.commit()

    async def rollback(self) -> None:
        """Roll the open transaction back."""
        self.raw.rollback()

    async def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        self.raw.close()

    def stop(self) -> None:
        """Close at once (the pool's terminate)."""
        self.raw.close()

    async def create_function(self, *arguments: Any, **options: Any) -> None:
        """Register a SQL function."""
        self.raw.create_function(*arguments, **options)

    @property
    def _conn(self) -> sqlite3.Connection:
        return self.raw

    @property
    def _connection(self) -> sqlite3.Connection:
        return self.raw

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open."""
        return self.raw.in_transaction

    @property
    def isolation_level(self) -> str | None:
        """The driver's transaction mode ("" opens deferred transactions before writes)."""
        return self.raw.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self.raw.isolation_level = value

    @property
    def row_factory(self) -> Any:
        """How rows are built."""
        return self.raw.row_factory

    @row_factory.setter
    def row_factory(self, factory: Any) -> None:
        self.raw.row_factory = factory

    @property
    def total_changes(self) -> int:
        """Rows changed since the connection opened."""
        return self.raw.total_changes


def connect(database: str, *, busy_seconds: float = 30.0, **options: Any) -> InlineConnection:
    """Open ``database`` for use on one event loop's thread (``options`` go to sqlite3)."""
    options.pop("timeout", None)
    raw = sqlite3.connect(database, timeout=0, check_same_thread=False, **options)
    return InlineConnection(raw, busy_seconds)


def connector(
    database: str, busy_seconds: float, options: Sequence[tuple[str, Any]] = ()
) -> Callable[[], Any]:
    """An ``async_creator`` for :func:`sqlalchemy.ext.asyncio.create_async_engine`."""

    async def create() -> InlineConnection:
        return connect(database, busy_seconds=busy_seconds, **dict(options))

    return create
