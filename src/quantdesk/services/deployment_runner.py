"""Run deployments: each new bar from the feed goes through the strategy, risk and the broker.

The life of a bar in a running deployment:

1. the feed yields a completed one-row bar (a synthetic feed's is kept first, see
   :mod:`quantdesk.services.deployment_bars`); a paper broker matches its resting orders
   against it (an order sent on the previous bar fills at this bar's open);
2. the bar is appended to the symbol's rolling history and the strategy computes its
   signals with the backtest's own call (:func:`quantdesk.backtest.engine.strategy_signals`);
3. only the last bar's values are acted on: an exit while long closes the position, an
   entry while flat (and no exit on the same bar) buys the deployment's size
   (:mod:`quantdesk.services.deployment_sizing`);
4. the order goes through the risk limits of the deployment's account, protections and the
   kill switch to the user's broker; the signal is stored and published on ``signals``; a
   refusal becomes a strategy event. A paper broker's book lives in this process, so its
   order is checked against that book and what was read before the signal
   (:func:`quantdesk.services.orders.send_to_book`) and stored after its acceptance; a live
   order takes :func:`quantdesk.services.orders.submit_order`, stored before it is sent.
"""

from __future__ import annotations

import asyncio
import time
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
from quantdesk.db.engine import lock_for_writing
from quantdesk.db.models import Deployment, Signal, User
from quantdesk.db.repositories.deployments import DeploymentRepository
from quantdesk.errors import ConflictError, QuantDeskError
from quantdesk.ports.broker import Broker, OrderUpdate
from quantdesk.ports.market_data import LiveFeed
from quantdesk.services import (
    backtests,
    deployment_bars,
    deployments,
    events,
    orders,
    strategies,
    trading_config,
)
from quantdesk.services.context import ServiceContext
from quantdesk.services.deployment_restore import restore_books
from quantdesk.services.deployment_sizing import entry_size, lot_sizes, no_size
from quantdesk.services.deployments import FeedSpec, SizingSpec
from quantdesk.services.instruments import ensure_instrument
from quantdesk.services.order_risk import PortfolioBook
from quantdesk.services.reconciliation import InMemoryBook
from quantdesk.services.trading_metrics import SIGNAL_TO_ACCEPT
from quantdesk.services.trading_runtime import ContextFactory, TradingEngine
from quantdesk.services.users import require_actor
from quantdesk.strategies.base import Signals, Strategy
from quantdesk.strategies.registry import get as strategy_class
from quantdesk.trading.fills import Bar
from quantdesk.trading.money import ZERO, as_decimal
from quantdesk.trading.orders import Order, OrderStatus

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
    lot_sizes: dict[str, Decimal | None] = field(default_factory=dict)


