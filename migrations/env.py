"""Alembic environment: runs QuantDesk's migrations on SQLite or PostgreSQL, async drivers.

The URL comes from ``config.attributes["sqlalchemy.url"]`` or the ``sqlalchemy.url`` option
(``quantdesk.db.migrate`` and the tests set it), else from QuantDesk's settings. A caller
that already holds a sync connection passes it as ``config.attributes["connection"]``;
otherwise the async engine runs under ``asyncio.run``, so the caller must have no running
event loop in its thread (``quantdesk.db.migrate`` sees to that).
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from quantdesk.db import models  # noqa: F401  (registers every table on Base.metadata)
from quantdesk.db.base import MONEY_PRECISION, MONEY_SCALE, Base, Money, UTCDateTime

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    url = config.attributes.get("sqlalchemy.url") or config.get_main_option("sqlalchemy.url")
    if url:
        return str(url)
    from quantdesk.settings import load_settings

    return load_settings().resolved_database_url


def render_item(kind: str, item: Any, autogen: AutogenContext) -> str | Literal[False]:
    """Write QuantDesk's column types as plain SQLAlchemy types, so revisions never import
    application code that may change after them."""
    if kind != "type":
        return False
    if isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(item, Money):
        text_width = MONEY_PRECISION + 2
        return (
            f"sa.Numeric(precision={MONEY_PRECISION}, scale={MONEY_SCALE})"
            f'.with_variant(sa.String(length={text_width}), "sqlite")'
        )
    return False


def configure(**options: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=render_item,
        **options,
    )


def run_offline() -> None:
    url = database_url()
    configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Connection) -> None:
    configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


async def run_async(url: str) -> None:
    # No pool, and on SQLite none of the app engine's pragmas: with foreign keys enforced,
    # the table copies of a batch migration would cascade deletes into child tables.
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_on)
    finally:
        await engine.dispose()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
    else:
        asyncio.run(run_async(database_url()))


if context.is_offline_mode():
    run_offline()
else:
    run_online()
