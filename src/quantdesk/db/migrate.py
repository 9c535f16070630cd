"""Apply and inspect the Alembic migrations from code: the CLI, start-up and tests.

The scripts live in ``migrations/`` at the project root. They are looked for, in order:

1. ``quantdesk/migrations`` inside the installed package, where a wheel built with the
   project's ``force-include`` of ``migrations/`` puts them;
2. ``migrations/`` three levels above this file: the project root of a source checkout
   or an editable install (``src/quantdesk/db/migrate.py``);
3. ``migrations/`` in the working directory, for a deployment that ships the folder beside
   its configuration.

Every function here is synchronous. Alembic drives the async engine with ``asyncio.run``,
so a call made while an event loop runs in this thread is moved to a worker thread and
waited for; that blocks the loop, which is fine at start-up and in tests only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import create_async_engine

from quantdesk.errors import ConfigurationError

T = TypeVar("T")
_HERE = Path(__file__).resolve()


def migrations_dir() -> Path:
    """Find the folder holding ``env.py`` and ``versions/`` (see the module docstring)."""
    candidates = (
        _HERE.parents[1] / "migrations",
        _HERE.parents[3] / "migrations",
        Path.cwd() / "migrations",
    )
    for candidate in candidates:
        if (candidate / "env.py").is_file():
            return candidate
    raise ConfigurationError(
        "the migrations folder was not found; run from the project root or install a "
        "package that includes quantdesk/migrations",
        details={"searched": [str(candidate) for candidate in candidates]},
    )


def alembic_config(url: str | None = None) -> Config:
    """Build the Alembic config in code: no ``alembic.ini`` and no log set-up needed."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if url is not None:
        config.attributes["sqlalchemy.url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` forward to ``revision``."""
    _outside_loop(lambda: command.upgrade(alembic_config(url), revision))


def downgrade(url: str, revision: str = "-1") -> None:
    """Migrate the database at ``url`` back to ``revision`` (``"base"`` empties it)."""
    _outside_loop(lambda: command.downgrade(alembic_config(url), revision))


def current(url: str) -> str | None:
    """Return the revision the database is at, or None when it was never migrated."""
    return _outside_loop(lambda: asyncio.run(_current(url)))


def head() -> str:
    """Return the newest revision id in the migrations folder."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:
        raise ConfigurationError(f"no migration found in {migrations_dir() / 'versions'}")
    return revision


async def _current(url: str) -> str | None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_revision_of)
    finally:
        await engine.dispose()


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _outside_loop(call: Callable[[], T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="migrate") as worker:
        return worker.submit(call).result()
