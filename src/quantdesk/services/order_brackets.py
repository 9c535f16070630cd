"""Brackets: an entry sent with a stop-loss exit, a take-profit exit, or both.

A bracket is an order request with ``stop_loss`` and/or ``take_profit`` prices. Its exits
close what the entry opens: a stop and a limit order on the other side, for the same
quantity, that the broker holds until the entry fills and that cancel each other (OCO).
They are stored orders of their own, ``<id>:sl`` and ``<id>:tp``, pointing to the entry
by ``parent_order_id``, so listings, fills and positions treat them like any order.

The entry passes every risk rule as a plain order does. Each exit is checked as what it
is, an order that closes the position the entry opens: rules that only block a growing
position (exposure, position value, daily loss, protections) let it through, while the
kill switch, allowed symbols, trading hours, the open-order and per-minute caps and the
order value still apply. The orders are committed as ``new`` before the broker sees
them, sent through the broker's bracket method, and the answers committed with their
events, as :func:`quantdesk.services.orders.submit_order` does for one order.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import structlog
from sqlalchemy.exc import IntegrityError

from quantdesk.db.models import Order as OrderRow
from quantdesk.db.repositories.orders import OrderRepository
from quantdesk.errors import ConflictError, UnavailableError, ValidationError
from quantdesk.ports.broker import BracketBroker, Broker, OrderUpdate
from quantdesk.services import trading_config
from quantdesk.services.context import ServiceContext
from quantdesk.services.instruments import ensure_instrument
from quantdesk.services.order_risk import check_rules, stored_context
from quantdesk.services.orders import (
    BROKER_TIMEOUT_SECONDS,
    OrderRejectedError,
    OrderRequest,
    Submitted,
    _new_row,
    _record_answer,
    _repeat,
)
from quantdesk.services.trading_metrics import SUBMIT_LATENCY
from quantdesk.services.users import require_actor
from quantdesk.trading.money import ZERO
from quantdesk.trading.orders import MAX_BRACKET_ID_LENGTH, Bracket, Order, Side
from quantdesk.trading.risk import RiskContext

__all__ = ["submit_bracket"]

logger = structlog.get_logger(__name__)


async def submit_bracket(ctx: ServiceContext, broker: Broker, request: OrderRequest) -> Submitted:
    """Check, store and send an entry with its exits; a repeated id returns the first entry.

    Raises:
        ConflictError: The client order id (or an exit's derived id) was used before.
        OrderRejectedError: A risk rule refused the entry or an exit (nothing is stored).
        ValidationError: The levels are on the wrong side of the entry, the id is too long
            for its exits' ids, or the broker takes no brackets.
    """
    user = require_actor(ctx)
    trading_config.check_mode(request.mode)
    repository = OrderRepository(ctx.session)
    fingerprint = request.fingerprint()
    existing = await repository.get_by_client_id(user.id, request.client_order_id)
    if existing is not None:
        return await _repeat(ctx, existing, fingerprint)
    bracket_broker = _bracket_broker(broker)
    _check_id(request.client_order_id)
    instrument = await ensure_instrument(ctx, request.symbol)
    started = time.perf_counter()
    bracket = await _checked(ctx, user.id, request, instrument.id, instrument.symbol)
    await _check_exit_ids(repository, user.id, bracket)
    rows = _new_rows(user.id, instrument.id, request, bracket, fingerprint, broker.name)
    try:
        async with ctx.session.begin_nested():
            await _add(repository, rows)
    except IntegrityError:
        # the same id arrived concurrently; the first one stands
        found = await repository.get_by_client_id(user.id, request.client_order_id)
        if found is None:
            raise
        return await _repeat(ctx, found, fingerprint)
    await ctx.commit()
    answers = await _send(bracket_broker, bracket)
    for row, answer in zip(rows, answers, strict=True):
        await _record_answer(ctx, row, instrument.symbol, answer)
    SUBMIT_LATENCY.observe(time.perf_counter() - started)
    await ctx.commit()
    logger.info(
        "bracket_submitted", order_id=rows[0].id, status=rows[0].status, exits=len(rows) - 1
    )
    return Submitted(rows[0], instrument.symbol, created=True)


def _bracket_broker(broker: Broker) -> BracketBroker:
    if not isinstance(broker, BracketBroker):
        raise ValidationError(
            f"the {broker.name} broker takes no brackets; send the entry alone and its "
            "stop-loss and take-profit as separate orders once it has filled",
            details={"field": "stop_loss"},
        )
    return broker


def _check_id(client_order_id: str) -> None:
    if len(client_order_id) > MAX_BRACKET_ID_LENGTH:
        raise ValidationError(
            f"client_order_id of a bracket must be at most {MAX_BRACKET_ID_LENGTH} characters, "
            f"since its exits take '{client_order_id}:sl' and ':tp'; send a shorter one",
            details={"field": "client_order_id"},
        )


async def _checked(
    ctx: ServiceContext, user_id: int, request: OrderRequest, instrument_id: int, symbol: str
) -> Bracket:
    now = datetime.now(UTC)
    entry = request.to_order(symbol, now)
    context = await stored_context(
        ctx, user_id, request.mode, request.account, entry, instrument_id, now
    )
    _check_levels(request, entry, context.price)
    bracket = Bracket.build(
        entry, stop_price=request.stop_loss, take_profit_price=request.take_profit
    )
    _check_risk(bracket, context)
    return bracket


def _check_levels(request: OrderRequest, entry: Order, price: Decimal) -> None:
    # a long's stop sits below its entry and its target above; a short's the other way round
    buy = entry.side is Side.BUY
    below, above = ("below", "above") if buy else ("above", "below")
    stop, target = request.stop_loss, request.take_profit
    reference = f"{_reference_name(entry)} {_plain(price)}" if price > ZERO else None
    if reference is not None and stop is not None and (stop >= price if buy else stop <= price):
        _wrong_level("stop_loss", f"stop_loss {_plain(stop)} must be {below} the {reference}", buy)
    if (
        reference is not None
        and target is not None
        and (target <= price if buy else target >= price)
    ):
        _wrong_level(
            "take_profit", f"take_profit {_plain(target)} must be {above} the {reference}", buy
        )
    if stop is not None and target is not None and (target <= stop if buy else target >= stop):
        _wrong_level(
            "take_profit",
            f"take_profit {_plain(target)} must be {above} stop_loss {_plain(stop)}",
            buy,
        )


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _reference_name(entry: Order) -> str:
    if entry.limit_price is not None:
        return "limit_price"
    return "stop_price" if entry.stop_price is not None else "last price"


def _wrong_level(field: str, problem: str, buy: bool) -> None:
    order = "stop_loss < entry < take_profit" if buy else "take_profit < entry < stop_loss"
    side = "buy" if buy else "sell"
    raise ValidationError(f"{problem}: a {side} bracket needs {order}", details={"field": field})


def _check_risk(bracket: Bracket, context: RiskContext) -> None:
    check_rules(bracket.entry, context)
    entry = bracket.entry
    # the exits close what the entry opens: value them from the position it leaves
    opened = replace(context, position=context.position + entry.side.sign * entry.quantity)
    for count, (role, exit_order) in enumerate(_exits(bracket), start=1):
        exit_context = replace(
            opened,
            price=exit_order.reference_price or context.price,
            open_orders=context.open_orders + count,
            orders_last_minute=context.count_last_minute() + count,
        )
        try:
            check_rules(exit_order, exit_context)
        except OrderRejectedError as error:
            raise OrderRejectedError(
                f"the {role} exit: {error.message}", details={**error.details, "field": role}
            ) from None


def _exits(bracket: Bracket) -> list[tuple[str, Order]]:
    pairs = (("stop_loss", bracket.stop_loss), ("take_profit", bracket.take_profit))
    return [(role, order) for role, order in pairs if order is not None]


async def _check_exit_ids(repository: OrderRepository, user_id: int, bracket: Bracket) -> None:
    for child in bracket.children:
        taken = await repository.get_by_client_id(user_id, child.client_order_id)
        if taken is not None:
            raise ConflictError(
                f"client_order_id {child.client_order_id!r}, which this bracket's exit takes, "
                f"belongs to order {taken.id}; send the bracket with another client_order_id",
                details={"field": "client_order_id", "order_id": taken.id},
            )


def _new_rows(
    user_id: int,
    instrument_id: int,
    request: OrderRequest,
    bracket: Bracket,
    fingerprint: str,
    broker: str,
) -> list[OrderRow]:
    entry = _new_row(user_id, instrument_id, request, bracket.entry, fingerprint, broker)
    entry.bracket = "entry"
    entry.stop_loss, entry.take_profit = request.stop_loss, request.take_profit
    rows = [entry]
    for role, exit_order in _exits(bracket):
        row = _new_row(user_id, instrument_id, request, exit_order, fingerprint, broker)
        row.bracket, row.oco_group, row.request_hash = role, exit_order.oco_group, None
        rows.append(row)
    return rows


async def _add(repository: OrderRepository, rows: list[OrderRow]) -> None:
    entry, *exits = rows
    await repository.add(entry)
    for row in exits:
        row.parent_order_id = entry.id
        await repository.add(row)


async def _send(broker: BracketBroker, bracket: Bracket) -> list[OrderUpdate | None]:
    """Each order's acknowledgement in bracket order; None where none came in time."""
    orders = (bracket.entry, *bracket.children)
    try:
        async with asyncio.timeout(BROKER_TIMEOUT_SECONDS):
            updates = await broker.submit_bracket(bracket)
    except (TimeoutError, UnavailableError) as error:
        logger.warning("bracket_broker_timeout", error_type=type(error).__name__)
        return [None] * len(orders)
    by_id = {update.client_order_id: update for update in updates}
    return [by_id.get(order.client_order_id) for order in orders]
