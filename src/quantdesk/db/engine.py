"""Engines and sessions, created at start-up by the composition root, never at import."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry


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
    """
    if not url.startswith("sqlite"):
        return create_async_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            **_pool(pool_size, max_overflow, pool_timeout, pool_recycle),
        )
    options: dict[str, Any] = {}
    if not _in_memory(url):
        options = _pool(pool_size, max_overflow, pool_timeout, pool_recycle)
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30}, **options)
    event.listen(engine.sync_engine, "connect", _configure_sqlite)
    return engine


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
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


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
