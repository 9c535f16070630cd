"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from quantdesk.db.engine import create_engine, create_session_factory

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[Sessions]:
    """Sessions on the test's database (SQLite, or PostgreSQL when configured)."""
    engine = create_engine(db_url)
    yield create_session_factory(engine)
    await engine.dispose()
