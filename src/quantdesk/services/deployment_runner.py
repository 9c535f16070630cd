"""Run deployments: each new bar from the feed goes through the strategy, risk and the broker.

The life of a bar in a running deployment:

1. the feed yields a completed one-row bar; a paper broker matches its resting orders
   against it first (an order sent on the previous bar fills at this bar's open);
2. the bar is appended to the symbol's rolling history and the strategy computes its
   signals with the backtest's own call (:func:`quantdesk.backtest.engine.strategy_signals`);
3. only the last bar's values are acted on: an exit while long closes the position, an
   entry while flat (and no exit on the same bar) buys the deployment's size;
4. the order goes through :func:`quantdesk.services.orders.submit_order` (risk limits of the
   deployment's account, protections, the kill switch) to the user's broker; the signal is
   stored and published on ``signals``; a refusal becomes a strategy event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

import numpy as np
import structlog
from sqlalchemy.exc import SQLAlchemyError

from quantdesk.backtest.engine import strategy_signals
from quantdesk.bars import Bars
from quantdesk.db.models import Deployment, Signal, User
from quantdesk.db.repositories.deployments import DeploymentRepository
from quantdesk.errors import ConflictError, QuantDeskError
from quantdesk.ports.broker import Broker
from quantdesk.ports.market_data import LiveFeed
from quantdesk.services import backtests, deployments, events, orders, strategies
from quantdesk.services.context import ServiceContext
from quantdesk.services.deployment_restore import restore_books
from quantdesk.services.deployments import FeedSpec, SizingSpec
from quantdesk.services.instruments import ensure_instrument
from quantdesk.services.trading_runtime import ContextFactory, TradingEngine
from quantdesk.strategies.base import Signals, Strategy
from quantdesk.strategies.registry import get as strategy_class
from quantdesk.trading.fills import Bar
from quantdesk.trading.money import ZERO, as_decimal
from quantdesk.trading.sizing import size_by_risk

__all__ = ["BarMatching", "DeploymentRunner", "FeedFactory", "Plan"]

logger = structlog.get_logger(__name__)

FeedFactory = Callable[[FeedSpec, Mapping[str, Bars]], LiveFeed]
HISTORY_LIMIT = 20_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@runtime_checkable
class BarMatching(Protocol):
    """A broker that matches its resting orders against bars it is given (the paper broker)."""

    def on_bar(
        self, symbol: str, bar: Bar, *, volume: float | None = None, at: datetime | None = None
    ) -> None:
        """Match the working orders of ``symbol`` against one completed bar."""
        ...


@dataclass(frozen=True, slots=True)
class Plan:
    """What a running deployment needs, read once from its row and strategy."""

    deployment_id: int
    user_id: int
    strategy_id: int
    strategy: Strategy[Any]
    symbols: list[str]
    timeframe: str
    mode: str
    account: str
    sizing: SizingSpec
    feed: FeedSpec


@dataclass
class DeploymentRunner:
    """Owns one task per running deployment; the composition root gives the feed factory."""

    contexts: ContextFactory
    trading: TradingEngine
    feeds: FeedFactory
    live_available: bool = False
    _tasks: dict[int, asyncio.Task[None]] = field(default_factory=dict)

    def running(self) -> list[int]:
        """The ids of the deployments running in this process."""
        return [key for key, task in self._tasks.items() if not task.done()]

    async def start(self, ctx: ServiceContext, deployment_id: int) -> Deployment:
        """Start one of the signed-in user's deployments on its feed.

        Raises:
            NotFoundError: The deployment does not exist or is someone else's.
            ConflictError: It is already running.
            ValidationError: A symbol has fewer than two stored bars for the replay feed.
        """
        row = await deployments.get_deployment(ctx, deployment_id)
        if deployment_id in self.running():
            raise ConflictError(
                f"deployment {deployment_id} is already running; stop it first",
                details={"deployment_id": deployment_id},
            )
        plan = await self._plan(ctx, row)
        feed = self.feeds(plan.feed, await self._history(ctx, plan))
        await deployments.mark_running(ctx, row)
        await ctx.commit()  # the task must find it running, even if its feed ends at once
        self._launch(plan, feed)
        return row

    async def stop(self, ctx: ServiceContext, deployment_id: int) -> Deployment:
        """Stop a deployment; its working orders stay at the broker."""
        row = await deployments.get_deployment(ctx, deployment_id)
        await self._cancel(deployment_id)
        await deployments.mark_stopped(ctx, row)
        return row

    async def restore(self) -> int:
        """Restore the stored book into the brokers, then restart every running deployment.

        Returns how many deployments started; see :mod:`quantdesk.services.deployment_restore`.
        An unreachable database is logged and skipped, so the server still starts and its
        health endpoints can tell.
        """
        try:
            return await self._restore()
        except (SQLAlchemyError, OSError) as error:
            logger.error("deployments_restore_failed", error_type=type(error).__name__)
            return 0

    async def _restore(self) -> int:
        async with self.contexts() as ctx:
            differences = await restore_books(ctx, self.trading)
            rows = await DeploymentRepository(ctx.session).running()
            logger.info("deployments_restoring", deployments=len(rows), differences=differences)
            ready = [await self._restore_one(ctx, row) for row in rows]
        launched = [item for item in ready if item is not None]
        for plan, feed in launched:
            self._launch(plan, feed)
        return len(launched)

    async def _restore_one(
        self, ctx: ServiceContext, row: Deployment
    ) -> tuple[Plan, LiveFeed] | None:
        ctx.actor = await ctx.session.get(User, row.user_id)
        try:
            plan = await self._plan(ctx, row)
            feed = self.feeds(plan.feed, await self._history(ctx, plan))
        except QuantDeskError as error:
            await deployments.mark_stopped(ctx, row, error=error.message)
            return None
        await deployments.record_event(ctx, row, "deployment_restored", "restarted at start-up")
        return plan, feed

    async def close(self) -> None:
        """Stop every task without marking the deployments, so start-up restarts them."""
        for deployment_id in list(self._tasks):
            await self._cancel(deployment_id)

    async def _cancel(self, deployment_id: int) -> None:
        task = self._tasks.pop(deployment_id, None)
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _plan(self, ctx: ServiceContext, row: Deployment) -> Plan:
        saved = await strategies.get_strategy(ctx, row.strategy_id)
        return Plan(
            deployment_id=row.id,
            user_id=row.user_id,
            strategy_id=saved.id,
            strategy=strategy_class(saved.type)(saved.parameters),
            symbols=list(row.symbols),
            timeframe=row.timeframe,
            mode=row.mode,
            account=row.account,
            sizing=SizingSpec.of(row.risk_profile),
            feed=FeedSpec.of(row.risk_profile["feed"]),
        )

    async def _history(self, ctx: ServiceContext, plan: Plan) -> dict[str, Bars]:
        if plan.feed.kind != "replay":
            return {}
        return await backtests.load_series(ctx, plan.symbols, plan.timeframe, plan.feed.start, None)

    def _launch(self, plan: Plan, feed: LiveFeed) -> None:
        task = asyncio.create_task(self._run(plan, feed), name=f"deployment-{plan.deployment_id}")
        self._tasks[plan.deployment_id] = task

    async def _run(self, plan: Plan, feed: LiveFeed) -> None:
        error: str | None = None
        try:
            broker = await self.trading.broker(plan.user_id, plan.mode)
            history: dict[str, Bars] = {}
            async for bar in feed.bars(plan.symbols, plan.timeframe):
                await self._on_bar(plan, broker, history, bar)
        except QuantDeskError as failure:
            error = failure.message
        except Exception as failure:  # a crashing deployment is recorded, never lost silently
            logger.exception("deployment_crashed", deployment_id=plan.deployment_id)
            error = f"{type(failure).__name__}: {failure}"
        await self._finish(plan, error)

    async def _finish(self, plan: Plan, error: str | None) -> None:
        async with self.contexts() as ctx:
            row = await DeploymentRepository(ctx.session).get(plan.deployment_id)
            if row is not None and row.status == "running":
                await deployments.mark_stopped(ctx, row, error=error)

    async def _on_bar(
        self, plan: Plan, broker: Broker, history: dict[str, Bars], bar: Bars
    ) -> None:
        at = _moment(int(bar.timestamps[0]))
        if isinstance(broker, BarMatching):
            prices = (
                float(bar.open[0]),
                float(bar.high[0]),
                float(bar.low[0]),
                float(bar.close[0]),
            )
            broker.on_bar(bar.symbol, Bar.of(*prices), volume=float(bar.volume[0]), at=at)
        series = _append(history.get(bar.symbol), bar)
        history[bar.symbol] = series
        signals = strategy_signals(plan.strategy, bar.symbol, series)
        action = await _action(broker, bar.symbol, signals)
        if action is None:
            return
        async with self.contexts() as ctx:
            await _act(ctx, plan, broker, bar, signals, action)

    async def wait(self, deployment_id: int) -> None:
        """Wait until the deployment's feed ends (tests and the CLI replay to the end)."""
        task = self._tasks.get(deployment_id)
        if task is not None:
            await asyncio.shield(task)


