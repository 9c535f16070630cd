"""``quantdesk strategy``: list the registered strategy types and check one for look-ahead."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from quantdesk.bars import Bars
from quantdesk.cli.backtest import Params, checked_params, stored_series
from quantdesk.cli.common import EXIT_FAILURE, console, fail, settings_or_exit
from quantdesk.errors import QuantDeskError
from quantdesk.marketdata.synthetic import SyntheticSpec, synthetic_bars
from quantdesk.runtime import load_user_strategies
from quantdesk.services import strategies
from quantdesk.strategies import check_lookahead

app = typer.Typer(
    help="Strategy types: list them, check them for look-ahead.", no_args_is_help=True
)

SYNTHETIC_BARS = 1_000


@app.command("list")
def list_types() -> None:
    """List the registered strategy types, user strategies included, with their defaults."""
    settings = settings_or_exit()
    load_user_strategies(settings.user_strategies_dir)
    table = Table("name", "description", "parameters (defaults)")
    for info in strategies.strategy_types():
        properties = info.parameters.get("properties", {})
        defaults = ", ".join(
            f"{name}={spec['default']}" for name, spec in properties.items() if "default" in spec
        )
        table.add_row(info.name, info.description, defaults or "-")
    console.print(table)


@app.command("check-lookahead")
def check(
    name: Annotated[str, typer.Argument(help="A strategy type; see 'quantdesk strategy list'.")],
    symbol: Annotated[
        str | None, typer.Option(help="Check on this stored symbol instead of synthetic bars.")
    ] = None,
    timeframe: Annotated[str, typer.Option(help="Bar length of the stored bars.")] = "1d",
    param: Params = None,
) -> None:
    """Check that signals never change when later bars arrive; exit 1 when they do."""
    settings = settings_or_exit()
    load_user_strategies(settings.user_strategies_dir)
    params = checked_params(name, param)
    if symbol is None:
        bars = _synthetic(timeframe)
    else:
        bars = next(iter(stored_series(settings, [symbol], timeframe, None, None).values()))
    try:
        found = check_lookahead(name, bars, params=params)
    except QuantDeskError as error:
        fail(error.message)
    console.print(found.summary(), soft_wrap=True)
    if not found.passed:
        raise typer.Exit(EXIT_FAILURE)


def _synthetic(timeframe: str) -> Bars:
    spec = SyntheticSpec(
        symbol="SYNTHETIC", timeframe=timeframe, start=datetime(2020, 1, 1, tzinfo=UTC),
        bars=SYNTHETIC_BARS,
    )  # fmt: skip
    return synthetic_bars(spec)
