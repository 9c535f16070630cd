"""Pre-trade risk: every order passes each rule before it reaches a broker.

Each rule is a small function that returns nothing or raises :class:`RiskRejectedError`
naming the rule, the limit and the actual number. A limit left ``None`` is not checked.
Rules that cap exposure or losses block only orders that increase a position; an order
that reduces one (a stop-loss, an exit) always passes them, so risk never traps a trader
in a losing position. The kill switch, allowed symbols and trading hours block every order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from quantdesk.errors import ConflictError
from quantdesk.trading.money import ZERO
from quantdesk.trading.orders import Order
from quantdesk.trading.protections import Lock
from quantdesk.trading.state import Cancelled, transition

_MINUTE = timedelta(minutes=1)


class RiskRejectedError(ConflictError):
    """A risk rule refused the order; ``rule`` names it and ``details`` hold the numbers."""

    code = "risk_rejected"

    def __init__(self, rule: str, message: str, **details: object) -> None:
        super().__init__(message, details={"rule": rule, **{k: str(v) for k, v in details.items()}})
        self.rule = rule


class Session(BaseModel):
    """A window of local time on some weekdays (0 is Monday) when orders may be sent."""

    model_config = ConfigDict(frozen=True)

    start: time
    end: time
    weekdays: frozenset[int] = frozenset(range(5))

    def contains(self, moment: datetime) -> bool:
        """Return whether local ``moment`` falls in this session."""
        return moment.weekday() in self.weekdays and self.start <= moment.time() < self.end


class TradingHours(BaseModel):
    """Sessions in one time zone; e.g. New York 09:30-16:00 on weekdays."""

    model_config = ConfigDict(frozen=True)

    timezone: str = "UTC"
    sessions: tuple[Session, ...]

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use e.g. 'America/New_York'") from None
        return value

    def is_open(self, moment: datetime) -> bool:
        """Return whether ``moment`` is inside any session."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        return any(session.contains(local) for session in self.sessions)


class RiskLimits(BaseModel):
    """The limits of one account or deployment; values in the account currency."""

    model_config = ConfigDict(frozen=True)

    max_order_value: Decimal | None = Field(default=None, gt=0)
    max_position_value: Decimal | None = Field(default=None, gt=0)
    max_gross_exposure: Decimal | None = Field(default=None, gt=0)
    max_open_orders: int | None = Field(default=None, ge=0)
    max_orders_per_minute: int | None = Field(default=None, ge=0)
    daily_loss_limit: Decimal | None = Field(default=None, gt=0)
    allowed_symbols: frozenset[str] | None = None
    trading_hours: TradingHours | None = None
    kill_switch: bool = False


@dataclass(frozen=True, slots=True)
class RiskContext:
    """What the rules need to know about the account when an order arrives.

    ``price`` values the order (its limit or stop, else the last price); ``position`` is
    the signed quantity held in the order's symbol; ``recent_orders`` the submit times of
    the last minute or more, or, when the store counts them, ``orders_last_minute`` their
    number (then ``recent_orders`` is not read); ``locks`` the active protections.
    """

    limits: RiskLimits
    now: datetime
    price: Decimal
    position: Decimal = ZERO
    gross_exposure: Decimal = ZERO
    open_orders: int = 0
    daily_pnl: Decimal = ZERO
    recent_orders: Sequence[datetime] = ()
    locks: Sequence[Lock] = field(default_factory=tuple)
    orders_last_minute: int | None = None

    def count_last_minute(self) -> int:
        """How many orders were sent in the minute before ``now``."""
        if self.orders_last_minute is not None:
            return self.orders_last_minute
        since = self.now - _MINUTE
        return sum(1 for moment in self.recent_orders if moment > since)


def check_order(order: Order, context: RiskContext) -> None:
    """Raise :class:`RiskRejectedError` for the first rule ``order`` breaks.

    Example::

        check_order(order, RiskContext(limits=RiskLimits(max_order_value=Decimal(5000)),
                                       now=now, price=Decimal("190.10")))
    """
    for rule in RULES:
        rule(order, context)


def _after(order: Order, context: RiskContext) -> Decimal:
    return context.position + order.side.sign * order.quantity


def _increases(order: Order, context: RiskContext) -> bool:
    return abs(_after(order, context)) > abs(context.position)


def kill_switch(order: Order, context: RiskContext) -> None:
    """Block every new order while the kill switch is on."""
    if context.limits.kill_switch:
        raise RiskRejectedError(
            "kill_switch", "the kill switch is on: no new orders until it is turned off"
        )


