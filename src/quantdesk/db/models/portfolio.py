"""What trading leaves behind: positions, round-trip trades, stop/target levels, P&L."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quantdesk.db.base import Base, one_of, reference
from quantdesk.db.models.strategies import TRADING_MODES

TRADE_SIDES = ("long", "short")
TRADE_STATUSES = ("open", "closed")
TARGET_KINDS = ("stop_loss", "take_profit", "trailing_stop")
TARGET_STATUSES = ("active", "triggered", "cancelled", "expired")


class Position(Base):
    """The net holding of one instrument in one account; ``quantity`` < 0 is short.

    ``cost_basis`` is the exact signed cost of the open quantity (average cost method);
    ``average_price`` is derived from it and rounded, so the basis is what the books keep.
    ``last_price`` is the latest mark (a fill or a bar's close) that values it.
    """

    __tablename__ = "positions"
    __table_args__ = (
        UniqueConstraint("user_id", "instrument_id", "mode", "account"),
        one_of("mode", TRADING_MODES),
    )

    user_id: Mapped[int] = reference("users", index=False)
    instrument_id: Mapped[int] = reference("instruments", ondelete="RESTRICT")
    mode: Mapped[str] = mapped_column(String(16), default="paper", server_default="paper")
    account: Mapped[str] = mapped_column(String(64), default="default", server_default="default")
    quantity: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    average_price: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    cost_basis: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    last_price: Mapped[Decimal | None]
    realized_pnl: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    opened_at: Mapped[datetime | None]


class Trade(Base):
    """A round trip from entry to exit; ``status`` stays open until the exit fills.

    ``return_fraction`` is P&L over entry value (0.02 is 2 %). ``market_context`` keeps what
    the market looked like at entry (trend, volatility, indicator readings) for review.
    """

    __tablename__ = "trades"
    __table_args__ = (
        one_of("side", TRADE_SIDES),
        one_of("status", TRADE_STATUSES),
        one_of("mode", TRADING_MODES),
    )

    user_id: Mapped[int] = reference("users")
    instrument_id: Mapped[int] = reference("instruments", ondelete="RESTRICT")
    strategy_id: Mapped[int | None] = reference("strategies", ondelete="SET NULL")
    deployment_id: Mapped[int | None] = reference("deployments", ondelete="SET NULL")
    entry_order_id: Mapped[int | None] = reference("orders", ondelete="SET NULL")
    exit_order_id: Mapped[int | None] = reference("orders", ondelete="SET NULL")
    side: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    mode: Mapped[str] = mapped_column(String(16), default="paper", server_default="paper")
    account: Mapped[str] = mapped_column(String(64), default="default", server_default="default")
    quantity: Mapped[Decimal]
    entry_time: Mapped[datetime] = mapped_column(index=True)
    entry_price: Mapped[Decimal]
    exit_time: Mapped[datetime | None] = mapped_column(index=True)
    exit_price: Mapped[Decimal | None]
    pnl: Mapped[Decimal | None]
    return_fraction: Mapped[Decimal | None]
    fees: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    stop_loss: Mapped[Decimal | None]
    take_profit: Mapped[Decimal | None]
    exit_reason: Mapped[str | None] = mapped_column(String(32))
    market_context: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Target(Base):
    """A stop or target level watched for a position or trade."""

    __tablename__ = "targets"
    __table_args__ = (
        one_of("kind", TARGET_KINDS),
        one_of("status", TARGET_STATUSES),
        CheckConstraint("position_id IS NOT NULL OR trade_id IS NOT NULL", name="has_subject"),
    )

    user_id: Mapped[int] = reference("users")
    position_id: Mapped[int | None] = reference("positions")
    trade_id: Mapped[int | None] = reference("trades")
    order_id: Mapped[int | None] = reference("orders", ondelete="SET NULL")
    kind: Mapped[str] = mapped_column(String(16))
    price: Mapped[Decimal]
    quantity: Mapped[Decimal | None]
    trail_amount: Mapped[Decimal | None]
    status: Mapped[str] = mapped_column(
        String(16), default="active", server_default="active", index=True
    )
    triggered_at: Mapped[datetime | None] = mapped_column(index=True)


class PnlSnapshot(Base):
    """An account's equity and P&L at one moment, for equity curves and daily limits."""

    __tablename__ = "pnl_snapshots"
    __table_args__ = (
        UniqueConstraint("user_id", "mode", "account", "ts"),
        one_of("mode", TRADING_MODES),
    )

    user_id: Mapped[int] = reference("users", index=False)
    mode: Mapped[str] = mapped_column(String(16), default="paper", server_default="paper")
    account: Mapped[str] = mapped_column(String(64), default="default", server_default="default")
    ts: Mapped[datetime] = mapped_column(index=True)
    equity: Mapped[Decimal]
    cash: Mapped[Decimal]
    realized_pnl: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    unrealized_pnl: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    daily_pnl: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