async def _action(broker: Broker, symbol: str, signals: Signals) -> tuple[str, Decimal] | None:
    held = next((p.quantity for p in await broker.positions() if p.symbol == symbol), ZERO)
    exits, entries = bool(signals.exits[-1]), bool(signals.entries[-1])
    if held > ZERO and exits:
        return "SELL", held
    if held == ZERO and entries and not exits:
        return "BUY", ZERO
    return None


async def _act(
    ctx: ServiceContext,
    plan: Plan,
    broker: Broker,
    bar: Bars,
    signals: Signals,
    action: tuple[str, Decimal],
) -> None:
    """Store the signal of the last bar and send its order through risk to the broker."""
    ctx.actor = await ctx.session.get(User, plan.user_id)
    side, quantity = action
    close = as_decimal(float(bar.close[0]))
    stop = _last(signals.stop_loss)
    if side == "BUY":
        quantity = await _entry_size(broker, plan.sizing, close, stop)
    signal = await _signal(ctx, plan, bar, side, close, stop)
    if quantity <= ZERO:
        await _refused(ctx, plan, signal, bar.symbol, _no_size(plan.sizing, stop, close))
        return
    request = orders.OrderRequest(
        client_order_id=f"dep{plan.deployment_id}-{bar.symbol}-{int(bar.timestamps[0])}-{side}",
        symbol=bar.symbol,
        side=side.lower(),
        quantity=quantity,
        mode=plan.mode,
        account=plan.account,
        deployment_id=plan.deployment_id,
        strategy_id=plan.strategy_id,
    )
    try:
        async with ctx.session.begin_nested():
            await orders.submit_order(ctx, broker, request)
    except QuantDeskError as error:
        await _refused(ctx, plan, signal, bar.symbol, error.message)
        return
    signal.status = "executed"
    _publish(ctx, plan, signal, bar.symbol)