@dataclass
class DeploymentRunner:
    """Owns one task per running deployment; the composition root gives the feed factory."""

    contexts: ContextFactory
    trading: TradingEngine
    feeds: FeedFactory
    live_available: bool = False
    _tasks: dict[int, asyncio.Task[None]] = field(default_factory=dict)
    _last_bars: dict[int, datetime] = field(default_factory=dict)

    def last_bar(self, deployment_id: int) -> datetime | None:
        """The time of the last bar the deployment took in this process (drift replays to it)."""
        return self._last_bars.get(deployment_id)

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
        if await trading_config.kill_switch_on(ctx, plan.user_id, plan.mode, plan.account):
            raise ConflictError(
                f"the kill switch is on for {plan.mode} account {plan.account} (or the default "
                'account); lift it with POST /api/v1/trading/kill-switch {"on": false}',
                details={"deployment_id": deployment_id, "rule": "kill_switch"},
            )
        await self.trading.broker(plan.user_id, plan.mode, ctx)  # unreachable: 4xx or 503
        feed = self.feeds(plan.feed, await self._history(ctx, plan))
        await deployments.mark_running(ctx, row)
        await ctx.commit()  # the task must find it running, even if its feed ends at once
        self._launch(plan, feed)
        return row

    async def stop(self, ctx: ServiceContext, deployment_id: int) -> Deployment:
        """Stop a deployment; its working orders stay at the broker."""
        row = await deployments.get_deployment(ctx, deployment_id)
        await self._cancel(deployment_id)
        await deployments.mark_stopped(ctx, row, details=self._progress(deployment_id))
        return row

    async def stop_all(
        self, ctx: ServiceContext, mode: str, *, account: str | None = None, reason: str
    ) -> list[int]:
        """Stop the signed-in user's running deployments of ``mode`` (or of one ``account``).

        Each records why; their working orders are left to the caller (the kill switch
        cancels them). Returns the ids stopped.
        """
        user = require_actor(ctx)
        rows = await DeploymentRepository(ctx.session).for_user_mode(user.id, mode)
        chosen = [row for row in rows if row.status == "running" and account in (None, row.account)]
        for row in chosen:
            await deployments.record_event(
                ctx, row, "deployment_halted", reason, severity="warning"
            )
            await self.stop(ctx, row.id)
        return [row.id for row in chosen]

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
        sizing = SizingSpec.of(row.risk_profile)
        return Plan(
            deployment_id=row.id,
            user_id=row.user_id,
            strategy_id=saved.id,
            strategy=strategy_class(saved.type)(saved.parameters),
            symbols=list(row.symbols),
            timeframe=row.timeframe,
            mode=row.mode,
            account=row.account,
            sizing=sizing,
            feed=FeedSpec.of(row.feed),
            lot_sizes=await lot_sizes(ctx, row.symbols) if sizing.all_in else {},
        )

    async def _history(self, ctx: ServiceContext, plan: Plan) -> dict[str, Bars]:
        if plan.feed.kind != "replay":
            return {}
        return await backtests.load_series(ctx, plan.symbols, plan.timeframe, plan.feed.start, None)

    def _launch(self, plan: Plan, feed: LiveFeed) -> None:
        self._last_bars.pop(plan.deployment_id, None)
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
                progress = self._progress(plan.deployment_id)
                await deployments.mark_stopped(ctx, row, error=error, details=progress)

    def _progress(self, deployment_id: int) -> dict[str, Any]:
        last = self._last_bars.get(deployment_id)
        return {"last_bar": last.isoformat()} if last is not None else {}

    async def _on_bar(
        self, plan: Plan, broker: Broker, history: dict[str, Bars], bar: Bars
    ) -> None:
        at = _moment(int(bar.timestamps[0]))
        if plan.feed.kind == "synthetic":  # kept before it counts, so drift can replay it
            async with self.contexts() as ctx:
                await deployment_bars.keep_bar(ctx, plan.deployment_id, bar)
        self._last_bars[plan.deployment_id] = at
        if isinstance(broker, BarMatching):
            prices = (
                float(bar.open[0]),
                float(bar.high[0]),
                float(bar.low[0]),
                float(bar.close[0]),
            )
            broker.on_bar(bar.symbol, Bar.of(*prices), volume=float(bar.volume[0]), at=at)
        prepared = await self._prepare(plan, broker, bar)
        series = _append(history.get(bar.symbol), bar)
        history[bar.symbol] = series
        signals = strategy_signals(plan.strategy, bar.symbol, series)
        signalled = time.perf_counter()
        action = await _action(broker, bar.symbol, signals)
        if action is None:
            return
        timed = _AcceptTimer(broker, signalled)
        if prepared is None or not isinstance(broker, PortfolioBook):
            async with self.contexts() as ctx:
                await _act(ctx, plan, timed, bar, signals, action)
            return
        await _act_on_book(self.contexts, plan, (timed, broker), prepared, bar, signals, action)

    async def _prepare(self, plan: Plan, broker: Broker, bar: Bars) -> orders.Prepared | None:
        # a paper book lives here: what it does not hold is read before the signal
        if not isinstance(broker, InMemoryBook):
            return None
        ids = tuple(_client_order_id(plan, bar, side) for side in ("BUY", "SELL"))
        async with self.contexts() as ctx:
            return await orders.prepare_paper(
                ctx,
                plan.user_id,
                mode=plan.mode,
                account=plan.account,
                symbol=bar.symbol,
                client_order_ids=ids,
            )

    async def wait(self, deployment_id: int) -> None:
        """Wait until the deployment's feed ends (tests and the CLI replay to the end)."""
        task = self._tasks.get(deployment_id)
        if task is not None:
            await asyncio.shield(task)


class _AcceptTimer:
    """The broker, observing the time from a bar's signal to the acceptance of its order."""

    def __init__(self, broker: Broker, signalled: float) -> None:
        self._broker = broker
        self._signalled = signalled

    def __getattr__(self, name: str) -> Any:
        return getattr(self._broker, name)

    async def submit(self, order: Order) -> OrderUpdate:
        update = await self._broker.submit(order)
        if update.status is OrderStatus.ACCEPTED:
            SIGNAL_TO_ACCEPT.observe(time.perf_counter() - self._signalled)
        return update


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
        quantity = await entry_size(
            broker, plan.sizing, close, stop, plan.lot_sizes.get(bar.symbol)
        )
    instrument = await ensure_instrument(ctx, bar.symbol)
    signal = _signal_row(plan, instrument.id, bar, side, close, stop)
    await DeploymentRepository(ctx.session).add_signal(signal)
    if quantity <= ZERO:
        await _refused(ctx, plan, signal, bar.symbol, no_size(plan.sizing, stop, close))
        return
    try:
        # no savepoint: a refused order writes nothing, and an accepted one commits itself
        await orders.submit_order(ctx, broker, _request(plan, bar, side, quantity))
    except QuantDeskError as error:
        await _refused(ctx, plan, signal, bar.symbol, error)
        return
    signal.status = "executed"
    _publish(ctx, plan, signal, bar.symbol)


