"""``quantdesk data check``: the data-quality report of stored bars or of a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from quantdesk.cli.common import console, fail, in_context, run, settings_or_exit
from quantdesk.cli.data import app
from quantdesk.errors import QuantDeskError, ValidationError
from quantdesk.marketdata.files import FileOptions
from quantdesk.quality import CALENDARS, Calendar, QualityReport
from quantdesk.services import quality

EXIT_PROBLEMS = 1
SHOWN_ROWS = 20


@app.command("check")
def check(
    symbol: Annotated[str | None, typer.Argument(help="A stored symbol; omit with --file.")] = None,
    timeframe: Annotated[str, typer.Option(help="Bar length, e.g. 1m, 1h, 1d.")] = "1d",
    calendar: Annotated[
        str, typer.Option(help=f"Expected trading calendar: {', '.join(CALENDARS)}.")
    ] = "24/7",
    jump_threshold: Annotated[
        float, typer.Option(min=0.0, help="Close-to-close move counted as a jump (0.2 = 20 %).")
    ] = quality.DEFAULT_JUMP_THRESHOLD,
    file: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, readable=True, help="Check a CSV or Parquet file."
        ),
    ] = None,
    timezone: Annotated[str, typer.Option(help="Zone of the file's naive timestamps.")] = "UTC",
) -> None:
    """Report gaps, duplicates, stale bars, jumps and bad OHLC; exit 1 when any is found."""
    if (symbol is None) == (file is None):
        fail("give a SYMBOL to check stored bars, or --file FILE to check a file")
    if calendar not in CALENDARS:
        fail(f"--calendar must be one of {', '.join(CALENDARS)}, not {calendar!r}")
    chosen: Calendar = calendar
    if file is not None:
        report = _check_file(file, timeframe, timezone, chosen, jump_threshold)
    else:
        report = _check_stored(str(symbol), timeframe, chosen, jump_threshold)
    _print_report(report)
    if not report.clean:
        raise typer.Exit(EXIT_PROBLEMS)


def _check_stored(
    symbol: str, timeframe: str, calendar: Calendar, threshold: float
) -> QualityReport:
    settings = settings_or_exit()

    async def work(ctx: Any) -> QualityReport:
        return await quality.check(
            ctx, symbol, timeframe, calendar=calendar, jump_threshold=threshold
        )

    try:
        return run(in_context(settings, work))
    except QuantDeskError as error:
        fail(error.message)


def _check_file(
    file: Path, timeframe: str, timezone: str, calendar: Calendar, threshold: float
) -> QualityReport:
    options = FileOptions(filename=file.name, timeframe=timeframe, timezone=timezone)
    try:
        return quality.check_file(
            file.read_bytes(), options, calendar=calendar, jump_threshold=threshold
        )
    except ValidationError as error:
        _print_rows(error.details)
        fail(error.message)


def _print_report(report: QualityReport) -> None:
    table = Table(title=f"{report.symbol or 'file'} {report.timeframe} ({report.calendar})")
    table.add_column("check")
    table.add_column("count", justify="right")
    table.add_column("first timestamps")
    for name, finding in report.findings.items():
        style = "red" if finding.count else "green"
        table.add_row(name, f"[{style}]{finding.count}[/{style}]", ", ".join(finding.first))
    console.print(table)
    verdict = "[green]clean[/green]" if report.clean else "[red]problems found[/red]"
    console.print(
        f"{report.bars} bars from {report.start} to {report.end}, "
        f"coverage {report.coverage:.1%} of {report.expected} expected: {verdict}"
    )


def _print_rows(details: Any) -> None:
    if not isinstance(details, list) or not details:
        return
    table = Table(title="Rows the importer refuses")
    for column in ("row", "column", "problem"):
        table.add_column(column)
    for item in details[:SHOWN_ROWS]:
        table.add_row(*(str(item.get(key, "")) for key in ("row", "column", "problem")))
    console.print(table)
