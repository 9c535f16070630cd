"""``quantdesk db``: apply, roll back and inspect schema migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from quantdesk.cli.common import console, settings_or_exit
from quantdesk.db import migrate

app = typer.Typer(help="Apply, roll back and inspect database migrations.", no_args_is_help=True)


def _database_url() -> str:
    settings = settings_or_exit()
    if settings.is_sqlite:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    return settings.resolved_database_url


@app.command("upgrade")
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database forward; safe to run on every start."""
    url = _database_url()
    migrate.upgrade(url, revision)
    console.print(f"Database at revision [bold]{migrate.current(url) or 'base'}[/bold]")


@app.command("downgrade")
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, or -N steps back.")] = "-1",
) -> None:
    """Roll the schema back, by default one migration."""
    url = _database_url()
    migrate.downgrade(url, revision)
    console.print(f"Database at revision [bold]{migrate.current(url) or 'base'}[/bold]")


@app.command("current")
def current() -> None:
    """Show the database's revision and whether it is behind the code."""
    revision = migrate.current(_database_url())
    head = migrate.head()
    state = "up to date" if revision == head else f"behind (head is {head})"
    console.print(f"{revision or 'base'}, {state}")
