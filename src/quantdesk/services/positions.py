"""Positions and trades, kept from fills with the library's average-cost books.

A fill updates its account's position through :class:`quantdesk.trading.portfolio.Position`
(exact cost basis, realised P&L net of fees) and the round trip it belongs to: a fill from
flat opens a trade, one that adds averages its entry, one that reduces books the exit, and
one that crosses zero closes the trade and opens the next at the fill's price.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from quantdesk.db.models import Order as OrderRow
from quantdesk.db.models import Position as PositionRow
from quantdesk.db.models import Trade
from quantdesk.db.repositories.base import Paged
from quantdesk.db.repositories.positions import PositionRepository
from quantdesk.db.repositories.trades import TradeRepository
from quantdesk.services.context import ServiceContext
from quantdesk.services.users import require_actor
from quantdesk.trading.money import ZERO, quantize
from quantdesk.trading.orders import Fill
from quantdesk.trading.portfolio import Position

__all__ = ["PositionView", "book_fill", "list_positions", "list_trades", "unrealized"]


@dataclass(frozen=True, slots=True)
class PositionView:
    """A position with its symbol, as the API shows it."""

    id: int
    symbol: str
    mode: str
    account: str
    quantity: Decimal
    average_price: Decimal
    cost_basis: Decimal
    realized_pnl: Decimal
    last_price: Decimal | None
    unrealized_pnl: Decimal
    opened_at: datetime | None


async def book_fill(ctx: ServiceContext, order: OrderRow, fill: Fill) -> PositionRow:
    """Apply a new fill of ``order`` to its position and trade; return the position row."""
    repository = PositionRepository(ctx.session)
    row = await repository.find(order.user_id, order.instrument_id, order.mode, order.account)
    if row is None:
        row = PositionRow(
            user_id=order.user_id,
            instrument_id=order.instrument_id,
            mode=order.mode,
            account=order.account,
        )
        await repository.add(row)
    before = _library(row, fill.symbol)
    after = _library(row, fill.symbol)
    after.apply(fill)
    row.quantity, row.cost_basis = after.quantity, after.cost_basis
    row.average_price, row.realized_pnl = after.average_price, after.realized_pnl
    row.opened_at, row.last_price = after.opened_at, fill.price
    await _book_trade(ctx, order, fill, before, after)
    await repository.flush()
    return row


def unrealized(row: PositionRow) -> Decimal:
    """What closing the position at its last price would book (0 when never priced)."""
    if row.last_price is None or row.quantity == ZERO:
        return ZERO
    return row.quantity * row.last_price - row.cost_basis


def _library(row: PositionRow, symbol: str) -> Position:
    return Position(
        symbol=symbol,
        quantity=row.quantity or ZERO,
        cost_basis=row.cost_basis or ZERO,
        realized_pnl=row.realized_pnl or ZERO,
        opened_at=row.opened_at,
    )


async def _book_trade(
    ctx: ServiceContext, order: OrderRow, fill: Fill, before: Position, after: Position
) -> None:
    trades = TradeRepository(ctx.session)
    trade = await trades.open_trade(order.user_id, order.instrument_id, order.mode, order.account)
    change = fill.side.sign * fill.quantity
    opening = before.quantity == ZERO or (before.quantity > ZERO) == (change > ZERO)
    if opening:
        if trade is None:
            await trades.add(_open(order, fill, fill.quantity, fill.commission))
        else:
            _add(trade, fill)
        return
    closed = min(abs(change), abs(before.quantity))
    if trade is not None:
        already = trade.quantity - abs(before.quantity)
        _reduce(trade, fill, order.id, already, closed, after.realized_pnl - before.realized_pnl)
    if after.quantity != ZERO and (after.quantity > ZERO) != (before.quantity > ZERO):
        await trades.add(_open(order, fill, abs(after.quantity), ZERO))


def _open(order: OrderRow, fill: Fill, quantity: Decimal, fees: Decimal) -> Trade:
    return Trade(
        user_id=order.user_id,
        instrument_id=order.instrument_id,
        strategy_id=order.strategy_id,
        deployment_id=order.deployment_id,
        entry_order_id=order.id,
        side="long" if fill.side.sign > 0 else "short",
        mode=order.mode,
        account=order.account,
        quantity=quantity,
        entry_time=fill.at,
        entry_price=fill.price,
        fees=fees,
        pnl=-fees,
    )


def _add(trade: Trade, fill: Fill) -> None:
    total = trade.quantity + fill.quantity
    trade.entry_price = quantize((trade.entry_price * trade.quantity + fill.value) / total)
    trade.quantity = total
    trade.fees += fill.commission
    trade.pnl = (trade.pnl or ZERO) - fill.commission


def _reduce(
    trade: Trade,
    fill: Fill,
    exit_order_id: int,
    already: Decimal,
    closed: Decimal,
    realized: Decimal,
) -> None:
    # the open trade mirrors the position, so what it has closed is its size minus the rest;
    # exit_price is the average of the closing fills, weighted by what each closed
    previous = (trade.exit_price or ZERO) * already
    trade.exit_price = quantize((previous + closed * fill.price) / (already + closed))
    trade.exit_order_id = exit_order_id
    trade.fees += fill.commission
    trade.pnl = (trade.pnl or ZERO) + realized
    if already + closed == trade.quantity:
        trade.status, trade.exit_time = "closed", fill.at
        entry_value = trade.entry_price * trade.quantity
        trade.return_fraction = quantize(trade.pnl / entry_value) if entry_value else None


async def list_positions(
    ctx: ServiceContext, *, open_only: bool, mode: str | None = None, account: str | None = None
) -> list[PositionView]:
    """The signed-in user's positions by symbol, in every account unless ``mode`` or
    ``account`` narrows them; ``open_only`` leaves out flat ones."""
    user = require_actor(ctx)
    repository = PositionRepository(ctx.session)
    rows = await repository.for_user(user.id, mode=mode, account=account, open_only=open_only)
    return [
        PositionView(
            id=row.id,
            symbol=symbol,
            mode=row.mode,
            account=row.account,
            quantity=row.quantity,
            average_price=row.average_price,
            cost_basis=row.cost_basis,
            realized_pnl=row.realized_pnl,
            last_price=row.last_price,
            unrealized_pnl=unrealized(row),
            opened_at=row.opened_at,
        )
        for row, symbol in rows
    ]


async def list_trades(
    ctx: ServiceContext,
    *,
    status: str | None,
    limit: int,
    offset: int,
    mode: str | None = None,
    account: str | None = None,
) -> Paged[Trade]:
    """The signed-in user's round trips, newest first, in every account unless ``mode`` or
    ``account`` narrows them."""
    user = require_actor(ctx)
    return await TradeRepository(ctx.session).list_for_user(
        user.id, status=status, limit=limit, offset=offset, mode=mode, account=account
    )
