"""Backtests on the platform: submit a run, follow it, read its trades and equity, cancel it.

A run is a ``BacktestRun`` row (``kind="backtest"``) plus a ``backtest`` job. Submitting
loads the bars here, so a symbol without bars is refused at once, and stores them as a
compressed snapshot in the row; the job's worker reads that snapshot (see
``quantdesk.jobs.handlers._inputs``). The completion hook copies the job's result into the
row once, in the transaction that ends the job, and drops the snapshot; the job row keeps
only the metrics. While a run is active its status and progress are the job's, whose
changes go out on the bus as ``jobs:{job_id}``. ``remove`` cancels an active run and
deletes a finished one. Optimisations share this machinery (``services.optimizations``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import structlog
from sqlalchemy.engine import URL

from quantdesk.backtest import BacktestOptions
from quantdesk.bars import Bars
from quantdesk.db.base import utcnow
from quantdesk.db.models import BacktestRun, Job
from quantdesk.db.repositories.backtests import BacktestRunRepository
from quantdesk.db.repositories.base import Paged
from quantdesk.errors import ConflictError, NotFoundError, ValidationError
from quantdesk.jobs.handlers import backtest as backtest_handler
from quantdesk.jobs.handlers._inputs import pack_bars, public_url
from quantdesk.jobs.registry import on_finished
from quantdesk.services import jobs, market_data, strategies
from quantdesk.services.context import ServiceContext
from quantdesk.services.users import require_actor

__all__ = [
    "BacktestRequest",
    "RunState",
    "equity",
    "get",
    "list_runs",
    "load_series",
    "remove",
    "submit",
    "trades",
]

logger = structlog.get_logger(__name__)
ACTIVE = ("queued", "running")
KIND = "backtest"
# Sizing objects are not JSON; runs size positions all-in (the engine default).
OPTION_NAMES = tuple(name for name in BacktestOptions.__dataclass_fields__ if name != "size")


@dataclass(frozen=True, slots=True)
class BacktestRequest:
    """What to backtest: a saved strategy, or a type and parameters, on symbols and a range.

    Empty ``symbols`` and a missing ``timeframe`` fall back to the saved strategy's own;
    ``parameters`` given with a saved strategy override its parameters one by one.
    ``options`` are keywords of :func:`quantdesk.backtest.run` (costs, fills, stops).
    """

    strategy_id: int | None = None
    strategy_type: str | None = None
    parameters: dict[str, Any] | None = None
    symbols: Sequence[str] = ()
    timeframe: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    options: dict[str, Any] = field(default_factory=dict)
    name: str | None = None


@dataclass(frozen=True, slots=True)
class RunState:
    """A run as its owner sees it now: an active run's status and progress are its job's."""

    run: BacktestRun
    status: str
    progress: float


async def submit(ctx: ServiceContext, request: BacktestRequest) -> RunState:
    """Check the request, snapshot its bars and queue the backtest job.

    Raises:
        ValidationError: The strategy type, a parameter (``details.parameter``), an option,
            the timeframe, or a symbol (no bars stored in the range) is invalid.
        NotFoundError: The saved strategy does not exist or is someone else's.
    """
    run, series = await prepare(ctx, request, kind=KIND)
    payload = {**base_payload(ctx, run), "options": run.settings}
    await queue(ctx, run, backtest_handler.KIND, payload, series)
    logger.info("backtest_submitted", backtest_run_id=run.id, job_id=run.job_id)
    return RunState(run, run.status, run.progress)


async def prepare(
    ctx: ServiceContext, request: BacktestRequest, *, kind: str
) -> tuple[BacktestRun, dict[str, Bars]]:
    """Resolve the strategy, check options and load bars; return the unsaved run and bars."""
    user = require_actor(ctx)
    saved, strategy_type, parameters = await _strategy(ctx, request)
    symbols = strategies.normalize_symbols(request.symbols or (saved.symbols if saved else []))
    if not symbols:
        raise ValidationError("symbols: give at least one symbol", details={"field": "symbols"})
    timeframe = request.timeframe or (saved.timeframe if saved else "1d")
    options = check_options(request.options)
    series = await load_series(ctx, symbols, timeframe, request.start, request.end)
    first, last = _span(series)
    run = BacktestRun(
        user_id=user.id, strategy_id=saved.id if saved else None, kind=kind,
        name=request.name, strategy_type=strategy_type, parameters=parameters,
        symbols=symbols, timeframe=timeframe, period_start=first, period_end=last,
        settings=options, status="queued", progress=0.0, metrics={},
    )  # fmt: skip
    return run, series


def base_payload(ctx: ServiceContext, run: BacktestRun) -> dict[str, Any]:
    """The payload fields every run's job shares; the database is named without password."""
    return {
        "backtest_run_id": run.id,
        "database": public_url(_engine_url(ctx)),
        "strategy_type": run.strategy_type,
        "parameters": run.parameters,
    }


