"""``quantdesk backtest``: run a strategy on stored bars here and now, print its metrics.

The command is a composition root: it builds the runtime, loads bars through the
market-data service, runs :func:`quantdesk.backtest.run` in this process and prints a
metrics table of the strategy against buy-and-hold; ``--report`` writes the HTML page.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from quantdesk.backtest import BacktestResult, report, run
from quantdesk.bars import Bars
from quantdesk.cli.common import EXIT_CONFIGURATION, console, fail, in_context, settings_or_exit
from quantdesk.cli.common import run as run_async
from quantdesk.errors import QuantDeskError, ValidationError
from quantdesk.runtime import load_user_strategies
from quantdesk.services import backtests, strategies

Symbols = Annotated[list[str], typer.Option("--symbol", help="A stored symbol; repeat for more.")]
Timeframe = Annotated[str, typer.Option(help="Bar length: 1m, 5m, 1h, 1d, 1w …")]
Params = Annotated[
    list[str] | None, typer.Option("--param", help="A strategy parameter as name=value; repeat.")
]
Moment = Annotated[
    datetime | None, typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"], help="UTC.")
]
SHOWN = (
    ("total_return", "%"), ("cagr", "%"), ("annual_volatility", "%"), ("sharpe", ""),
    ("sortino", ""), ("calmar", ""), ("max_drawdown", "%"),
)  # fmt: skip
TRADE_ROWS = (("number_of_trades", ""), ("win_rate", "%"), ("profit_factor", ""), ("exposure", "%"))


def backtest(
    strategy: Annotated[
        str, typer.Argument(help="A strategy type; see 'quantdesk strategy list'.")
    ],
    symbol: Symbols,
    timeframe: Timeframe = "1d",
    start: Moment = None,
    end: Moment = None,
    param: Params = None,
    cash: Annotated[float, typer.Option(help="Initial cash.")] = 10_000.0,
    commission: Annotated[float, typer.Option(help="Fraction of notional, 0.001 = 0.1 %.")] = 0.0,
    slippage: Annotated[float, typer.Option(help="Basis points, 5 = 0.05 %.")] = 0.0,
    fill: Annotated[str, typer.Option(help="next_open or close.")] = "next_open",
    report_path: Annotated[
        Path | None, typer.Option("--report", help="Write an HTML report here.")
    ] = None,
) -> None:
    """Backtest a strategy on stored bars and print its metrics against buy-and-hold."""
    settings = settings_or_exit()
    load_user_strategies(settings.user_strategies_dir)
    params = checked_params(strategy, param)
    options: dict[str, Any] = {
        "initial_cash": cash,
        "commission": commission,
        "slippage": slippage,
        "fill": fill,
    }
    usable_options(options)
    series = stored_series(settings, symbol, timeframe, start, end)
    try:
        result = run(strategy, series, params, **options)
    except QuantDeskError as error:
        fail(error.message)
    print_metrics(result)
    if report_path is not None:
        console.print(f"Report written to {report(result, report_path)}")


def parse_params(pairs: list[str] | None) -> dict[str, Any]:
    """Turn ``name=value`` pairs into parameters; values read as JSON, else as text."""
    params: dict[str, Any] = {}
    for pair in pairs or []:
        name, equals, text = pair.partition("=")
        if not equals or not name.strip():
            fail(f"--param {pair!r}: write name=value, e.g. --param fast=10", EXIT_CONFIGURATION)
        try:
            params[name.strip()] = json.loads(text)
        except json.JSONDecodeError:
            params[name.strip()] = text
    return params


def checked_params(strategy: str, pairs: list[str] | None) -> dict[str, Any]:
    """Parse and validate parameters for ``strategy``; a bad one stops with exit code 2."""
    try:
        return strategies.validate_parameters(strategy, parse_params(pairs))
    except ValidationError as error:
        fail(error.message, EXIT_CONFIGURATION)


def usable_options(options: dict[str, Any]) -> None:
    """Stop with exit code 2 naming a backtest option that cannot be used."""
    try:
        backtests.check_options(options)
    except ValidationError as error:
        fail(error.message, EXIT_CONFIGURATION)


def stored_series(
    settings: Any,
    symbols: list[str],
    timeframe: str,
    start: datetime | None,
    end: datetime | None,
) -> dict[str, Bars]:
    """Load each symbol's stored bars, or stop with one line naming the symbol."""
    names = strategies.normalize_symbols(symbols)
    first, last = (moment.replace(tzinfo=UTC) if moment else None for moment in (start, end))
    try:
        return run_async(
            in_context(
                settings, lambda ctx: backtests.load_series(ctx, names, timeframe, first, last)
            )
        )
    except QuantDeskError as error:
        fail(error.message)


def print_metrics(result: BacktestResult) -> None:
    """Print the strategy's metrics next to buy-and-hold's, then its trade statistics."""
    metrics = result.metrics
    table = Table("metric", "strategy", "buy & hold", title="Backtest")
    for name, unit in SHOWN:
        mine, theirs = getattr(metrics.performance, name), getattr(metrics.benchmark, name)
        table.add_row(name.replace("_", " "), _shown(mine, unit), _shown(theirs, unit))
    for name, unit in TRADE_ROWS:
        table.add_row(name.replace("_", " "), _shown(getattr(metrics.trades, name), unit), "")
    console.print(table)


def _shown(value: float, unit: str) -> str:
    if value != value:  # NaN: the metric is undefined here
        return "-"
    if unit == "%":
        return f"{value * 100:.2f} %"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.3f}"
