"""Orders: submit through risk to the broker, read, list, cancel, and the kill switch.

A submit checks the client order id first: the same id with the same body returns the
order made the first time; with another body it is a conflict. A new order passes every
risk rule of its account (a refusal is a :class:`OrderRejectedError` naming the rule and
its numbers), is stored, sent to the broker and stored again with the broker's answer, in
one transaction with its event. A broker that does not answer in time leaves the order
``unknown`` until reconciliation settles it; it is never marked rejected for that.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
import structlog
from sqlalchemy.exc import IntegrityError

from quantdesk.db.models import Order as OrderRow
from quantdesk.db.repositories.base import Paged
from quantdesk.db.repositories.orders import OrderRepository
from quantdesk.db.repositories.positions import PositionRepository
from quantdesk.errors import ConflictError, NotFoundError, UnavailableError, ValidationError
from quantdesk.ports.broker import Broker, OrderUpdate
from quantdesk.services import events, trading_config
from quantdesk.services.context import ServiceContext
from quantdesk.services.instruments import ensure_instrument
from quantdesk.services.order_records import apply_to_row, order_payload, to_order
from quantdesk.services.pnl import daily_pnl
from quantdesk.services.trading_metrics import SUBMIT_LATENCY
from quantdesk.services.users import require_actor
from quantdesk.trading.money import ZERO
from quantdesk.trading.orders import Order, OrderStatus, OrderType, Side, TimeInForce
from quantdesk.trading.risk import RiskContext, RiskRejectedError, check_order
from quantdesk.trading.state import (
    Accepted,
    Cancelled,
    Event,
    Expired,
    IllegalTransitionError,
    Rejected,
    TimedOut,
    transition,
)

__all__ = [
    "BROKER_TIMEOUT_SECONDS",
    "OrderRejectedError",
    "OrderRequest",
    "Submitted",
    "apply_update",
    "cancel_order",
    "get_order",
    "kill_switch",
    "list_orders",
    "submit_order",
]

logger = structlog.get_logger(__name__)

BROKER_TIMEOUT_SECONDS = 5.0


class OrderRejectedError(ValidationError):
    """A risk rule refused the order; ``details`` hold ``rule``, ``limit`` and ``actual``."""

    code = "risk_rejected"


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What a client asks for; the fingerprint of these fields makes a retry recognisable."""

    client_order_id: str
    symbol: str
    side: str
    quantity: Decimal
    type: str = "market"
    time_in_force: str = "DAY"
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail_amount: Decimal | None = None
    trail_percent: Decimal | None = None
    mode: str = "paper"
    account: str = "default"
    deployment_id: int | None = None
    strategy_id: int | None = None

    def fingerprint(self) -> str:
        """A hash of the request, equal for equal requests whatever the decimal spelling."""
        fields = {k: _canonical(v) for k, v in asdict(self).items()}
        return hashlib.sha256(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)).hexdigest()

    def to_order(self, symbol: str, now: datetime) -> Order:
        """The library order, checked for shape (prices its type needs, positive quantity)."""
        return Order(
            client_order_id=self.client_order_id,
            symbol=symbol,
            side=Side(self.side),
            quantity=self.quantity,
            type=OrderType(self.type),
            time_in_force=TimeInForce(self.time_in_force),
            limit_price=self.limit_price,
            stop_price=self.stop_price,
            trail_amount=self.trail_amount,
            trail_percent=self.trail_percent,
            created_at=now,
        )


def _canonical(value: object) -> object:
    return str(value.normalize()) if isinstance(value, Decimal) else value


@dataclass(frozen=True, slots=True)
class Submitted:
    """The order a submit stands for; ``created`` is False for a repeated client order id."""

    order: OrderRow
    symbol: str
    created: bool