async def queue(
    ctx: ServiceContext,
    run: BacktestRun,
    job_kind: str,
    payload: dict[str, Any],
    series: Mapping[str, Bars],
) -> None:
    """Store the run with its bar snapshot, then submit its job and link the two."""
    run.inputs = pack_bars(series)
    repository = BacktestRunRepository(ctx.session)
    await repository.add(run)
    job = await jobs.submit(ctx, kind=job_kind, payload={**payload, "backtest_run_id": run.id})
    run.job_id = job.id
    await repository.flush()


def check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse unknown or invalid backtest options, naming the option and the fix."""
    unknown = sorted(set(options) - set(OPTION_NAMES))
    if unknown:
        raise ValidationError(
            f"options: unknown option(s) {', '.join(unknown)}; use {', '.join(OPTION_NAMES)}",
            details={"field": "options"},
        )
    try:
        BacktestOptions(**options)
    except ValidationError as error:
        raise ValidationError(f"options: {error.message}", details={"field": "options"}) from None
    return dict(options)


async def load_series(
    ctx: ServiceContext,
    symbols: Sequence[str],
    timeframe: str,
    start: datetime | None,
    end: datetime | None,
) -> dict[str, Bars]:
    """Load each symbol's bars; a symbol with fewer than two bars is a 422 naming it."""
    series: dict[str, Bars] = {}
    for symbol in symbols:
        try:
            bars = await market_data.load_bars(ctx, symbol, timeframe, start=start, end=end)
        except NotFoundError:
            bars = None
        if bars is None or len(bars) < 2:
            raise ValidationError(
                f"symbols: {symbol} has fewer than two {timeframe} bars in the range; import "
                "or fetch its bars first, or widen start and end",
                details={"field": "symbols", "symbol": symbol},
            )
        series[symbol] = bars
    return series


async def get(ctx: ServiceContext, run_id: int, *, kind: str = KIND) -> RunState:
    """One of the signed-in user's runs of ``kind``, with its live status."""
    return await state(ctx, await get_run(ctx, run_id, kind=kind))


async def get_run(ctx: ServiceContext, run_id: int, *, kind: str = KIND) -> BacktestRun:
    """The signed-in user's run row; another user's is not found."""
    user = require_actor(ctx)
    run = await BacktestRunRepository(ctx.session).get_for_user(run_id, user.id, kind)
    if run is None:
        raise NotFoundError("Backtest" if kind == KIND else "Optimization", run_id)
    return run


async def list_runs(
    ctx: ServiceContext, *, kind: str = KIND, limit: int = 50, offset: int = 0
) -> Paged[RunState]:
    """The signed-in user's runs of ``kind``, newest first."""
    user = require_actor(ctx)
    page = await BacktestRunRepository(ctx.session).list_for_user(
        user.id, kind, limit=limit, offset=offset
    )
    items = [await state(ctx, run) for run in page.items]
    return Paged(items=items, total=page.total, limit=page.limit, offset=page.offset)


async def state(ctx: ServiceContext, run: BacktestRun) -> RunState:
    """The run with its job's status and progress while it is active."""
    if run.status not in ACTIVE or run.job_id is None:
        return RunState(run, run.status, run.progress)
    job = await ctx.session.get(Job, run.job_id)
    if job is None:
        return RunState(run, run.status, run.progress)
    if job.status not in ACTIVE:
        # The job finished after the run was read; its results were committed with it.
        await ctx.session.refresh(run)
        return RunState(run, run.status, run.progress)
    return RunState(run, job.status, job.progress)


async def remove(ctx: ServiceContext, run_id: int, *, kind: str = KIND) -> RunState | None:
    """Cancel an active run (returning it), or delete a finished one (returning None).

    Raises:
        NotFoundError: The run does not exist or is someone else's.
        ConflictError: The run finished while it was being cancelled; delete it again.
    """
    run = await get_run(ctx, run_id, kind=kind)
    if run.status in ACTIVE and run.job_id is not None:
        await jobs.cancel(ctx, run.job_id)
        logger.info("backtest_cancelled", backtest_run_id=run.id, kind=kind)
        return RunState(run, run.status, run.progress)
    await BacktestRunRepository(ctx.session).delete(run)
    logger.info("backtest_deleted", backtest_run_id=run_id, kind=kind)
    return None


