"""Reconciliation: the stored book against each broker's, at start-up and then periodically.

For each user and mode with working orders, open positions, a running deployment or a
connected broker, the stored state is compared with what the broker reports:

* a stored order left ``new`` or ``unknown`` (the process stopped, or the broker did not
  answer, between storing it and hearing back) is settled: the broker holds it, so it takes
  the broker's status; a broker that keeps its book in this process (the paper broker) lost
  it with the process at start-up, so it is sent again with the same client order id; a
  broker that can look one order up answers for it; any other broker leaves it ``unknown``
  and it is reported;
* a stored working order the broker does not hold is sent again to an in-memory book at
  start-up, otherwise reported missing;
* an order the broker holds that is not stored here is reported as unknown here;
* a stored open position the broker does not hold is loaded into an in-memory book at
  start-up (at its average price, cash unchanged); any other difference is reported.

Every difference becomes a strategy event of the deployment it belongs to, or of the user
alone for a manual order, and is counted in the metrics. Periodic runs send nothing again
and leave orders changed in the last ``grace`` seconds alone, since their broker events may
still be on the way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

import structlog

from quantdesk.db.models import Deployment, Order, Position, StrategyEvent
from quantdesk.db.repositories.deployments import DeploymentRepository
from quantdesk.db.repositories.orders import OrderRepository
from quantdesk.db.repositories.positions import PositionRepository
from quantdesk.errors import NotFoundError, QuantDeskError
from quantdesk.ports.broker import Broker, OrderUpdate
from quantdesk.services import bracket_exits, deployments, events
from quantdesk.services.context import ServiceContext
from quantdesk.services.order_records import apply_to_row, to_order
from quantdesk.services.orders import apply_update
from quantdesk.services.trading_metrics import (
    BROKER_LAST_RECONCILIATION,
    BROKER_UNMATCHED_ORDERS,
    RECONCILIATION_DIFFERENCES,
)
from quantdesk.services.trading_runtime import TradingEngine
from quantdesk.trading.money import ZERO
from quantdesk.trading.orders import OrderStatus
from quantdesk.trading.state import TimedOut, transition

__all__ = ["AWAITING", "BrokerReconciliation", "InMemoryBook", "OrderLookup", "reconcile"]

logger = structlog.get_logger(__name__)

AWAITING = ("new", "unknown")


@runtime_checkable
class InMemoryBook(Protocol):
    """A broker whose orders and positions live in this process (the paper broker)."""

    def restore_position(
        self, symbol: str, quantity: Decimal, average_price: Decimal, *, restore_id: str
    ) -> bool:
        """Load a position held before a restart at its average price, cash unchanged."""
        ...

    def order(self, client_order_id: str) -> Any:
        """The broker's copy of one order; ``NotFoundError`` when it never saw it."""
        ...


@runtime_checkable
class OrderLookup(Protocol):
    """A broker that can report one order by client order id, open or not."""

    async def order_status(self, client_order_id: str) -> OrderUpdate | None:
        """The order's latest status, or None when the broker never received it."""
        ...


@dataclass(frozen=True, slots=True)
class BrokerReconciliation:
    """The outcome of one broker's reconciliation, for /health/detailed and the metrics.

    ``unmatched`` counts stored orders still awaiting the broker's word (``new`` or
    ``unknown``) and orders the broker holds that are not stored here.
    """

    user_id: int
    mode: str
    broker: str
    at: datetime
    differences: int
    unmatched: int


@dataclass
class _Run:
    ctx: ServiceContext
    broker: Broker
    user_id: int
    mode: str
    startup: bool
    grace: timedelta
    differences: int = 0
    unmatched: int = 0

    async def difference(
        self, kind: str, message: str, details: dict[str, Any], deployment: Deployment | None
    ) -> None:
        self.differences += 1
        RECONCILIATION_DIFFERENCES.labels(self.broker.name, kind).inc()
        await _record(self.ctx, self.user_id, deployment, kind, message, details)


