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

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol, runtime_checkable

import structlog

from quantdesk.db.repositories.order_checks import AccountFacts, OrderCheckRepository
from quantdesk.errors import ValidationError
from quantdesk.services import trading_config
from quantdesk.services.context import ServiceContext
from quantdesk.services.pnl import daily_pnl, day_start
from quantdesk.trading.money import ZERO
from quantdesk.trading.orders import Order
from quantdesk.trading.portfolio import Portfolio
from quantdesk.trading.protections import Lock
from quantdesk.trading.risk import RiskContext, RiskLimits, RiskRejectedError, check_order

__all__ = [
    "AccountFacts",
    "AccountRules",
    "OrderRejectedError",
    "PortfolioBook",
    "account_facts",
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
    """Read what a paper deployment's next order is checked against besides the book: the
    same one read as an order through the API (:func:`account_facts`)."""
    facts = await account_facts(ctx, user_id, mode, account, now)
    config = trading_config.config_from(mode, account, facts.limits, facts.initial_cash)
    locks = await trading_config.active_locks(ctx, user_id, now) if facts.active_locks else []
    return AccountRules(config.limits, tuple(locks), facts.recent_orders)


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
        orders_last_minute=rules.recent_orders,
        locks=rules.locks,
    )


async def account_facts(
    ctx: ServiceContext,
    user_id: int,
    mode: str,
    account: str,
    now: datetime,
    *,
    client_order_id: str = "",
    symbol: str = "",
    exchange: str = "",
) -> AccountFacts:
    """Read, in one round trip, what a new order's checks start from (see
    :mod:`quantdesk.db.repositories.order_checks`); the client order id and the instrument
    are looked up when given."""
    return await OrderCheckRepository(ctx.session).facts(
        user_id=user_id,
        mode=mode,
        account=account,
        client_order_id=client_order_id,
        symbol=symbol,
        exchange=exchange,
        day_start=day_start(now),
        now=now,
        since=now - timedelta(minutes=1),
    )


async def stored_context(
    ctx: ServiceContext,
    user_id: int,
    mode: str,
    account: str,
    order: Order,
    instrument_id: int,
    now: datetime,
    facts: AccountFacts | None = None,
) -> RiskContext:
    """The risk context of ``order`` from the stored book of ``account``.

    ``facts`` are the account's, when the caller read them already (:func:`account_facts`).
    Protections are read only when one is in force.
    """
    facts = facts or await account_facts(ctx, user_id, mode, account, now)
    config = trading_config.config_from(mode, account, facts.limits, facts.initial_cash)
    limits = config.limits
    mine = facts.positions
    held = next((row for row in mine if row.instrument_id == instrument_id), None)
    locks = await trading_config.active_locks(ctx, user_id, now) if facts.active_locks else []
    return RiskContext(
        limits=limits,
        now=now,
        price=_price(order, held.last_price if held else None, limits),
        position=held.quantity if held else ZERO,
        gross_exposure=sum((abs(row.quantity * (row.last_price or ZERO)) for row in mine), ZERO),
        open_orders=facts.working_orders,
        daily_pnl=daily_pnl(config, mine, facts.day_start_equity),
        orders_last_minute=facts.recent_orders,
        locks=locks,
    )


def check_rules(order: Order, context: RiskContext) -> None:
    """Pass ``order`` through every risk rule, or raise :class:`OrderRejectedError`."""
    try:
        check_order(order, context)
    except RiskRejectedError as error:
        logger.info("order_risk_rejected", rule=error.rule)
        raise OrderRejectedError(error.message, details=error.details) from None


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
