"""Start-up restore: put the stored book back into fresh brokers, and report what differs.

A restarted process has brokers that know nothing yet. For each user and mode with working
orders or running deployments, the stored state is compared with the broker's:

* a stored working order the broker does not hold is sent again with its remaining
  quantity and the same client order id, when the broker keeps its book in memory (the
  paper broker); at any other broker it is reported missing;
* an order the broker holds that is not stored is reported as unknown here;
* a stored open position the broker does not hold is loaded into a paper broker's book at
  its average price (cash unchanged); any other difference in quantity is reported.

Every difference becomes a strategy event of the deployment it belongs to (by order, or by
the deployment's own account); one that belongs to no deployment is logged.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

import structlog

from quantdesk.db.models import Deployment, Order, Position
from quantdesk.db.repositories.deployments import DeploymentRepository
from quantdesk.db.repositories.orders import OrderRepository
from quantdesk.db.repositories.positions import PositionRepository
from quantdesk.errors import QuantDeskError
from quantdesk.ports.broker import Broker
from quantdesk.services import deployments
from quantdesk.services.context import ServiceContext
from quantdesk.services.order_records import to_order
from quantdesk.services.trading_runtime import TradingEngine
from quantdesk.trading.money import ZERO
from quantdesk.trading.orders import Fill, OrderStatus, Side
from quantdesk.trading.portfolio import Portfolio

__all__ = ["InMemoryBook", "restore_books"]

logger = structlog.get_logger(__name__)


@runtime_checkable
class InMemoryBook(Protocol):
    """A broker whose orders and positions live in this process (the paper broker)."""

    portfolio: Portfolio


async def restore_books(ctx: ServiceContext, engine: TradingEngine) -> int:
    """Restore every user's stored orders and positions into their brokers; return differences."""
    orders = await OrderRepository(ctx.session).working_everywhere()
    running = await DeploymentRepository(ctx.session).running()
    keys = {(row.user_id, row.mode) for row in orders} | {(d.user_id, d.mode) for d in running}
    found = 0
    for user_id, mode in sorted(keys):
        try:
            broker = await engine.broker(user_id, mode)
        except QuantDeskError as error:
            logger.warning(
                "restore_broker_unavailable", user_id=user_id, mode=mode, error=error.code
            )
            continue
        mine = [row for row in orders if (row.user_id, row.mode) == (user_id, mode)]
        found += await _restore_orders(ctx, broker, mine)
        found += await _restore_positions(ctx, broker, user_id, mode)
    return found


async def _restore_orders(ctx: ServiceContext, broker: Broker, rows: list[Order]) -> int:
    held = {update.client_order_id for update in await broker.open_orders()}
    stored = {row.client_order_id for row in rows}
    symbols = await OrderRepository(ctx.session).symbols([row.instrument_id for row in rows])
    found = 0
    for row in rows:
        if row.client_order_id in held:
            continue
        found += 1
        if isinstance(broker, InMemoryBook):
            await _resend(broker, row, symbols[row.instrument_id])
            await _report_order(
                ctx, row, "order_restored", "working order sent again to the broker"
            )
        else:
            await _report_order(ctx, row, "order_missing_at_broker", "broker does not hold it")
    for client_order_id in sorted(held - stored):
        found += 1
        logger.warning("restore_order_unknown_here", client_order_id=client_order_id)
    return found


async def _resend(broker: Broker, row: Order, symbol: str) -> None:
    order = to_order(row, symbol)
    remaining = order.quantity - order.filled_quantity
    fresh = replace(
        order, quantity=remaining, status=OrderStatus.NEW, filled_quantity=ZERO,
        average_fill_price=None, broker_order_id=None,
    )  # fmt: skip
    await broker.submit(fresh)


async def _report_order(ctx: ServiceContext, row: Order, kind: str, message: str) -> None:
    details = {"order_id": row.id, "client_order_id": row.client_order_id, "status": row.status}
    deployment = await _deployment(ctx, row.deployment_id)
    if deployment is None:
        logger.warning(kind, order_id=row.id)
        return
    await deployments.record_event(
        ctx, deployment, kind, message, severity="warning", details=details
    )


async def _restore_positions(ctx: ServiceContext, broker: Broker, user_id: int, mode: str) -> int:
    stored = await PositionRepository(ctx.session).for_user(user_id, mode=mode, open_only=True)
    held = {position.symbol: position.quantity for position in await broker.positions()}
    wanted: dict[str, Decimal] = {}
    for row, symbol in stored:
        wanted[symbol] = wanted.get(symbol, ZERO) + row.quantity
    found = 0
    for row, symbol in stored:
        if held.get(symbol, ZERO) == wanted[symbol]:
            continue
        found += 1
        if isinstance(broker, InMemoryBook) and held.get(symbol, ZERO) == ZERO:
            _load(broker.portfolio, row, symbol)
            await _report_position(ctx, user_id, row, symbol, "position_restored", held)
        else:
            await _report_position(ctx, user_id, row, symbol, "position_mismatch", held)
    return found


def _load(book: Portfolio, row: Position, symbol: str) -> None:
    now = datetime.now(UTC)
    side = Side.BUY if row.quantity > ZERO else Side.SELL
    fill_id = f"restore-{row.account}-{symbol}"
    fill = Fill(fill_id, fill_id, symbol, side, abs(row.quantity), row.average_price, now)
    if book.apply_fill(fill):
        book.deposit(side.sign * fill.value, now)


async def _report_position(
    ctx: ServiceContext,
    user_id: int,
    row: Position,
    symbol: str,
    kind: str,
    held: dict[str, Decimal],
) -> None:
    details = {
        "symbol": symbol,
        "stored": str(row.quantity),
        "broker": str(held.get(symbol, ZERO)),
        "account": row.account,
    }
    deployment = await _by_account(ctx, user_id, row.account)
    if deployment is None:
        logger.warning(kind, user_id=user_id, symbol=symbol)
        return
    message = f"{symbol}: stored {row.quantity}, broker held {details['broker']}"
    await deployments.record_event(
        ctx, deployment, kind, message, severity="warning", details=details
    )


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
