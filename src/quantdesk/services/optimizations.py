"""Optimisations: search a strategy's parameters as a background job, follow it, cancel it.

An optimisation is a ``BacktestRun`` row with ``kind="optimization"`` and one
``optimization`` job; it shares submission, bar snapshots, status and cancellation with
backtests (``services.backtests``). ``grid`` sweeps every combination in parallel chunks,
``optuna`` searches a space trial by trial, ``walk_forward`` optimises a grid on rolling
windows of one symbol. The result (best parameters, the best ``TOP_ROWS`` rows sorted by
the metric, a heat map of two grid parameters, or the walk-forward windows) is stored once
in the run's ``results``; its ``metrics`` hold the best parameters and value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import structlog

from quantdesk.backtest.sweep import METRICS
from quantdesk.bars import Bars
from quantdesk.db.models import Job
from quantdesk.db.repositories.base import Paged
from quantdesk.errors import ValidationError
from quantdesk.jobs.handlers import optimization as optimization_handler
from quantdesk.jobs.registry import on_finished
from quantdesk.services import backtests
from quantdesk.services.backtests import BacktestRequest, RunState
from quantdesk.services.context import ServiceContext
from quantdesk.strategies import get as strategy_class

__all__ = ["OptimizationRequest", "get", "list_optimizations", "remove", "submit"]

logger = structlog.get_logger(__name__)
KIND = "optimization"
MAX_COMBINATIONS = 100_000
MAX_TRIALS = 10_000
Method = Literal["grid", "optuna", "walk_forward"]


@dataclass(frozen=True, slots=True)
class OptimizationRequest:
    """What to search: the strategy and bars as for a backtest, a method and its space.

    ``grid`` maps parameters to value lists (``grid`` and ``walk_forward``); ``space`` maps
    them to ``{"low", "high", "step"?}`` ranges or ``{"choices": [...]}`` (``optuna``).
    """

    target: BacktestRequest
    method: Method = "grid"
    grid: dict[str, list[Any]] = field(default_factory=dict)
    space: dict[str, dict[str, Any]] = field(default_factory=dict)
    metric: str = "sharpe"
    maximize: bool = True
    trials: int = 50
    seed: int = 0
    train_bars: int | None = None
    test_bars: int | None = None
    heatmap: tuple[str, str] | None = None
    chunks: int | None = None


async def submit(ctx: ServiceContext, request: OptimizationRequest) -> RunState:
    """Check the search, snapshot the bars and queue the optimisation job.

    Raises:
        ValidationError: As for a backtest, or the metric, grid, space, trials or windows
            are invalid (``details.field`` names which).
        NotFoundError: The saved strategy does not exist or is someone else's.
    """
    run, series = await backtests.prepare(ctx, request.target, kind=KIND)
    search = _search(request, run.strategy_type, run.parameters, series)
    run.settings = {"options": run.settings, **search}
    payload = {**backtests.base_payload(ctx, run), **search, "options": run.settings["options"]}
    await backtests.queue(ctx, run, optimization_handler.KIND, payload, series)
    logger.info("optimization_submitted", backtest_run_id=run.id, method=request.method)
    return RunState(run, run.status, run.progress)


async def get(ctx: ServiceContext, run_id: int) -> RunState:
    """One of the signed-in user's optimisations, with its live status."""
    return await backtests.get(ctx, run_id, kind=KIND)


async def list_optimizations(
    ctx: ServiceContext, *, limit: int = 50, offset: int = 0
) -> Paged[RunState]:
    """The signed-in user's optimisations, newest first."""
    return await backtests.list_runs(ctx, kind=KIND, limit=limit, offset=offset)


async def remove(ctx: ServiceContext, run_id: int) -> RunState | None:
    """Cancel an active optimisation (returning it) or delete a finished one (None)."""
    return await backtests.remove(ctx, run_id, kind=KIND)


