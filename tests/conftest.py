"""Fixtures shared by every test layer.

Database-facing tests take ``db_url``: they run on a fresh SQLite file and, when
``TEST_DATABASE_URL`` is set, on PostgreSQL as well (a database per xdist worker, emptied
after each test). ``cache_url`` does the same for the in-memory cache and ``TEST_REDIS_URL``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from quantdesk.api.app import create_app
from quantdesk.db import models  # noqa: F401  (registers every table on Base.metadata)
from quantdesk.db.base import Base
from quantdesk.db.engine import create_engine
from quantdesk.runtime import Runtime, build_runtime
from quantdesk.settings import Settings

pytest_plugins = ["tests.fixtures.users", "tests.fixtures.dashboard"]

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
TEST_SECRET = "test-secret-key-that-is-long-enough-for-production-0123456789"


def _backends(name: str, url: str | None) -> list[object]:
    marks = getattr(pytest.mark, "postgres" if name == "db" else "redis")
    extra = [pytest.param(url, id="postgres" if name == "db" else "redis", marks=marks)]
    local = pytest.param(None, id="sqlite" if name == "db" else "memory")
    return [local, *extra] if url else [local]


@pytest.fixture(scope="session")
def worker_id_suffix(request: pytest.FixtureRequest) -> str:
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    return str(worker)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgres_url(worker_id_suffix: str) -> AsyncIterator[str | None]:
    """A fresh PostgreSQL database for this worker, with the schema created once."""
    if not TEST_DATABASE_URL:
        yield None
        return
    base = make_url(TEST_DATABASE_URL)
    name = f"{base.database}_{worker_id_suffix}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    await engine.dispose()
    yield url


@pytest.fixture(params=_backends("db", TEST_DATABASE_URL))
def db_backend(request: pytest.FixtureRequest) -> str:
    return "postgres" if request.param else "sqlite"


@pytest_asyncio.fixture(loop_scope="session")
async def db_url(db_backend: str, postgres_url: str | None, tmp_path: Path) -> AsyncIterator[str]:
    """A database with the current schema, empty at the start of the test."""
    if db_backend == "sqlite":
        url = f"sqlite+aiosqlite:///{(tmp_path / 'test.db').as_posix()}"
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        await engine.dispose()
        yield url
        return
    assert postgres_url is not None
    yield postgres_url
    await _truncate_all(postgres_url)


async def _truncate_all(url: str) -> None:
    # One DELETE per table, children first: far cheaper than TRUNCATE on small tables.
    engine = create_engine(url)
    async with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(table.delete())
    await engine.dispose()


@pytest.fixture(params=_backends("cache", TEST_REDIS_URL))
def cache_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the in-memory cache and bus, or the Redis URL (flushed after the test)."""
    yield request.param
    if request.param:
        import redis

        client = redis.Redis.from_url(request.param)
        for key in client.scan_iter("quantdesk:*"):
            client.delete(key)
        client.close()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        env="test",
        var_dir=tmp_path / "var",
        database_url=db_url,
        redis_url=None,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        log_format="console",
    )


@pytest_asyncio.fixture(loop_scope="session")
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    built = build_runtime(settings)
    yield built
    await built.close()


@pytest.fixture
def engine(runtime: Runtime) -> AsyncEngine:
    return runtime.engine


@pytest.fixture
def app(settings: Settings, runtime: Runtime) -> FastAPI:
    return create_app(settings, runtime=runtime)


@pytest_asyncio.fixture(loop_scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process, with its lifespan running."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
