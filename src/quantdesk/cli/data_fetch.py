"""``quantdesk data fetch``: download bars from yfinance or Twelve Data into the database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from quantdesk.cli.common import console, fail, run, settings_or_exit
from quantdesk.cli.data import app
from quantdesk.errors import QuantDeskError
from quantdesk.runtime import build_runtime
from quantdesk.services import providers
from quantdesk.services.market_data import ImportSummary
from quantdesk.settings import Settings

DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]


@app.command("fetch")
def fetch(
    symbol: Annotated[str, typer.Argument(help="The symbol as the provider writes it.")],
    provider: Annotated[str, typer.Option(help="yfinance or twelvedata.")] = "yfinance",
    timeframe: Annotated[str, typer.Option(help="Bar length, e.g. 1h, 1d.")] = "1d",
    start: Annotated[
        datetime | None, typer.Option(formats=DATE_FORMATS, help="First bar (UTC).")
    ] = None,
    end: Annotated[
        datetime | None, typer.Option(formats=DATE_FORMATS, help="Last bar (UTC).")
    ] = None,
    exchange: Annotated[str, typer.Option(help="The exchange to file the bars under.")] = "",
) -> None:
    """Fetch a symbol's bars from a data provider and store them."""
    settings = settings_or_exit()
    try:
        summary = run(
            _fetch(settings, provider, symbol, timeframe, _utc(start), _utc(end), exchange)
        )
    except QuantDeskError as error:
        fail(error.message)
    console.print(
        f"Stored {summary.rows} {summary.timeframe} bars of [bold]{summary.symbol}[/bold] "
        f"from {provider}: {summary.inserted} new, {summary.updated} changed, "
        f"{summary.unchanged} unchanged ({summary.first} .. {summary.last})"
    )


async def _fetch(
    settings: Settings,
    provider: str,
    symbol: str,
    timeframe: str,
    start: datetime | None,
    end: datetime | None,
    exchange: str,
) -> ImportSummary:
    runtime = build_runtime(settings)
    try:
        async with runtime.context() as ctx:
            return await providers.fetch_and_store(
                ctx,
                runtime.providers,
                provider=provider,
                symbol=symbol,
                timeframe=timeframe,
                start=start,
                end=end,
                exchange=exchange,
            )
    finally:
        await runtime.close()


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