async def submit_order(ctx: ServiceContext, broker: Broker, request: OrderRequest) -> Submitted:
    """Check, store and send a new order, or return the first one for a repeated id.

    Raises:
        ConflictError: The client order id was used before with another body.
        OrderRejectedError: A risk rule refused the order (nothing is stored).
        ValidationError: The order is malformed (a limit order without a price...).
    """
    user = require_actor(ctx)
    trading_config.check_mode(request.mode)
    repository = OrderRepository(ctx.session)
    fingerprint = request.fingerprint()
    existing = await repository.get_by_client_id(user.id, request.client_order_id)
    if existing is not None:
        return await _repeat(ctx, existing, fingerprint)
    now = datetime.now(UTC)
    instrument = await ensure_instrument(ctx, request.symbol)
    order = request.to_order(instrument.symbol, now)
    started = time.perf_counter()
    await _check_risk(ctx, user.id, request, order, instrument.id, now)
    row = _new_row(user.id, instrument.id, request, order, fingerprint, broker.name)
    try:
        async with ctx.session.begin_nested():
            await repository.add(row)
    except IntegrityError:
        # the same id arrived concurrently; the first one stands
        found = await repository.get_by_client_id(user.id, request.client_order_id)
        if found is None:
            raise
        return await _repeat(ctx, found, fingerprint)
    order = await _send(broker, order)
    SUBMIT_LATENCY.observe(time.perf_counter() - started)
    apply_to_row(row, order)
    await repository.flush()
    _publish(ctx, row, instrument.symbol)
    logger.info("order_submitted", order_id=row.id, status=row.status, mode=row.mode)
    return Submitted(row, instrument.symbol, created=True)


async def _repeat(ctx: ServiceContext, row: OrderRow, fingerprint: str) -> Submitted:
    if row.request_hash != fingerprint:
        raise ConflictError(
            f"client_order_id {row.client_order_id!r} was already used for another order; "
            "send a new client_order_id or repeat the first request exactly",
            details={"field": "client_order_id", "order_id": row.id},
        )
    symbols = await OrderRepository(ctx.session).symbols([row.instrument_id])
    return Submitted(row, symbols[row.instrument_id], created=False)


def _new_row(
    user_id: int,
    instrument_id: int,
    request: OrderRequest,
    order: Order,
    fingerprint: str,
    broker: str,
) -> OrderRow:
    return OrderRow(
        user_id=user_id,
        instrument_id=instrument_id,
        deployment_id=request.deployment_id,
        strategy_id=request.strategy_id,
        client_order_id=order.client_order_id,
        side=str(order.side),
        type=str(order.type),
        time_in_force=str(order.time_in_force),
        quantity=order.quantity,
        limit_price=order.limit_price,
        stop_price=order.stop_price,
        trail_amount=order.trail_amount,
        trail_percent=order.trail_percent,
        status=str(OrderStatus.NEW),
        mode=request.mode,
        account=request.account,
        broker=broker,
        request_hash=fingerprint,
        status_history=[
            {
                "status": "new",
                "at": order.created_at.isoformat() if order.created_at else None,
                "reason": "submitted",
            }
        ],
    )


async def _check_risk(
    ctx: ServiceContext,
    user_id: int,
    request: OrderRequest,
    order: Order,
    instrument_id: int,
    now: datetime,
) -> None:
    config = await trading_config.account_config(ctx, user_id, request.mode, request.account)
    positions = await PositionRepository(ctx.session).for_user(user_id, mode=request.mode)
    mine = [row for row, _ in positions if row.account == request.account]
    held = next((row for row in mine if row.instrument_id == instrument_id), None)
    orders = OrderRepository(ctx.session)
    context = RiskContext(
        limits=config.limits,
        now=now,
        price=_price(order, held.last_price if held else None, config.limits),
        position=held.quantity if held else ZERO,
        gross_exposure=sum((abs(row.quantity * (row.last_price or ZERO)) for row in mine), ZERO),
        open_orders=await orders.count_working(user_id, request.mode),
        daily_pnl=await daily_pnl(ctx, user_id, request.mode, request.account, now),
        recent_orders=await orders.submitted_since(user_id, now - timedelta(minutes=1)),
        locks=await trading_config.active_locks(ctx, user_id, now),
    )
    try:
        check_order(order, context)
    except RiskRejectedError as error:
        logger.info("order_risk_rejected", rule=error.rule)
        raise OrderRejectedError(error.message, details=error.details) from None


def _price(order: Order, last: Decimal | None, limits: object) -> Decimal:
    price = order.reference_price or last
    if price is not None:
        return price
    valued = any(
        getattr(limits, name) is not None
        for name in ("max_order_value", "max_position_value", "max_gross_exposure")
    )
    if valued:
        raise ValidationError(
            f"no price is known for {order.symbol} to value this market order against the "
            "risk limits; send a limit_price, or trade it once so it has a last price",
            details={"field": "limit_price"},
        )
    return ZERO


async def _send(broker: Broker, order: Order) -> Order:
    try:
        async with asyncio.timeout(BROKER_TIMEOUT_SECONDS):
            update = await broker.submit(order)
    except (TimeoutError, UnavailableError) as error:
        logger.warning("order_broker_timeout", error_type=type(error).__name__)
        return transition(order, TimedOut(at=datetime.now(UTC)))
    return _after(order, update)