def allowed_symbols(order: Order, context: RiskContext) -> None:
    """Block symbols outside the allowed list."""
    allowed = context.limits.allowed_symbols
    if allowed is not None and order.symbol not in allowed:
        raise RiskRejectedError(
            "allowed_symbols",
            f"{order.symbol} is not an allowed symbol; allowed: {', '.join(sorted(allowed))}",
            symbol=order.symbol,
        )


def trading_hours(order: Order, context: RiskContext) -> None:
    """Block orders outside the trading sessions."""
    hours = context.limits.trading_hours
    if hours is not None and not hours.is_open(context.now):
        raise RiskRejectedError(
            "trading_hours",
            f"{context.now.isoformat()} is outside the trading hours ({hours.timezone})",
            actual=context.now.isoformat(),
        )


def protections(order: Order, context: RiskContext) -> None:
    """Block new entries on a symbol or account locked by a protection."""
    if not context.locks or not _increases(order, context):
        return
    for lock in context.locks:
        if lock.applies_to(order.symbol, context.now):
            raise RiskRejectedError(
                "protection",
                f"{lock.rule} locks {lock.subject} until {lock.until.isoformat()}: {lock.reason}",
                until=lock.until.isoformat(),
            )


def max_open_orders(order: Order, context: RiskContext) -> None:
    """Cap the orders working at once."""
    limit = context.limits.max_open_orders
    if limit is not None and context.open_orders + 1 > limit:
        raise RiskRejectedError(
            "max_open_orders",
            f"{context.open_orders} orders are open and the limit is {limit}",
            limit=limit,
            actual=context.open_orders + 1,
        )


def max_orders_per_minute(order: Order, context: RiskContext) -> None:
    """Cap the orders sent in any rolling minute."""
    limit = context.limits.max_orders_per_minute
    if limit is None:
        return
    count = context.count_last_minute()
    if count + 1 > limit:
        raise RiskRejectedError(
            "max_orders_per_minute",
            f"{count} orders in the last minute and the limit is {limit} per minute",
            limit=limit,
            actual=count + 1,
        )


def max_order_value(order: Order, context: RiskContext) -> None:
    """Cap one order's value (quantity x price)."""
    limit = context.limits.max_order_value
    value = order.quantity * context.price
    if limit is not None and value > limit:
        raise RiskRejectedError(
            "max_order_value",
            f"order value {value} ({order.quantity} x {context.price}) exceeds the limit {limit}",
            limit=limit,
            actual=value,
        )


def max_position_value(order: Order, context: RiskContext) -> None:
    """Cap the value of the position in one symbol after the order fills."""
    limit = context.limits.max_position_value
    if limit is None or not _increases(order, context):
        return
    value = abs(_after(order, context)) * context.price
    if value > limit:
        raise RiskRejectedError(
            "max_position_value",
            f"{order.symbol} position would be worth {value}, above the limit {limit}",
            limit=limit,
            actual=value,
        )


def max_gross_exposure(order: Order, context: RiskContext) -> None:
    """Cap the sum of absolute position values after the order fills."""
    limit = context.limits.max_gross_exposure
    if limit is None or not _increases(order, context):
        return
    added = (abs(_after(order, context)) - abs(context.position)) * context.price
    exposure = context.gross_exposure + added
    if exposure > limit:
        raise RiskRejectedError(
            "max_gross_exposure",
            f"gross exposure would be {exposure}, above the limit {limit}",
            limit=limit,
            actual=exposure,
        )


def daily_loss_limit(order: Order, context: RiskContext) -> None:
    """Block new entries once today's loss reaches the limit; exits still pass."""
    limit = context.limits.daily_loss_limit
    if limit is None or context.daily_pnl > -limit or not _increases(order, context):
        return
    raise RiskRejectedError(
        "daily_loss_limit",
        f"today's loss {-context.daily_pnl} has reached the daily loss limit {limit}; "
        "only orders that reduce a position are accepted until tomorrow",
        limit=limit,
        actual=-context.daily_pnl,
    )


RULES: tuple[Callable[[Order, RiskContext], None], ...] = (
    kill_switch,
    allowed_symbols,
    trading_hours,
    protections,
    max_open_orders,
    max_orders_per_minute,
    max_order_value,
    max_position_value,
    max_gross_exposure,
    daily_loss_limit,
)
"""The rules in the order they run: account-wide blocks first, then counts, then values."""


def cancel_all(orders: Sequence[Order], at: datetime, reason: str = "kill switch") -> list[Order]:
    """Return every working order cancelled, as the kill switch does before blocking."""
    return [
        transition(order, Cancelled(at=at, reason=reason)) for order in orders if order.is_working
    ]
