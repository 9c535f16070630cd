"""The ``quantdesk`` command: serve the API, migrate the database, manage users, seed a demo.

Every command reads the settings first and stops with exit code 2 and one red line naming
the setting when one is invalid, so a typo never surfaces as a traceback.
"""

from __future__ import annotations

import typer

import quantdesk.cli.data_fetch  # registers "data fetch" on the data group
import quantdesk.cli.data_quality  # noqa: F401  (registers "data check" on the data group)
from quantdesk import __version__
from quantdesk.cli import backtest, data, db, demo, feed, optimize, strategy, users, worker
from quantdesk.cli import serve as serving
from quantdesk.cli.common import console

app = typer.Typer(
    name="quantdesk",
    help="QuantDesk: a self-hosted algorithmic trading platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("serve")(serving.serve)
app.command("demo")(demo.demo)
app.add_typer(data.app, name="data")
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.command("backtest")(backtest.backtest)
app.command("optimize")(optimize.optimize)
app.add_typer(strategy.app, name="strategy")
app.add_typer(feed.app, name="feed")
app.command("worker")(worker.worker)


@app.command("version")
def version() -> None:
    """Print the installed QuantDesk version."""
    console.print(f"quantdesk {__version__}")


def main() -> None:
    """Run the command line; the ``quantdesk`` console script points here."""
    app()