def _after(order: Order, update: OrderUpdate) -> Order:
    event = _event_of(update)
    if event is None:
        return order
    try:
        return transition(order, event)
    except IllegalTransitionError:
        return order


def _event_of(update: OrderUpdate) -> Event | None:
    status, at = update.status, update.at
    if status is OrderStatus.ACCEPTED:
        return Accepted(at=at, broker_order_id=update.broker_order_id)
    if status is OrderStatus.REJECTED:
        return Rejected(at=at, reason=update.reason or "rejected by the broker")
    if status is OrderStatus.CANCELLED:
        return Cancelled(at=at, reason=update.reason or "cancelled at the broker")
    if status is OrderStatus.EXPIRED:
        return Expired(at=at, reason=update.reason or "time in force ended")
    return None


async def apply_update(
    ctx: ServiceContext, row: OrderRow, symbol: str, update: OrderUpdate
) -> bool:
    """Move a stored order by a broker's status update; False when it changes nothing."""
    before = row.status
    order = _after(to_order(row, symbol), update)
    if str(order.status) == before:
        return False
    apply_to_row(row, order)
    await OrderRepository(ctx.session).flush()
    _publish(ctx, row, symbol)
    return True


def _publish(ctx: ServiceContext, row: OrderRow, symbol: str) -> None:
    events.publish(ctx, "orders", row.user_id, "order", order_payload(row, symbol))


async def get_order(ctx: ServiceContext, order_id: int) -> tuple[OrderRow, str]:
    """One of the signed-in user's orders with its symbol; another user's is not found."""
    user = require_actor(ctx)
    repository = OrderRepository(ctx.session)
    row = await repository.get_for_user(order_id, user.id)
    if row is None:
        raise NotFoundError("Order", order_id)
    return row, (await repository.symbols([row.instrument_id]))[row.instrument_id]


async def list_orders(
    ctx: ServiceContext, *, status: str | None, limit: int, offset: int
) -> tuple[Paged[OrderRow], dict[int, str]]:
    """The signed-in user's orders, newest first, with the symbol of each instrument."""
    user = require_actor(ctx)
    repository = OrderRepository(ctx.session)
    page = await repository.list_for_user(user.id, status=status, limit=limit, offset=offset)
    return page, await repository.symbols([row.instrument_id for row in page.items])


async def cancel_order(
    ctx: ServiceContext, broker: Broker, order_id: int, reason: str = "cancelled by the user"
) -> tuple[OrderRow, str]:
    """Cancel a working order at the broker and record it.

    Raises:
        NotFoundError: The order does not exist or is someone else's.
        ConflictError: The order is already final (filled, cancelled, rejected, expired).
    """
    row, symbol = await get_order(ctx, order_id)
    if OrderStatus(row.status).is_terminal:
        raise ConflictError(
            f"order {order_id} is {row.status}; only working orders can be cancelled",
            details={"order_id": order_id, "status": row.status},
        )
    await _cancel(ctx, broker, row, symbol, reason)
    return row, symbol


async def _cancel(
    ctx: ServiceContext, broker: Broker, row: OrderRow, symbol: str, reason: str
) -> None:
    now = datetime.now(UTC)
    try:
        async with asyncio.timeout(BROKER_TIMEOUT_SECONDS):
            update = await broker.cancel(row.client_order_id)
    except NotFoundError:
        update = OrderUpdate(row.client_order_id, OrderStatus.CANCELLED, now, reason=reason)
    except (TimeoutError, UnavailableError):
        raise UnavailableError(
            f"the {broker.name} broker did not confirm cancelling order {row.id}; retry"
        ) from None
    await apply_update(ctx, row, symbol, update)


async def kill_switch(ctx: ServiceContext, broker: Broker, *, mode: str, account: str) -> int:
    """Turn the kill switch on: block new orders and cancel every working one; return how many."""
    user = require_actor(ctx)
    config = await trading_config.account_config(ctx, user.id, mode, account)
    limits = config.limits.model_copy(update={"kill_switch": True})
    await trading_config.update_config(ctx, limits, mode=mode, account=account)
    repository = OrderRepository(ctx.session)
    working = [row for row in await repository.working(user.id, mode) if row.account == account]
    symbols = await repository.symbols([row.instrument_id for row in working])
    for row in working:
        await _cancel(ctx, broker, row, symbols[row.instrument_id], "kill switch")
    logger.warning("kill_switch_on", mode=mode, cancelled=len(working))
    return len(working)