@on_finished(optimization_handler.KIND)
async def record_optimization(ctx: ServiceContext, job: Job) -> None:
    """Store a finished optimisation's result in its run, once; keep the best on the job."""
    run = await backtests.settle(ctx, job)
    if run is not None and job.status == "succeeded" and job.result:
        run.results = job.result
        run.metrics = {key: job.result.get(key) for key in ("best", "best_value")}
        job.result = {"backtest_run_id": run.id, **run.metrics}


def _search(
    request: OptimizationRequest,
    strategy_type: str,
    parameters: dict[str, Any],
    series: Mapping[str, Bars],
) -> dict[str, Any]:
    if request.metric not in METRICS:
        raise _invalid("metric", f"choose one of {', '.join(METRICS)}, not {request.metric!r}")
    common = {"method": request.method, "metric": request.metric, "maximize": request.maximize}
    if request.method == "optuna":
        return {**common, **_optuna(request, strategy_type)}
    names = _grid(request, strategy_type, parameters)
    if request.method == "grid":
        return {
            **common,
            "grid": request.grid,
            "heatmap": _axes(request, names),
            "chunks": request.chunks,
        }
    return {**common, "grid": request.grid, **_windows(request, series)}


def _grid(
    request: OptimizationRequest, strategy_type: str, parameters: dict[str, Any]
) -> tuple[str, ...]:
    if not request.grid:
        raise _invalid("grid", 'map parameters to lists of values, e.g. {"fast": [5, 10]}')
    try:
        names, combos, skipped = optimization_handler.admitted(
            strategy_type, parameters, request.grid
        )
    except ValidationError as error:
        raise _invalid("grid", error.message) from None
    if not combos:
        raise _invalid("grid", f"the strategy refuses all {skipped} combinations; widen the grid")
    if len(combos) > MAX_COMBINATIONS:
        raise _invalid("grid", f"{len(combos)} combinations is over {MAX_COMBINATIONS}; use optuna")
    return names


def _optuna(request: OptimizationRequest, strategy_type: str) -> dict[str, Any]:
    known = strategy_class(strategy_type).Parameters.model_fields
    if not request.space:
        raise _invalid("space", 'map parameters to {"low", "high"} ranges or choices')
    for name, spec in request.space.items():
        if name not in known:
            raise _invalid(
                "space", f"{name!r} is not a parameter of {strategy_type}; use {', '.join(known)}"
            )
        if "choices" not in spec and not {"low", "high"} <= set(spec):
            raise _invalid("space", f"{name!r} needs low and high, or choices")
    if not 1 <= request.trials <= MAX_TRIALS:
        raise _invalid("trials", f"use 1 to {MAX_TRIALS} trials, not {request.trials}")
    return {"space": request.space, "trials": request.trials, "seed": request.seed}


def _axes(request: OptimizationRequest, names: tuple[str, ...]) -> list[str] | None:
    if request.heatmap is None:
        return list(names[:2]) if len(names) >= 2 else None
    x, y = request.heatmap
    if x == y or x not in names or y not in names:
        raise _invalid("heatmap", f"name two different grid parameters out of {', '.join(names)}")
    return [x, y]


def _windows(request: OptimizationRequest, series: Mapping[str, Bars]) -> dict[str, Any]:
    if len(series) != 1:
        raise _invalid("symbols", "walk-forward analyses one symbol; give exactly one")
    train, test = request.train_bars, request.test_bars
    if not train or not test or train < 2 or test < 1:
        raise _invalid("train_bars", "give train_bars (at least 2) and test_bars (at least 1)")
    length = len(next(iter(series.values())))
    if train + test > length:
        raise _invalid(
            "train_bars", f"train_bars + test_bars ({train + test}) exceeds the {length} bars"
        )
    return {"train_bars": train, "test_bars": test}


def _invalid(field_name: str, problem: str) -> ValidationError:
    return ValidationError(f"{field_name}: {problem}", details={"field": field_name})