async def reconcile(
    ctx: ServiceContext,
    engine: TradingEngine,
    *,
    startup: bool = False,
    grace: timedelta = timedelta(seconds=10),
) -> list[BrokerReconciliation]:
    """Reconcile every user's stored book with their broker's; return one outcome per broker.

    Differences are flushed into ``ctx``; the caller commits.
    """
    orders = await OrderRepository(ctx.session).working_everywhere()
    keys = await _keys(ctx, orders) | set(engine.brokers())
    outcomes = []
    for user_id, mode in sorted(keys):
        try:
            broker = await engine.broker(user_id, mode, ctx)
        except QuantDeskError as error:
            logger.warning(
                "reconcile_broker_unavailable", user_id=user_id, mode=mode, error=error.code
            )
            continue
        run = _Run(ctx, broker, user_id, mode, startup, grace)
        await _orders(run, [row for row in orders if (row.user_id, row.mode) == (user_id, mode)])
        await _positions(run)
        outcomes.append(_outcome(run))
    return outcomes


async def _keys(ctx: ServiceContext, orders: Sequence[Order]) -> set[tuple[int, str]]:
    running = await DeploymentRepository(ctx.session).running()
    holding = await PositionRepository(ctx.session).open_accounts()
    return {(o.user_id, o.mode) for o in orders} | {(d.user_id, d.mode) for d in running} | holding


def _outcome(run: _Run) -> BrokerReconciliation:
    now = datetime.now(UTC)
    labels = (str(run.user_id), run.mode, run.broker.name)
    BROKER_LAST_RECONCILIATION.labels(*labels).set(now.timestamp())
    BROKER_UNMATCHED_ORDERS.labels(*labels).set(run.unmatched)
    logger.info(
        "broker_reconciled", user_id=run.user_id, mode=run.mode, broker=run.broker.name,
        differences=run.differences, unmatched=run.unmatched,
    )  # fmt: skip
    return BrokerReconciliation(
        run.user_id, run.mode, run.broker.name, now, run.differences, run.unmatched
    )


async def _orders(run: _Run, rows: list[Order]) -> None:
    held = {update.client_order_id: update for update in await run.broker.open_orders()}
    repository = OrderRepository(run.ctx.session)
    symbols = await repository.symbols([row.instrument_id for row in rows])
    settled_before = datetime.now(UTC) - run.grace
    for row in rows:
        if not run.startup and _changed_since(row, settled_before):
            run.unmatched += row.status in AWAITING
            continue
        await _order(run, row, symbols[row.instrument_id], held.get(row.client_order_id))
    for client_order_id in sorted(held.keys() - {row.client_order_id for row in rows}):
        if await repository.get_by_client_id(run.user_id, client_order_id) is not None:
            continue  # stored as final while the broker's last event is on its way
        run.unmatched += 1
        details = {"client_order_id": client_order_id, "mode": run.mode}
        await run.difference(
            "order_unknown_here", f"the broker holds order {client_order_id}, not stored here",
            details, None,
        )  # fmt: skip


def _changed_since(row: Order, moment: datetime) -> bool:
    updated = row.updated_at
    if updated.tzinfo is None:
        updated = updated.replace(tzinfo=UTC)
    return updated > moment


async def _order(run: _Run, row: Order, symbol: str, held: OrderUpdate | None) -> None:
    awaiting = row.status in AWAITING
    if held is not None:
        if awaiting:
            await apply_update(run.ctx, row, symbol, held)
            await _report_order(run, row, "order_settled", f"the broker holds it as {held.status}")
        return
    if run.startup and isinstance(run.broker, InMemoryBook):
        resent = await _resend(run.broker, row, symbol, await bracket_exits.waits_for(run.ctx, row))
        if awaiting:
            await apply_update(run.ctx, row, symbol, resent)
        await _report_order(run, row, "order_restored", "working order sent again to the broker")
        return
    answer = await _look_up(run.broker, row.client_order_id)
    if answer is not None:
        moved = await apply_update(run.ctx, row, symbol, answer)
        kind = "order_settled" if moved else "order_status_differs"
        await _report_order(run, row, kind, f"the broker reports it {answer.status}")
        run.unmatched += row.status in AWAITING
        return
    if row.status == "new":
        await _mark_unknown(run.ctx, row, symbol)
    run.unmatched += row.status in AWAITING
    await _report_order(run, row, "order_missing_at_broker", "broker does not hold it")


