"""Orders, their fills, risk limits, and the risk locks that stop new orders.

Prices, quantities and money are exact ``Decimal`` values (``Numeric(28, 10)``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quantdesk.db.base import Base, one_of, reference, unindexed_created_at
from quantdesk.db.models.strategies import TRADING_MODES

ORDER_SIDES = ("buy", "sell")
ORDER_TYPES = ("market", "limit", "stop", "stop_limit", "trailing_stop")
TIME_IN_FORCE = ("DAY", "GTC", "IOC", "FOK")
ORDER_STATUSES = (
    "new",
    "accepted",
    "partially_filled",
    "filled",
    "cancelled",
    "rejected",
    "expired",
    "unknown",
)
BRACKET_ROLES = ("entry", "stop_loss", "take_profit")
LIQUIDITY = ("maker", "taker")
LOCK_SCOPES = ("symbol", "account")


class Order(Base):
    """An order as sent to a broker, with its lifecycle; brackets link by ``parent_order_id``.

    ``bracket`` names an order's role in a bracket (``entry``, ``stop_loss``,
    ``take_profit``; None outside one); the entry keeps the levels it was sent with in
    ``stop_loss`` and ``take_profit``, its children point to it by ``parent_order_id``.
    ``status_history`` holds ``{"status", "at", "reason"}`` entries in order of change.
    ``request_hash`` fingerprints the submitted body, so a repeated client order id with
    another body is told apart from a retry of the same request.
    """

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("user_id", "client_order_id"),
        # the risk check counts a user's working orders and last minute's orders per order
        Index("ix_orders_user_status_mode", "user_id", "status", "mode"),
        Index("ix_orders_user_created_at", "user_id", "created_at"),
        one_of("side", ORDER_SIDES),
        one_of("type", ORDER_TYPES),
        one_of("time_in_force", TIME_IN_FORCE),
        one_of("status", ORDER_STATUSES),
        one_of("mode", TRADING_MODES),
        one_of("bracket", BRACKET_ROLES),
    )

    user_id: Mapped[int] = reference("users", index=False)
    deployment_id: Mapped[int | None] = reference("deployments", ondelete="SET NULL")
    strategy_id: Mapped[int | None] = reference("strategies", ondelete="SET NULL")
    signal_id: Mapped[int | None] = reference("signals", ondelete="SET NULL")
    instrument_id: Mapped[int] = reference("instruments", ondelete="RESTRICT")
    parent_order_id: Mapped[int | None] = reference("orders", ondelete="SET NULL")
    client_order_id: Mapped[str] = mapped_column(String(64))
    broker_order_id: Mapped[str | None] = mapped_column(String(64))
    oco_group: Mapped[str | None] = mapped_column(String(64))
    bracket: Mapped[str | None] = mapped_column(String(16))
    stop_loss: Mapped[Decimal | None]
    take_profit: Mapped[Decimal | None]
    side: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16), default="market", server_default="market")
    time_in_force: Mapped[str] = mapped_column(String(16), default="DAY", server_default="DAY")
    quantity: Mapped[Decimal]
    limit_price: Mapped[Decimal | None]
    stop_price: Mapped[Decimal | None]
    trail_amount: Mapped[Decimal | None]
    trail_percent: Mapped[Decimal | None]
    status: Mapped[str] = mapped_column(String(16), default="new", server_default="new", index=True)
    filled_quantity: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    average_fill_price: Mapped[Decimal | None]
    reason: Mapped[str | None] = mapped_column(Text)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    request_hash: Mapped[str | None] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16), default="paper", server_default="paper")
    account: Mapped[str] = mapped_column(String(64), default="default", server_default="default")
    broker: Mapped[str] = mapped_column(String(32), default="paper", server_default="paper")
    submitted_at: Mapped[datetime | None]
    filled_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    status_history: Mapped[list[Any]] = mapped_column(default=list)
    # every index is written by each new order; the user's own (user_id, created_at) serves
    created_at: Mapped[datetime] = unindexed_created_at()


class Fill(Base):
    """One execution against an order; a partial fill is one row of several.

    ``broker_fill_id`` is unique per order, so a fill reported twice is stored once.
    """

    __tablename__ = "fills"
    __table_args__ = (
        one_of("liquidity", LIQUIDITY),
        UniqueConstraint("order_id", "broker_fill_id"),
    )

    order_id: Mapped[int] = reference("orders")
    quantity: Mapped[Decimal]
    price: Mapped[Decimal]
    commission: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    liquidity: Mapped[str | None] = mapped_column(String(16))
    executed_at: Mapped[datetime] = mapped_column(index=True)
    broker_fill_id: Mapped[str | None] = mapped_column(String(64))


class TradingConfig(Base):
    """One account's risk limits (``RiskLimits`` as JSON, kill switch included) and its
    starting cash, from which cash and equity follow exactly as fills are booked."""

    __tablename__ = "trading_configs"
    __table_args__ = (
        UniqueConstraint("user_id", "mode", "account"),
        one_of("mode", TRADING_MODES),
    )

    user_id: Mapped[int] = reference("users", index=False)
    mode: Mapped[str] = mapped_column(String(16), default="paper", server_default="paper")
    account: Mapped[str] = mapped_column(String(64), default="default", server_default="default")
    limits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    initial_cash: Mapped[Decimal] = mapped_column(default=Decimal(100_000), server_default="100000")


class RiskLock(Base):
    """A protection that blocks new entries on a symbol or a whole account ``until`` then.

    ``rule`` names the limit that placed it (a drawdown cap, a loss streak cool-down).
    """

    __tablename__ = "risk_locks"
    __table_args__ = (
        one_of("scope", LOCK_SCOPES),
        one_of("mode", TRADING_MODES),
        CheckConstraint(
            "scope = 'account' OR instrument_id IS NOT NULL", name="symbol_lock_has_instrument"
        ),
    )

    user_id: Mapped[int] = reference("users")
    deployment_id: Mapped[int | None] = reference("deployments")
    instrument_id: Mapped[int | None] = reference("instruments")
    scope: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16), default="paper", server_default="paper")
    account: Mapped[str] = mapped_column(String(64), default="default", server_default="default")
    rule: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    until: Mapped[datetime] = mapped_column(index=True)
    released_at: Mapped[datetime | None]