async def trades(
    ctx: ServiceContext, run_id: int, *, limit: int = 50, offset: int = 0
) -> Paged[dict[str, Any]]:
    """One page of a succeeded backtest's closed trades, in exit order."""
    run = await _succeeded(ctx, run_id)
    records = run.trades or []
    return Paged(
        items=records[offset : offset + limit], total=len(records), limit=limit, offset=offset
    )


async def equity(ctx: ServiceContext, run_id: int, *, points: int | None = None) -> dict[str, Any]:
    """A succeeded backtest's equity and buy-and-hold curves, downsampled to ``points``.

    Downsampling keeps the first and last points and, in each of ``points / 2`` equal
    buckets between them, the bars of lowest and highest equity, so drawdowns and peaks
    survive; both curves keep the same bars.
    """
    run = await _succeeded(ctx, run_id)
    curve = run.equity_curve or {"timestamps": [], "equity": [], "benchmark": []}
    values = np.asarray(curve["equity"], dtype=np.float64)
    keep = downsample(values, points) if points else np.arange(len(values))
    return {
        "points": len(keep),
        "total_points": len(values),
        **{name: [curve[name][i] for i in keep] for name in ("timestamps", "equity", "benchmark")},
    }


def downsample(values: np.ndarray, points: int) -> np.ndarray:
    """Indices of at most ``points`` values: first, last, and each bucket's min and max."""
    count = len(values)
    if count <= max(points, 2):
        return np.arange(count)
    buckets = max(1, (points - 2) // 2)
    edges = np.linspace(1, count - 1, buckets + 1).astype(np.int64)
    picks = [0, count - 1]
    for low, high in itertools.pairwise(edges):
        if high > low:
            part = values[low:high]
            picks += [low + int(np.nanargmin(part)), low + int(np.nanargmax(part))]
    return np.unique(np.asarray(picks, dtype=np.int64))


@on_finished(backtest_handler.KIND)
async def record_backtest(ctx: ServiceContext, job: Job) -> None:
    """Copy a finished backtest job's outcome into its run, once; keep the metrics on the job."""
    run = await settle(ctx, job)
    if run is not None and job.status == "succeeded" and job.result:
        run.metrics = job.result["metrics"]
        run.trades = job.result["trades"]
        run.equity_curve = job.result["equity"]
        job.result = {"backtest_run_id": run.id, "metrics": run.metrics}


async def settle(ctx: ServiceContext, job: Job) -> BacktestRun | None:
    """Give a run its job's final status, error and times, and drop its bar snapshot."""
    repository = BacktestRunRepository(ctx.session)
    run = await repository.get(int(job.payload.get("backtest_run_id", 0)))
    if run is None:
        return None
    run.status, run.error = job.status, job.error
    run.progress = 1.0 if job.status == "succeeded" else job.progress
    run.started_at, run.finished_at = job.started_at, job.finished_at or utcnow()
    await repository.clear_inputs(run.id)
    return run


async def _succeeded(ctx: ServiceContext, run_id: int) -> BacktestRun:
    run = await get_run(ctx, run_id)
    if run.status != "succeeded":
        raise ConflictError(
            f"Backtest {run_id} is {run.status}; trades and equity exist once it has succeeded",
            details={"status": run.status},
        )
    return run


async def _strategy(
    ctx: ServiceContext, request: BacktestRequest
) -> tuple[strategies.Strategy | None, str, dict[str, Any]]:
    if request.strategy_id is not None:
        saved = await strategies.get_strategy(ctx, request.strategy_id)
        merged = {**saved.parameters, **(request.parameters or {})}
        return saved, saved.type, strategies.validate_parameters(saved.type, merged)
    if not request.strategy_type:
        raise ValidationError(
            "strategy: give strategy_id of a saved strategy, or strategy_type and parameters",
            details={"field": "strategy"},
        )
    parameters = strategies.validate_parameters(request.strategy_type, request.parameters)
    return None, request.strategy_type, parameters


def _engine_url(ctx: ServiceContext) -> URL:
    bind = ctx.session.get_bind()
    return bind.engine.url


def _span(series: Mapping[str, Bars]) -> tuple[datetime, datetime]:
    first = min(int(bars.timestamps[0]) for bars in series.values())
    last = max(int(bars.timestamps[-1]) for bars in series.values())
    return _moment(first), _moment(last)


def _moment(nanoseconds: int) -> datetime:
    return datetime.fromtimestamp(nanoseconds / 1e9, tz=UTC)
