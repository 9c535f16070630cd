"""Engines and sessions, created at start-up by the composition root, never at import."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_only

from quantdesk.db import sqlite_inline
from quantdesk.db.sqlite_checkpoint import JOURNAL_SIZE_LIMIT, WalCheckpointer

_BUSY_TIMEOUT_SECONDS = 30.0
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")
_LOCK_KEY = "quantdesk_write_lock"
_CHECKED_IN_AT = "quantdesk_checked_in_at"
IDLE_PING_SECONDS = 10.0


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 20,
    pool_timeout: float = 30.0,
    pool_recycle: int = 1800,
    echo: bool = False,
) -> AsyncEngine:
    """Create the async engine with a sized pool; WAL and foreign keys on SQLite.

    An in-memory SQLite database lives in one connection, so it gets SQLAlchemy's single
    shared connection instead of a pool and the pool options do not apply.

    On SQLite the driver opens a transaction only at the first write, so a reader holds no
    snapshot and a writer waits for the lock up to ``busy_timeout``. A transaction that reads
    and then writes is the exception: when another connection commits in between, WAL mode
    refuses the stale snapshot at once with "database is locked", whatever the timeout. Such
    transactions take the write lock first: a savepoint outside a transaction begins with
    ``BEGIN IMMEDIATE`` here, and services call :func:`lock_for_writing` before reading
    what they will change.

    Writers of this process queue for SQLite's lock on an asyncio lock of the engine's,
    taken before ``BEGIN IMMEDIATE`` (also by a transaction's first write) and released at
    its commit or rollback: the next writer starts the moment the lock is free, where
    SQLite's busy handler would sleep 1 to 100 ms between tries. A file database runs its
    statements on the event loop's thread (:mod:`quantdesk.db.sqlite_inline`), where a
    writer of another process is waited out with ``await``, never inside SQLite.
    """
    if not url.startswith("sqlite"):
        engine = create_async_engine(
            url, echo=echo, **_pool(pool_size, max_overflow, pool_timeout, pool_recycle)
        )
        _ping_when_idle(engine, IDLE_PING_SECONDS)
        return engine
    path = None if _in_memory(url) else str(make_url(url).database)
    options: dict[str, Any] = {"connect_args": {"timeout": _BUSY_TIMEOUT_SECONDS}}
    if path is not None:
        options = _pool(pool_size, max_overflow, pool_timeout, pool_recycle)
        options["async_creator"] = sqlite_inline.connector(path, _BUSY_TIMEOUT_SECONDS)
    engine = create_async_engine(url, echo=echo, **options)
    event.listen(engine.sync_engine, "connect", _configure_sqlite)
    if path is not None:
        _checkpoint_in_background(engine, path)
    event.listen(engine.sync_engine, "savepoint", _savepoint_writes)
    event.listen(engine.sync_engine, "before_cursor_execute", _queue_first_write)
    event.listen(engine.sync_engine.pool, "checkin", _release_on_checkin)
    _release_after_transaction(engine.sync_engine.dialect)
    return engine


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Check a pooled connection before use when it sat idle for ``idle_seconds`` or more.

    SQLAlchemy's ``pool_pre_ping`` checks at every checkout, which on asyncpg is three round
    trips (begin, an empty query, rollback): more than half of what a simple request asks
    of the server. A connection used a moment ago is almost surely alive; one that slept
    may have been cut by a restart or a firewall. A dead one found here is replaced before
    the request sees it; one that dies between uses fails that use, and SQLAlchemy then
    recycles the whole pool.
    """
    dialect = engine.sync_engine.dialect

    def checked_in(_dbapi: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    def checked_out(dbapi: DBAPIConnection, record: ConnectionPoolEntry, _proxy: Any) -> None:
        last = record.info.get(_CHECKED_IN_AT)
        if last is None or time.monotonic() - last < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi, None):
                raise DisconnectionError(str(error)) from error
            raise

    event.listen(engine.sync_engine.pool, "checkin", checked_in)
    event.listen(engine.sync_engine.pool, "checkout", checked_out)


def _pool(size: int, overflow: int, timeout: float, recycle: int) -> dict[str, Any]:
    return {
        "pool_size": size,
        "max_overflow": overflow,
        "pool_timeout": timeout,
        "pool_recycle": recycle,
    }


def _in_memory(url: str) -> bool:
    database = make_url(url).database
    return not database or database == ":memory:" or "mode=memory" in url


def _configure_sqlite(connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _checkpoint_in_background(engine: AsyncEngine, path: str) -> None:
    """Checkpoint the log from a thread while the engine has connections (see
    :mod:`quantdesk.db.sqlite_checkpoint`); the engine's own commits never do."""
    checkpointer = WalCheckpointer(path)

    def configure(connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
        cursor.close()
        checkpointer.start()

    event.listen(engine.sync_engine, "connect", configure)
    event.listen(engine.sync_engine, "engine_disposed", lambda _engine: checkpointer.stop())


def _savepoint_writes(connection: Connection, _name: str | None) -> None:
    # a savepoint outside a transaction would open a deferred one that reads, then writes
    _begin_immediate(connection)


def _queue_first_write(connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    # the driver would open the transaction itself here and wait in SQLite's busy handler
    if statement.lstrip()[:6].upper() in _WRITES:
        _begin_immediate(connection)


def _begin_immediate(connection: Connection) -> None:
    pooled = connection.connection
    driver = pooled.driver_connection
    if driver is None or driver.in_transaction:
        return
    held = _write_lock(connection)
    await_only(_acquire(held))
    pooled.info[_LOCK_KEY] = (held, asyncio.get_running_loop())
    try:
        cursor = pooled.dbapi_connection.cursor()  # type: ignore[union-attr]  # a driver is there
        cursor.execute("BEGIN IMMEDIATE")
        cursor.close()
    except BaseException:
        _release(pooled.info)
        raise


_locks: WeakKeyDictionary[Any, WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]] = (
    WeakKeyDictionary()
)


def _write_lock(connection: Connection) -> asyncio.Lock:
    # one per engine and event loop: an asyncio lock belongs to the loop it first waits on
    per_loop = _locks.setdefault(connection.engine, WeakKeyDictionary())
    return per_loop.setdefault(asyncio.get_running_loop(), asyncio.Lock())


async def _acquire(lock: asyncio.Lock) -> None:
    # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns normally when it is
    # cancelled in the turn the lock frees, so the cancel is lost and the lock kept (a
    # stopped deployment went on trading and its stop waited forever)
    try:
        async with asyncio.timeout(_BUSY_TIMEOUT_SECONDS):
            await lock.acquire()
    except TimeoutError:
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked")) from None


def _release_after_transaction(dialect: Any) -> None:
    # after the driver's COMMIT or ROLLBACK, not at the "commit" event that comes before it:
    # a writer woken earlier would meet SQLite's lock still held and sleep in its handler
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(connection: Any) -> None:
        try:
            commit(connection)
        finally:
            _release_held_by(connection)

    def do_rollback(connection: Any) -> None:
        try:
            rollback(connection)
        finally:
            _release_held_by(connection)

    dialect.do_commit, dialect.do_rollback = do_commit, do_rollback


def _release_held_by(connection: Any) -> None:
    try:
        info = connection.info
    except NotImplementedError:  # the ad hoc wrapper of a first connect holds nothing
        return
    _release(info)


def _release_on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    # a connection handed back without a commit or rollback event must not keep the lock
    _release(record.info)


def _release(info: dict[Any, Any]) -> None:
    held = info.pop(_LOCK_KEY, None)
    if held is None:
        return
    lock, loop = held
    if _loop_of_this_thread() is loop:
        lock.release()
    elif not loop.is_closed():
        loop.call_soon_threadsafe(lock.release)


def _loop_of_this_thread() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


async def lock_for_writing(session: AsyncSession) -> None:
    """Take the database's write lock for the session's transaction, before reading.

    A no-op on PostgreSQL (lock the rows with ``FOR UPDATE`` there); on SQLite the
    transaction begins with ``BEGIN IMMEDIATE`` unless it already writes, after the
    writers queued before it in this process.
    """
    connection = await session.connection()
    if connection.dialect.name != "sqlite":
        return
    await connection.run_sync(_begin_immediate)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit, so responses can read them."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def pool_status(engine: AsyncEngine) -> dict[str, Any]:
    """Pool figures for metrics and the detailed health check."""
    pool = engine.sync_engine.pool
    figures: dict[str, Any] = {"class": type(pool).__name__}
    for name in ("size", "checkedin", "checkedout", "overflow"):
        reader = getattr(pool, name, None)
        if callable(reader):
            figures[name] = reader()
    return figures