async def _look_up(broker: Broker, client_order_id: str) -> OrderUpdate | None:
    if isinstance(broker, OrderLookup):
        return await broker.order_status(client_order_id)
    if isinstance(broker, InMemoryBook):
        try:
            order = broker.order(client_order_id)
        except NotFoundError:
            return None
        return OrderUpdate(
            client_order_id, order.status, datetime.now(UTC), order.broker_order_id, order.reason
        )
    return None


async def _mark_unknown(ctx: ServiceContext, row: Order, symbol: str) -> None:
    reason = "not at the broker after a restart; awaiting reconciliation"
    apply_to_row(row, transition(to_order(row, symbol), TimedOut(datetime.now(UTC), reason)))
    await OrderRepository(ctx.session).flush()


async def _resend(broker: Broker, row: Order, symbol: str, parent: str | None) -> OrderUpdate:
    # a bracket exit whose entry may still fill waits for it again (``parent``)
    order = to_order(row, symbol)
    remaining = order.quantity - order.filled_quantity
    fresh = replace(
        order, quantity=remaining, status=OrderStatus.NEW, filled_quantity=ZERO,
        average_fill_price=None, broker_order_id=None, history=(), fill_ids=frozenset(),
        parent_client_order_id=parent,
    )  # fmt: skip
    return await broker.submit(fresh)


async def _report_order(run: _Run, row: Order, kind: str, message: str) -> None:
    details = {"order_id": row.id, "client_order_id": row.client_order_id, "status": row.status}
    deployment = await _deployment(run.ctx, row.deployment_id)
    await run.difference(kind, message, details, deployment)


async def _positions(run: _Run) -> None:
    stored = await PositionRepository(run.ctx.session).for_user(
        run.user_id, mode=run.mode, open_only=True
    )
    held = {position.symbol: position.quantity for position in await run.broker.positions()}
    wanted: dict[str, Decimal] = {}
    for row, symbol in stored:
        wanted[symbol] = wanted.get(symbol, ZERO) + row.quantity
    for row, symbol in stored:
        if held.get(symbol, ZERO) == wanted[symbol]:
            continue
        if run.startup and isinstance(run.broker, InMemoryBook) and held.get(symbol, ZERO) == ZERO:
            restore_id = f"restore-{row.account}-{symbol}"
            run.broker.restore_position(
                symbol, row.quantity, row.average_price, restore_id=restore_id
            )
            await _report_position(run, row, symbol, "position_restored", held)
        else:
            await _report_position(run, row, symbol, "position_mismatch", held)


async def _report_position(
    run: _Run, row: Position, symbol: str, kind: str, held: dict[str, Decimal]
) -> None:
    broker = str(held.get(symbol, ZERO))
    details = {
        "symbol": symbol,
        "stored": str(row.quantity),
        "broker": broker,
        "account": row.account,
    }
    deployment = await _by_account(run.ctx, run.user_id, row.account)
    message = f"{symbol}: stored {row.quantity}, broker held {broker}"
    await run.difference(kind, message, details, deployment)


async def _record(
    ctx: ServiceContext,
    user_id: int,
    deployment: Deployment | None,
    kind: str,
    message: str,
    details: dict[str, Any],
) -> None:
    if deployment is not None:
        await deployments.record_event(
            ctx, deployment, kind, message, severity="warning", details=details
        )
        return
    event = StrategyEvent(
        user_id=user_id, type=kind, severity="warning", message=message, details=details
    )
    await DeploymentRepository(ctx.session).add_event(event)
    payload = {"deployment_id": None, "type": kind, "severity": "warning", "message": message}
    events.publish(ctx, "events", user_id, "strategy_event", payload | {"details": details})


async def _deployment(ctx: ServiceContext, deployment_id: int | None) -> Deployment | None:
    if deployment_id is None:
        return None
    return await DeploymentRepository(ctx.session).get(deployment_id)


async def _by_account(ctx: ServiceContext, user_id: int, account: str) -> Deployment | None:
    prefix = "deployment-"
    if not account.startswith(prefix) or not account[len(prefix) :].isdigit():
        return None
    row = await _deployment(ctx, int(account[len(prefix) :]))
    return row if row is not None and row.user_id == user_id else None
