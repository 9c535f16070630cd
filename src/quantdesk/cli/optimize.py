"""``quantdesk optimize``: sweep a grid or search with Optuna on stored bars, with progress.

``--grid name=start:stop:step`` (both ends included) or ``--grid name=5,10,20`` gives each
parameter's values; with ``--method optuna`` ``name=low:high[:step]`` is a range to search.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from quantdesk.backtest import optimize as search
from quantdesk.backtest import sweep
from quantdesk.bars import Bars
from quantdesk.cli.backtest import Moment, Params, Symbols, Timeframe, checked_params, stored_series
from quantdesk.cli.common import EXIT_CONFIGURATION, console, fail, settings_or_exit
from quantdesk.errors import QuantDeskError
from quantdesk.runtime import load_user_strategies
from quantdesk.strategies import Strategy, create

if TYPE_CHECKING:
    import pandas as pd

SHOWN_ROWS = 10
Method = Annotated[str, typer.Option(help="grid (every combination) or optuna (a search).")]
Grid = Annotated[
    list[str], typer.Option("--grid", help="name=start:stop:step or name=v1,v2,…; repeat.")
]


def optimize(
    strategy: Annotated[
        str, typer.Argument(help="A strategy type; see 'quantdesk strategy list'.")
    ],
    symbol: Symbols,
    grid: Grid,
    timeframe: Timeframe = "1d",
    start: Moment = None,
    end: Moment = None,
    param: Params = None,
    metric: Annotated[str, typer.Option(help="The metric to rank by.")] = "sharpe",
    minimize: Annotated[bool, typer.Option(help="Rank the lowest metric first.")] = False,
    method: Method = "grid",
    trials: Annotated[int, typer.Option(min=1, help="Optuna trials.")] = 100,
    commission: Annotated[float, typer.Option(help="Fraction of notional.")] = 0.0,
) -> None:
    """Optimise a strategy's parameters and print the best ten rows."""
    settings = settings_or_exit()
    load_user_strategies(settings.user_strategies_dir)
    base = checked_params(strategy, param)
    if method not in ("grid", "optuna"):
        fail(f"--method {method!r}: use grid or optuna", EXIT_CONFIGURATION)
    space = dict(parse_axis(text, as_range=method == "optuna") for text in grid)
    series = stored_series(settings, symbol, timeframe, start, end)
    options: dict[str, Any] = {"metric": metric, "maximize": not minimize, "commission": commission}
    if method == "optuna":
        options["trials"] = trials
    with _progress() as progress:
        task = progress.add_task("Backtesting", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            table = _ranked(method, create(strategy, base), series, space, advance, options)
        except QuantDeskError as error:
            fail(error.message)
    _print(table, metric)


def parse_axis(text: str, *, as_range: bool = False) -> tuple[str, list[Any] | tuple[Any, ...]]:
    """Read ``name=start:stop:step`` (inclusive) or ``name=v1,v2``; ranges stay tuples."""
    name, equals, values = text.partition("=")
    if not equals or not name.strip() or not values:
        fail(f"--grid {text!r}: write name=5:50:5 or name=5,10,20", EXIT_CONFIGURATION)
    try:
        numbers = [_number(part) for part in values.replace(",", " ").replace(":", " ").split()]
    except ValueError:
        fail(f"--grid {text!r}: values must be numbers", EXIT_CONFIGURATION)
    if ":" not in values:
        return name.strip(), numbers
    if len(numbers) not in (2, 3):
        fail(f"--grid {text!r}: a range is start:stop or start:stop:step", EXIT_CONFIGURATION)
    if as_range:
        return name.strip(), tuple(numbers)
    first, last, step = (*numbers, 1)[:3]
    if step <= 0 or last < first:
        fail(f"--grid {text!r}: need start <= stop and a step above 0", EXIT_CONFIGURATION)
    count = int((last - first) / step + 1e-9) + 1
    return name.strip(), [first + step * index for index in range(count)]


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def _ranked(
    method: str,
    strategy: Strategy[Any],
    series: dict[str, Bars],
    space: dict[str, Any],
    advance: Callable[[int, int], None],
    options: dict[str, Any],
) -> pd.DataFrame:
    if method == "grid":
        return sweep(strategy, series, space, progress=advance, **options).table
    found = search(strategy, series, space, progress=advance, **options)
    complete = found.trials[found.trials["state"] == "COMPLETE"]
    return complete.sort_values(options["metric"], ascending=not options["maximize"])


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _print(frame: pd.DataFrame, metric: str) -> None:
    table = Table(*map(str, frame.columns), title=f"Best {SHOWN_ROWS} by {metric}")
    for row in frame.head(SHOWN_ROWS).itertuples(index=False):
        table.add_row(*(_cell(value) for value in row))
    console.print(table)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "-" if value != value else f"{value:.4f}"
    return str(value)
