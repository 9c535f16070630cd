"""What the risk rules know about an account when an order arrives, from either book.

An order sent through the API (or to a live broker) is checked against the stored book:
the account's positions, working orders, daily P&L and last minute's orders as the
database holds them. A paper deployment's order is checked against the paper broker's own
book, which lives in this process and is ahead of the stored one (its fills reach the
database through the event consumer): positions, working orders and daily P&L come from the
broker's portfolio, while the account's limits, its protections and the last minute's
order count are read before the bar's signal is computed (:func:`account_rules`). Both
build the same :class:`~quantdesk.trading.risk.RiskContext` and go through the same rules,
so a refusal names the same rule and numbers on either path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol, runtime_checkable

import structlog

from quantdesk.db.repositories.orders import OrderRepository
from quantdesk.db.repositories.positions import PositionRepository
from quantdesk.errors import ValidationError
from quantdesk.services import trading_config
from quantdesk.services.context import ServiceContext
from quantdesk.services.pnl import daily_pnl
from quantdesk.trading.money import ZERO
from quantdesk.trading.orders import Order
from quantdesk.trading.portfolio import Portfolio
from quantdesk.trading.protections import Lock
from quantdesk.trading.risk import RiskContext, RiskLimits, RiskRejectedError, check_order

__all__ = [
    "AccountRules",
    "OrderRejectedError",
    "PortfolioBook",
    "account_rules",
    "book_context",
    "check_rules",
    "stored_context",
]

logger = structlog.get_logger(__name__)


class OrderRejectedError(ValidationError):
    """A risk rule refused the order; ``details`` hold ``rule``, ``limit`` and ``actual``."""

    code = "risk_rejected"


@runtime_checkable
class PortfolioBook(Protocol):
    """A broker whose positions and cash live in this process (the paper broker)."""

    portfolio: Portfolio

    def working_count(self) -> int:
        """How many orders may still fill, children waiting for their entry included."""
        ...


@dataclass(frozen=True, slots=True)
class AccountRules:
    """An account's limits, protections and last minute's orders, read before a signal."""

    limits: RiskLimits
    locks: tuple[Lock, ...]
    recent_orders: int


async def account_rules(
    ctx: ServiceContext, user_id: int, mode: str, account: str, now: datetime
) -> AccountRules:
    """Read what a paper deployment's next order is checked against besides the book."""
    config = await trading_config.account_config(ctx, user_id, mode, account)
    orders = OrderRepository(ctx.session)
    recent = await _recent(orders, user_id, now, config.limits.max_orders_per_minute)
    locks = await trading_config.active_locks(ctx, user_id, now)
    return AccountRules(config.limits, tuple(locks), len(recent))


def book_context(
    book: PortfolioBook, rules: AccountRules, order: Order, now: datetime
) -> RiskContext:
    """The risk context of ``order`` from the in-process book and the rules read before."""
    portfolio = book.portfolio
    held = portfolio.positions.get(order.symbol)
    return RiskContext(
        limits=rules.limits,
        now=now,
        price=_price(order, held.mark if held else None, rules.limits),
        position=held.quantity if held else ZERO,
        gross_exposure=portfolio.gross_exposure,
        open_orders=book.working_count(),
        daily_pnl=portfolio.daily_pnl(now),
        recent_orders=(now,) * rules.recent_orders,
        locks=rules.locks,
    )


async def stored_context(
    ctx: ServiceContext,
    user_id: int,
    mode: str,
    account: str,
    order: Order,
    instrument_id: int,
    now: datetime,
) -> RiskContext:
    """The risk context of ``order`` from the stored book of ``account``."""
    config = await trading_config.account_config(ctx, user_id, mode, account)
    mine = await PositionRepository(ctx.session).in_account(user_id, mode, account)
    held = next((row for row in mine if row.instrument_id == instrument_id), None)
    per_minute = config.limits.max_orders_per_minute
    since = now - timedelta(minutes=1) if per_minute is not None else None
    working, recent = await OrderRepository(ctx.session).count_working_and_since(
        user_id, mode, since, up_to=per_minute
    )
    return RiskContext(
        limits=config.limits,
        now=now,
        price=_price(order, held.last_price if held else None, config.limits),
        position=held.quantity if held else ZERO,
        gross_exposure=sum((abs(row.quantity * (row.last_price or ZERO)) for row in mine), ZERO),
        open_orders=working,
        daily_pnl=await daily_pnl(ctx, user_id, mode, account, now, known=(config, mine)),
        # the rule only counts the last minute's orders, up to its limit: count, do not load
        recent_orders=(now,) * min(recent, per_minute or 0),
        locks=await trading_config.active_locks(ctx, user_id, now),
    )


def check_rules(order: Order, context: RiskContext) -> None:
    """Pass ``order`` through every risk rule, or raise :class:`OrderRejectedError`."""
    try:
        check_order(order, context)
    except RiskRejectedError as error:
        logger.info("order_risk_rejected", rule=error.rule)
        raise OrderRejectedError(error.message, details=error.details) from None


async def _recent(
    orders: OrderRepository, user_id: int, now: datetime, limit: int | None
) -> Sequence[datetime]:
    # the rule only counts the last minute's orders, up to its limit: count, do not load them
    if limit is None:
        return ()
    count = await orders.count_since(user_id, now - timedelta(minutes=1))
    return (now,) * min(count, limit)


def _price(order: Order, last: Decimal | None, limits: RiskLimits) -> Decimal:
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
