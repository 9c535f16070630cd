"""``quantdesk db``: apply, roll back and inspect schema migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from quantdesk.cli.common import console, fail, settings_or_exit
from quantdesk.db import migrate
from quantdesk.errors import QuantDeskError

app = typer.Typer(help="Apply, roll back and inspect database migrations.", no_args_is_help=True)


@contextmanager
def _database() -> Iterator[str]:
    """Yield the database URL; turn unreachable databases into one line without the password."""
    settings = settings_or_exit()
    if settings.is_sqlite:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    try:
        yield url
    except QuantDeskError as error:
        fail(error.message)
    except (OperationalError, DBAPIError, OSError) as error:
        where = make_url(url).render_as_string(hide_password=True)
        fail(f"cannot use the database at {where} ({type(error).__name__}); check DATABASE_URL")


@app.command("upgrade")
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database forward; safe to run on every start."""
    with _database() as url:
        migrate.upgrade(url, revision)
        console.print(f"Database at revision [bold]{migrate.current(url) or 'base'}[/bold]")


@app.command("downgrade")
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, or -N steps back.")] = "-1",
) -> None:
    """Roll the schema back, by default one migration."""
    with _database() as url:
        migrate.downgrade(url, revision)
        console.print(f"Database at revision [bold]{migrate.current(url) or 'base'}[/bold]")


@app.command("current")
def current() -> None:
    """Show the database's revision and whether it is behind the code."""
    with _database() as url:
        revision = migrate.current(url)
        head = migrate.head()
    state = "up to date" if revision == head else f"behind (head is {head})"
    console.print(f"{revision or 'base'}, {state}")