async def _act_on_book(
    contexts: ContextFactory,
    plan: Plan,
    brokers: tuple[Broker, PortfolioBook],
    prepared: orders.Prepared,
    bar: Bars,
    signals: Signals,
    action: tuple[str, Decimal],
) -> None:
    """Send the last bar's order to the in-process book, then store it with its signal."""
    broker, book = brokers
    side, quantity = action
    close = as_decimal(float(bar.close[0]))
    stop = _last(signals.stop_loss)
    if side == "BUY":
        quantity = await entry_size(
            broker, plan.sizing, close, stop, plan.lot_sizes.get(bar.symbol)
        )
    outcome: orders.Sent | orders.Submitted | str | QuantDeskError
    if quantity <= ZERO:
        outcome = no_size(plan.sizing, stop, close)
    else:
        try:
            outcome = await orders.send_to_book(
                broker, book, prepared, _request(plan, bar, side, quantity)
            )
        except QuantDeskError as error:
            outcome = error
    signal = _signal_row(plan, prepared.instrument_id, bar, side, close, stop)
    store = _store(contexts, plan, broker, prepared, bar.symbol, signal, outcome)
    task = asyncio.ensure_future(store)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task  # the book has the order: stopping the deployment waits until it is stored
        raise


async def _store(
    contexts: ContextFactory,
    plan: Plan,
    broker: Broker,
    prepared: orders.Prepared,
    symbol: str,
    signal: Signal,
    outcome: orders.Sent | orders.Submitted | str | QuantDeskError,
) -> None:
    try:
        async with contexts() as ctx:
            await lock_for_writing(ctx.session)
            if isinstance(outcome, orders.Sent):
                await orders.store_sent(ctx, prepared, outcome)
            await DeploymentRepository(ctx.session).add_signal(signal)
            if isinstance(outcome, (str, QuantDeskError)):
                await _refused(ctx, plan, signal, symbol, outcome)
                return
            signal.status = "executed"
            _publish(ctx, plan, signal, symbol)
    except Exception:
        if isinstance(outcome, orders.Sent):
            # not stored, so not the book's either: nothing may fill what no one records
            with suppress(QuantDeskError):
                await broker.cancel(outcome.order.client_order_id)
        raise


def _client_order_id(plan: Plan, bar: Bars, side: str) -> str:
    return f"dep{plan.deployment_id}-{bar.symbol}-{int(bar.timestamps[0])}-{side}"


def _request(plan: Plan, bar: Bars, side: str, quantity: Decimal) -> orders.OrderRequest:
    return orders.OrderRequest(
        client_order_id=_client_order_id(plan, bar, side),
        symbol=bar.symbol,
        side=side.lower(),
        quantity=quantity,
        mode=plan.mode,
        account=plan.account,
        deployment_id=plan.deployment_id,
        strategy_id=plan.strategy_id,
    )


def _signal_row(
    plan: Plan, instrument_id: int, bar: Bars, side: str, close: Decimal, stop: Decimal | None
) -> Signal:
    return Signal(
        user_id=plan.user_id,
        strategy_id=plan.strategy_id,
        deployment_id=plan.deployment_id,
        instrument_id=instrument_id,
        action=side,
        status="pending",
        ts=_moment(int(bar.timestamps[0])),
        price=close,
        stop_loss=stop,
    )


async def _refused(
    ctx: ServiceContext, plan: Plan, signal: Signal, symbol: str, why: str | QuantDeskError
) -> None:
    # a risk refusal's rule, limit and actual go with the event, as the API answer has them
    reason = why if isinstance(why, str) else why.message
    signal.status = "rejected"
    signal.reasons = [reason]
    row = await DeploymentRepository(ctx.session).get(plan.deployment_id)
    if row is not None:
        numbers = {} if isinstance(why, str) else (why.details or {})
        details = {**numbers, "signal_id": signal.id, "action": signal.action}
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
