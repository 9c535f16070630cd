"""Migrations: they build exactly the models' schema, and every step goes down and up again.

Each test migrates its own empty database: a fresh SQLite file, and on PostgreSQL a
``<test database>_migrations_<worker>`` database created here and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, Connection, inspect, pool, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from quantdesk.db import migrate
from quantdesk.db.base import Base

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def migrations_postgres_url(worker_id_suffix: str) -> AsyncIterator[str | None]:
    """This worker's own PostgreSQL database for migration tests, dropped at the end."""
    if not os.environ.get("TEST_DATABASE_URL"):
        yield None
        return
    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{base.database}_migrations_{worker_id_suffix}"
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    await _admin(base, drop, f'CREATE DATABASE "{name}"')
    yield base.set(database=name).render_as_string(hide_password=False)
    await _admin(base, drop)


@pytest_asyncio.fixture(loop_scope="session")
async def empty_url(db_backend: str, migrations_postgres_url: str | None, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or the PostgreSQL one with a new schema."""
    if db_backend == "sqlite":
        return f"sqlite+aiosqlite:///{(tmp_path / 'migrations.db').as_posix()}"
    assert migrations_postgres_url is not None
    await _admin(
        make_url(migrations_postgres_url),
        "DROP SCHEMA public CASCADE",
        "CREATE SCHEMA public",
    )
    return migrations_postgres_url


async def _admin(base: Any, *statements: str) -> None:
    engine = create_async_engine(base, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    async with engine.connect() as connection:
        for statement in statements:
            await connection.execute(text(statement))
    await engine.dispose()


async def _inspect(url: str, reader: Any) -> Any:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(reader)
    finally:
        await engine.dispose()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _check_constraints(connection: Connection) -> set[tuple[str, str]]:
    inspector = inspect(connection)
    return {
        (table, check["name"])
        for table in inspector.get_table_names()
        for check in inspector.get_check_constraints(table)
    }


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _leftover_types(connection: Connection) -> list[str]:
    if connection.dialect.name != "postgresql":
        return []
    rows = connection.execute(
        text(
            "SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = 'public' AND t.typtype = 'e' "
            "UNION SELECT relname FROM pg_class WHERE relkind = 'S'"
        )
    )
    return [row[0] for row in rows]


def _revisions_oldest_first() -> list[str]:
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


async def test_migrations_at_head_match_the_models(empty_url: str) -> None:
    migrate.upgrade(empty_url)

    assert await _inspect(empty_url, _differences) == []


async def test_migrations_at_head_have_every_check_constraint(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    expected = {
        (table.name, str(constraint.name))
        for table in Base.metadata.sorted_tables
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }

    assert await _inspect(empty_url, _check_constraints) == expected


def test_migrations_each_step_goes_down_and_up_again(empty_url: str) -> None:
    for revision in _revisions_oldest_first():
        migrate.upgrade(empty_url, revision)
        migrate.downgrade(empty_url, "-1")
        migrate.upgrade(empty_url, revision)

    assert migrate.current(empty_url) == migrate.head()


def test_migrations_downgrade_to_base_leaves_nothing_behind(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    migrate.downgrade(empty_url, "base")

    assert asyncio.run(_inspect(empty_url, _tables)) == {"alembic_version"}
    assert asyncio.run(_inspect(empty_url, _leftover_types)) == []
    assert migrate.current(empty_url) is None
    migrate.upgrade(empty_url)
    assert migrate.current(empty_url) == migrate.head()


def test_migrate_current_never_migrated_database_is_none(empty_url: str) -> None:
    assert migrate.current(empty_url) is None


def test_migrations_alembic_command_line_uses_settings_url(tmp_path: Path) -> None:
    database = tmp_path / "cli.db"
    environment = os.environ | {"QUANTDESK_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    environment.pop("DATABASE_URL", None)

    finished = subprocess.run(  # noqa: S603  (runs this interpreter with fixed arguments)
        [
            sys.executable,
            "-m",
            "alembic",
            "-c",
            str(PROJECT_ROOT / "alembic.ini"),
            "upgrade",
            "head",
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert finished.returncode == 0, finished.stderr
    assert migrate.current(f"sqlite+aiosqlite:///{database}") == migrate.head()


FEED = {"kind": "synthetic", "speed": 60.0, "start": None}
SEED_DEPLOYMENT = [
    "INSERT INTO users (id, email, hashed_password) VALUES (1, 'm@example.com', 'x')",
    "INSERT INTO strategies (id, user_id, name, type, parameters, symbols) "
    "VALUES (1, 1, 's', 'sma_cross', '{}', '[]')",
    "INSERT INTO deployments (id, user_id, strategy_id, symbols, timeframe, risk_profile) "
    'VALUES (1, 1, 1, \'["AAPL"]\', \'1m\', \'{"quantity": "10", '
    '"feed": {"kind": "synthetic", "speed": 60.0, "start": null}}\')',
    "INSERT INTO deployments (id, user_id, strategy_id, symbols, timeframe, risk_profile) "
    "VALUES (2, 1, 1, '[\"AAPL\"]', '1m', '{\"quantity\": \"1\"}')",
]


async def _execute(url: str, *statements: str) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _deployments(connection: Connection) -> list[tuple[Any, ...]]:
    rows = connection.execute(text("SELECT * FROM deployments ORDER BY id")).mappings()
    return [(row["risk_profile"], row.get("feed")) for row in rows]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def test_migration_0004_moves_deployment_feed_out_of_risk_profile_and_back(
    empty_url: str,
) -> None:
    migrate.upgrade(empty_url, "0003")
    asyncio.run(_execute(empty_url, *SEED_DEPLOYMENT))
    migrate.upgrade(empty_url, "0004")
    moved = [tuple(map(_json, row)) for row in asyncio.run(_inspect(empty_url, _deployments))]
    assert moved == [
        ({"quantity": "10"}, FEED),
        ({"quantity": "1"}, {"kind": "replay", "speed": 1.0, "start": None}),
    ]
    migrate.downgrade(empty_url, "0003")
    back = [_json(row[0]) for row in asyncio.run(_inspect(empty_url, _deployments))]
    assert back[0] == {"quantity": "10", "feed": FEED}


SEED_ORDERS = [
    "INSERT INTO users (id, email, hashed_password) VALUES (1, 'o@example.com', 'x')",
    "INSERT INTO instruments (id, symbol, exchange) VALUES (1, 'AAPL', 'NASDAQ')",
    "INSERT INTO orders (user_id, instrument_id, client_order_id, side, quantity, status, "
    "mode, status_history) VALUES (1, 1, 'c1', 'buy', 1, 'accepted', 'paper', '[]'), "
    "(1, 1, 'c2', 'buy', 1, 'new', 'paper', '[]'), (1, 1, 'c3', 'buy', 1, 'filled', 'paper', "
    "'[]'), (1, 1, 'c4', 'buy', 1, 'accepted', 'live', '[]')",
]


def _counts(connection: Connection) -> tuple[set[tuple[Any, ...]], int]:
    working = connection.execute(text("SELECT user_id, mode, working FROM working_order_counts"))
    recent = connection.execute(text("SELECT sum(orders) FROM order_rates WHERE user_id = 1"))
    return {tuple(row) for row in working}, int(recent.scalar_one())


def test_migration_0008_counts_the_orders_already_stored(empty_url: str) -> None:
    migrate.upgrade(empty_url, "0007")
    asyncio.run(_execute(empty_url, *SEED_ORDERS))

    migrate.upgrade(empty_url, "0008")

    assert asyncio.run(_inspect(empty_url, _counts)) == ({(1, "paper", 2), (1, "live", 1)}, 4)
    asyncio.run(_execute(empty_url, "UPDATE orders SET status = 'cancelled' WHERE mode = 'live'"))
    assert asyncio.run(_inspect(empty_url, _counts))[0] == {(1, "paper", 2), (1, "live", 0)}
