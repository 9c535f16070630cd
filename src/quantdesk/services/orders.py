"""Orders: submit through risk to the broker, read, list, cancel, and the kill switch.

A submit checks the client order id first: the same id with the same body returns the
order made the first time; with another body it is a conflict. A new order passes every
risk rule of its account (a refusal is a :class:`OrderRejectedError` naming the rule and
its numbers).

For a live broker the order is committed as ``new`` before the broker can see it, then
sent, and the broker's answer is committed with its event. A crash in between leaves a
stored ``new`` order that start-up reconciliation settles (see
:mod:`quantdesk.services.reconciliation`), so an order the broker may hold is never lost.
A broker that does not answer in time leaves the order ``unknown`` until reconciliation
settles it; it is never marked rejected for that.

The paper broker's book lives in this process and dies with it, so a paper order is sent
first and stored once, with the book's answer, in one transaction: a crash before the
commit loses it from the book too, and the client's retry under the same client order id
places it once.

A paper deployment's order takes :func:`send_to_book`, then :func:`store_sent`: the paper
broker's book lives in this process and dies with it, so the order is checked against that
book and accepted first, and only then stored, already accepted, with its signal in one
transaction. Both paths share the row, the idempotency answer, the risk rules
(:mod:`quantdesk.services.order_risk`) and the published event.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal

import orjson
import structlog
from sqlalchemy.exc import IntegrityError

from quantdesk.db.engine import lock_for_writing
from quantdesk.db.models import Order as OrderRow
from quantdesk.db.repositories.base import Paged
from quantdesk.db.repositories.orders import OrderRepository
from quantdesk.errors import ConflictError, NotFoundError, QuantDeskError, UnavailableError
from quantdesk.ports.broker import Broker, OrderUpdate
from quantdesk.services import bracket_exits, events, trading_config
from quantdesk.services.context import ServiceContext
from quantdesk.services.instruments import ensure_instrument, normalize_exchange, normalize_symbol
from quantdesk.services.order_records import apply_to_row, order_payload, to_order
from quantdesk.services.order_risk import (
    AccountRules,
    OrderRejectedError,
    PortfolioBook,
    account_facts,
    account_rules,
    book_context,
    check_rules,
    stored_context,
)
from quantdesk.services.trading_metrics import SUBMIT_LATENCY
from quantdesk.services.users import require_actor
from quantdesk.trading.orders import Order, OrderStatus, OrderType, Side, TimeInForce
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
    "Prepared",
    "Sent",
    "Submitted",
    "apply_update",
    "cancel_order",
    "changes",
    "get_order",
    "kill_switch",
    "list_orders",
    "prepare_paper",
    "send_to_book",
    "store_sent",
    "submit_order",
]

logger = structlog.get_logger(__name__)

BROKER_TIMEOUT_SECONDS = 5.0

# the columns a broker event can change after the order is stored
_STATE = (
    "status", "filled_quantity", "average_fill_price", "broker_order_id", "reason",
    "rejection_reason", "submitted_at", "filled_at", "cancelled_at", "status_history",
)  # fmt: skip


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
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None

    @property
    def is_bracket(self) -> bool:
        """Whether the request asks for exits with the entry (see :mod:`order_brackets`)."""
        return self.stop_loss is not None or self.take_profit is not None

    def fingerprint(self) -> str:
        """A hash of the request, equal for equal requests whatever the decimal spelling."""
        # bracket levels enter only when set, so a plain order hashes as it always has
        values = ((name, getattr(self, name)) for name in _REQUEST_FIELDS)
        canonical = {
            k: _canonical(v) for k, v in values if v is not None or k not in _BRACKET_LEVELS
        }
        return hashlib.sha256(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)).hexdigest()

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


_BRACKET_LEVELS = frozenset({"stop_loss", "take_profit"})
_REQUEST_FIELDS = tuple(field.name for field in fields(OrderRequest))


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
    now = datetime.now(UTC)
    symbol = normalize_symbol(request.symbol)
    facts = await account_facts(
        ctx,
        user.id,
        request.mode,
        request.account,
        now,
        client_order_id=request.client_order_id,
        symbol=symbol,
        exchange=normalize_exchange(""),
    )
    if facts.order_id is not None:
        existing = await repository.get_by_client_id(user.id, request.client_order_id)
        if existing is not None:
            return await _repeat(ctx, existing, request.fingerprint())
    instrument_id = facts.instrument_id
    if instrument_id is None:
        instrument_id = (await ensure_instrument(ctx, symbol)).id
    order = request.to_order(symbol, now)
    started = time.perf_counter()
    context = await stored_context(
        ctx, user.id, request.mode, request.account, order, instrument_id, now, facts
    )
    check_rules(order, context)
    fingerprint = request.fingerprint()
    row = _new_row(user.id, instrument_id, request, order, fingerprint, broker.name)
    if isinstance(broker, PortfolioBook):
        return await _submit_in_process(ctx, broker, row, order, symbol, started)
    try:
        async with ctx.session.begin_nested():
            await repository.add(row)
    except IntegrityError:
        # the same id arrived concurrently; the first one stands
        found = await repository.get_by_client_id(user.id, request.client_order_id)
        if found is None:
            raise
        return await _repeat(ctx, found, fingerprint)
    await ctx.commit()
    answer = await _send(broker, order)
    await _record_answer(ctx, row, symbol, answer)
    SUBMIT_LATENCY.observe(time.perf_counter() - started)
    await ctx.commit()
    logger.info("order_submitted", order_id=row.id, status=row.status, mode=row.mode)
    return Submitted(row, symbol, created=True)


async def _submit_in_process(
    ctx: ServiceContext, broker: Broker, row: OrderRow, order: Order, symbol: str, started: float
) -> Submitted:
    # The book dies with this process, so an order it accepted but nobody stored is lost
    # with it: the order is stored once, with the book's answer, in one statement.
    answer = await broker.submit(order)
    SUBMIT_LATENCY.observe(time.perf_counter() - started)
    apply_to_row(row, _after(order, answer))
    repository = OrderRepository(ctx.session)
    try:
        await repository.insert_new(row)
        _publish(ctx, row, symbol)
        await ctx.commit()
    except IntegrityError:
        # the same id arrived concurrently: the book refused this copy, the first stands
        await ctx.rollback()
        found = await repository.get_by_client_id(row.user_id, row.client_order_id)
        if found is None:
            raise
        return await _repeat(ctx, found, row.request_hash or "")
    except BaseException:
        if answer.status is OrderStatus.ACCEPTED:
            # not stored, so not the book's either: nothing may fill what no one records
            with suppress(QuantDeskError):
                await broker.cancel(order.client_order_id)
        raise
    logger.info("order_submitted", order_id=row.id, status=row.status, mode=row.mode)
    return Submitted(row, symbol, created=True)


@dataclass(frozen=True, slots=True)
class Prepared:
    """What a paper deployment's next order needs from the database, read before its signal.

    ``stored`` holds the orders already stored under the client order ids the bar may use,
    so a replayed bar finds its first order without a read between signal and broker.
    """

    user_id: int
    instrument_id: int
    symbol: str
    rules: AccountRules
    stored: Mapping[str, OrderRow]


async def prepare_paper(
    ctx: ServiceContext,
    user_id: int,
    *,
    mode: str,
    account: str,
    symbol: str,
    client_order_ids: tuple[str, ...],
) -> Prepared:
    """Read the account's limits and protections and the bar's stored orders, ahead of time."""
    instrument = await ensure_instrument(ctx, symbol)
    rules = await account_rules(ctx, user_id, mode, account, datetime.now(UTC))
    rows = await OrderRepository(ctx.session).by_client_ids(user_id, client_order_ids)
    stored = {row.client_order_id: row for row in rows}
    return Prepared(user_id, instrument.id, instrument.symbol, rules, stored)


@dataclass(frozen=True, slots=True)
class Sent:
    """An order the in-process book has answered, not yet stored."""

    request: OrderRequest
    order: Order
    answer: OrderUpdate
    broker: str


async def send_to_book(
    broker: Broker, book: PortfolioBook, prepared: Prepared, request: OrderRequest
) -> Sent | Submitted:
    """Check an order against the in-process ``book`` and send it, touching no database.

    For a broker whose book lives in this process (the paper broker): a crash loses that
    book with anything not yet stored, and start-up reconciliation rebuilds it from the
    database, so the order is stored after the broker's answer (:func:`store_sent`). A
    client order id stored before returns that order, as :func:`submit_order` does.

    Raises:
        ConflictError: The client order id was used before with another body.
        OrderRejectedError: A risk rule refused the order (nothing is sent).
    """
    existing = prepared.stored.get(request.client_order_id)
    if existing is not None:
        _same_request(existing, request.fingerprint())
        return Submitted(existing, prepared.symbol, created=False)
    now = datetime.now(UTC)
    order = request.to_order(prepared.symbol, now)
    started = time.perf_counter()
    check_rules(order, book_context(book, prepared.rules, order, now))
    answer = await broker.submit(order)
    SUBMIT_LATENCY.observe(time.perf_counter() - started)
    return Sent(request, order, answer, broker.name)


async def store_sent(ctx: ServiceContext, prepared: Prepared, sent: Sent) -> Submitted:
    """Store an order with the book's answer (accepted, or rejected) and queue its event."""
    await lock_for_writing(ctx.session)
    request = sent.request
    row = _new_row(
        prepared.user_id,
        prepared.instrument_id,
        request,
        sent.order,
        request.fingerprint(),
        sent.broker,
    )
    apply_to_row(row, _after(sent.order, sent.answer))
    await OrderRepository(ctx.session).add(row)
    _publish(ctx, row, prepared.symbol)
    logger.info("order_submitted", order_id=row.id, status=row.status, mode=row.mode)
    return Submitted(row, prepared.symbol, created=True)


