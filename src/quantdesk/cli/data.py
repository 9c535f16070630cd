"""``quantdesk data``: import bar files and generate synthetic bars into the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from quantdesk.cli.common import console, errors, fail, in_context, run, settings_or_exit
from quantdesk.errors import QuantDeskError, ValidationError
from quantdesk.services import demo, market_data
from quantdesk.services.market_data import ImportSummary

app = typer.Typer(help="Import and generate market data.", no_args_is_help=True)

SHOWN_PROBLEMS = 20
Timeframe = Annotated[str, typer.Option(help="Bar length: 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w.")]
Symbol = Annotated[str, typer.Option(help="The instrument's symbol; created when new.")]
Exchange = Annotated[str, typer.Option(help="The exchange the symbol trades on, if any.")]


@app.command("import")
def import_file(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or Parquet.")
    ],
    symbol: Symbol,
    timeframe: Timeframe = "1d",
    exchange: Exchange = "",
    timezone: Annotated[str, typer.Option(help="Zone of naive timestamps.")] = "UTC",
    adjusted: Annotated[bool, typer.Option(help="Scale prices by Adj Close / Close.")] = False,
) -> None:
    """Import a CSV or Parquet file of bars; a malformed file stores nothing."""
    settings = settings_or_exit()
    options = market_data.FileOptions(
        filename=file.name, timeframe=timeframe, timezone=timezone, adjusted=adjusted, symbol=symbol
    )
    with _progress() as progress:
        task = progress.add_task(f"Reading {file.name}", total=None)
        data = file.read_bytes()
        progress.update(task, description=f"Parsing and storing {file.name}")

        async def work(ctx: Any) -> ImportSummary:
            return await market_data.import_file(
                ctx,
                data,
                options,
                symbol=symbol,
                exchange=exchange,
                progress=_advance(progress, task),
            )

        summary = _run_or_fail(lambda: run(in_context(settings, work)))
    _print_summary(summary)


@app.command("synth")
def synth(
    symbol: Symbol,
    timeframe: Timeframe = "1h",
    bars: Annotated[int, typer.Option(min=1, help="How many bars to generate.")] = 5_000,
    seed: Annotated[int, typer.Option(min=0, help="The same seed gives the same bars.")] = 0,
    start: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"], help="First bar (UTC).")
    ] = datetime(2024, 1, 1),
    initial_price: Annotated[float, typer.Option(help="Price before the first bar.")] = 100.0,
    drift: Annotated[float, typer.Option(help="Annualised drift, 0.05 = 5 %.")] = 0.05,
    volatility: Annotated[float, typer.Option(help="Annualised volatility, 0.25 = 25 %.")] = 0.25,
    exchange: Exchange = "",
) -> None:
    """Generate seeded synthetic bars (GBM with volatility regimes) and store them."""
    settings = settings_or_exit()
    spec = market_data.SyntheticSpec(
        symbol=symbol,
        timeframe=timeframe,
        start=start.replace(tzinfo=UTC),
        bars=bars,
        seed=seed,
        initial_price=initial_price,
        drift=drift,
        volatility=volatility,
    )
    summary = _run_or_fail(
        lambda: run(
            in_context(
                settings, lambda ctx: market_data.store_synthetic(ctx, spec, exchange=exchange)
            )
        )
    )
    _print_summary(summary)


@app.command("demo")
def demo_data() -> None:
    """Store the demo symbols at 1d and 1h once; running it again changes nothing."""
    settings = settings_or_exit()
    summaries = _run_or_fail(lambda: run(in_context(settings, demo.ensure_demo_data)))
    if not summaries:
        console.print("The demo market data is stored already.")
        return
    _print_summary(*summaries)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _advance(progress: Progress, task: Any) -> Callable[[int, int], None]:
    def advance(done: int, total: int) -> None:
        progress.update(task, description="Storing bars", completed=done, total=total)

    return advance


def _run_or_fail(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except ValidationError as error:
        _print_problems(error)
        fail(error.message)
    except QuantDeskError as error:
        fail(error.message)


def _print_problems(error: ValidationError) -> None:
    details = error.details if isinstance(error.details, list) else []
    rows = [detail for detail in details if isinstance(detail, dict) and "row" in detail]
    if not rows:
        return
    table = Table("row", "column", "problem", title="Rows with problems")
    for detail in rows[:SHOWN_PROBLEMS]:
        table.add_row(str(detail["row"]), str(detail.get("column", "")), str(detail["problem"]))
    errors.print(table)


def _print_summary(*summaries: ImportSummary) -> None:
    table = Table("symbol", "tf", "rows", "new", "changed", "same", "from (UTC)", "to (UTC)")
    for summary in summaries:
        table.add_row(
            ":".join(filter(None, (summary.exchange, summary.symbol))),
            summary.timeframe,
            f"{summary.rows:,}",
            f"{summary.inserted:,}",
            f"{summary.updated:,}",
            f"{summary.unchanged:,}",
            _moment(summary.first),
            _moment(summary.last),
        )
    console.print(table)


def _moment(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"
