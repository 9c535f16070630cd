"""Engines and sessions, created at start-up by the composition root, never at import."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
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
    """Create the async engine: a sized pool on PostgreSQL, WAL and foreign keys on SQLite."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_recycle=pool_recycle,
        pool_pre_ping=True,
    )


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