async def _record_answer(
    ctx: ServiceContext, row: OrderRow, symbol: str, answer: OrderUpdate | None
) -> None:
    # The event consumer may have booked the acknowledgement or a fill since the row was
    # committed; the answer moves the row from what is stored now, never from a stale copy.
    await lock_for_writing(ctx.session)
    await ctx.session.refresh(row, _STATE, with_for_update=True)
    order = to_order(row, symbol)
    order = _timed_out(order) if answer is None else _after(order, answer)
    if str(order.status) != row.status:
        apply_to_row(row, order)
        await OrderRepository(ctx.session).flush()
    _publish(ctx, row, symbol)


def _timed_out(order: Order) -> Order:
    try:
        return transition(order, TimedOut(at=datetime.now(UTC)))
    except IllegalTransitionError:
        return order


async def _repeat(ctx: ServiceContext, row: OrderRow, fingerprint: str) -> Submitted:
    _same_request(row, fingerprint)
    symbols = await OrderRepository(ctx.session).symbols([row.instrument_id])
    return Submitted(row, symbols[row.instrument_id], created=False)


def _same_request(row: OrderRow, fingerprint: str) -> None:
    if row.request_hash != fingerprint:
        raise ConflictError(
            f"client_order_id {row.client_order_id!r} was already used for another order; "
            "send a new client_order_id or repeat the first request exactly",
            details={"field": "client_order_id", "order_id": row.id},
        )


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