async def _entry_size(
    broker: Broker, sizing: SizingSpec, close: Decimal, stop: Decimal | None
) -> Decimal:
    if sizing.quantity is not None:
        return sizing.quantity
    if stop is None or sizing.risk_fraction is None or stop >= close:
        return ZERO
    equity = (await broker.account()).equity
    return size_by_risk(equity, close, stop, sizing.risk_fraction)


def _no_size(sizing: SizingSpec, stop: Decimal | None, close: Decimal) -> str:
    if stop is None:
        return (
            f"risk_fraction {sizing.risk_fraction} needs the strategy's stop_loss at the entry "
            "bar and it gave none; size by quantity, or use a strategy that sets stops"
        )
    if stop >= close:
        return f"stop_loss {stop} is not below the close {close}; a long entry needs it below"
    return f"one unit risks more than {sizing.risk_fraction} of equity at stop_loss {stop}"


async def _signal(
    ctx: ServiceContext, plan: Plan, bar: Bars, side: str, close: Decimal, stop: Decimal | None
) -> Signal:
    instrument = await ensure_instrument(ctx, bar.symbol)
    row = Signal(
        user_id=plan.user_id,
        strategy_id=plan.strategy_id,
        deployment_id=plan.deployment_id,
        instrument_id=instrument.id,
        action=side,
        status="pending",
        ts=_moment(int(bar.timestamps[0])),
        price=close,
        stop_loss=stop,
    )
    return await DeploymentRepository(ctx.session).add_signal(row)


async def _refused(
    ctx: ServiceContext, plan: Plan, signal: Signal, symbol: str, reason: str
) -> None:
    signal.status = "rejected"
    signal.reasons = [reason]
    row = await DeploymentRepository(ctx.session).get(plan.deployment_id)
    if row is not None:
        details = {"signal_id": signal.id, "action": signal.action}
        await deployments.record_event(
            ctx, row, "order_refused", reason, severity="warning", details=details
        )
    _publish(ctx, plan, signal, symbol)


def _publish(ctx: ServiceContext, plan: Plan, signal: Signal, symbol: str) -> None:
    payload = {
        "id": signal.id,
        "deployment_id": plan.deployment_id,
        "symbol": symbol,
        "action": signal.action,
        "status": signal.status,
        "ts": signal.ts.isoformat(),
        "price": str(signal.price),
    }
    events.publish(ctx, "signals", plan.user_id, "signal", payload)


def _append(history: Bars | None, bar: Bars) -> Bars:
    if history is None:
        return bar
    columns = [
        np.concatenate((old, new))[-HISTORY_LIMIT:]
        for old, new in zip(_arrays(history), _arrays(bar), strict=True)
    ]
    return Bars.from_arrays(*columns, symbol=bar.symbol, timeframe=bar.timeframe)


def _arrays(bars: Bars) -> tuple[np.ndarray, ...]:
    return (bars.timestamps, bars.open, bars.high, bars.low, bars.close, bars.volume)


def _last(values: np.ndarray | None) -> Decimal | None:
    if values is None or np.isnan(values[-1]):
        return None
    return as_decimal(float(values[-1]))


def _moment(nanoseconds: int) -> datetime:
    return EPOCH + timedelta(microseconds=nanoseconds // 1_000)