async def _send(broker: Broker, order: Order) -> OrderUpdate | None:
    """The broker's acknowledgement, or None when it did not answer in time."""
    try:
        async with asyncio.timeout(BROKER_TIMEOUT_SECONDS):
            return await broker.submit(order)
    except (TimeoutError, UnavailableError) as error:
        logger.warning("order_broker_timeout", error_type=type(error).__name__)
        return None


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


def changes(row: OrderRow, symbol: str, update: OrderUpdate) -> bool:
    """Whether a broker's status update would move the stored order at all."""
    return str(_after(to_order(row, symbol), update).status) != row.status


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
    await bracket_exits.after_entry_update(ctx, row)
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


async def kill_switch(
    ctx: ServiceContext, broker: Broker, *, mode: str, account: str | None = None
) -> tuple[list[str], int]:
    """Turn the kill switch on: block new orders and cancel the working ones.

    With ``account``, only that account; without, every account of the mode: ``default``,
    each deployment's own, and any other with saved limits or working orders. Returns the
    accounts blocked and how many orders were cancelled.
    """
    user = require_actor(ctx)
    repository = OrderRepository(ctx.session)
    working = [
        row for row in await repository.working(user.id, mode) if account in (None, row.account)
    ]
    accounts = (
        [account] if account is not None else await trading_config.accounts(ctx, user.id, mode)
    )
    accounts = sorted({*accounts, *(row.account for row in working)})
    for name in accounts:
        await trading_config.set_kill_switch(ctx, True, mode=mode, account=name)
    # a bracket's exits go first: cancelling an entry first would take them along at the broker
    working.sort(key=lambda row: row.parent_order_id is None)
    symbols = await repository.symbols([row.instrument_id for row in working])
    for row in working:
        await _cancel(ctx, broker, row, symbols[row.instrument_id], "kill switch")
    logger.warning("kill_switch_on", mode=mode, accounts=len(accounts), cancelled=len(working))
    return accounts, len(working)
