"""Strategies, their deployments (live or paper runs), signals and the events they log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Double, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from quantdesk.db.base import Base, one_of, reference, unindexed_created_at

TRADING_MODES = ("paper", "live")
DEPLOYMENT_STATUSES = ("pending", "running", "paused", "stopped", "failed")
SIGNAL_ACTIONS = ("BUY", "SELL", "HOLD")
SIGNAL_STATUSES = ("pending", "approved", "rejected", "executed", "expired")
EVENT_SEVERITIES = ("debug", "info", "warning", "error", "critical")


class Strategy(Base):
    """A user's configured strategy: a registered ``type`` with its parameters."""

    __tablename__ = "strategies"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    user_id: Mapped[int] = reference("users", index=False)
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(64), index=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    symbols: Mapped[list[str]] = mapped_column(default=list)
    timeframe: Mapped[str] = mapped_column(String(8), default="1d", server_default="1d")
    active: Mapped[bool] = mapped_column(default=False, server_default=false())
    description: Mapped[str | None] = mapped_column(Text)


class Deployment(Base):
    """A strategy running on new bars, in paper or live mode, under a risk profile."""

    __tablename__ = "deployments"
    __table_args__ = (
        one_of("mode", TRADING_MODES),
        one_of("status", DEPLOYMENT_STATUSES),
    )

    user_id: Mapped[int] = reference("users")
    strategy_id: Mapped[int] = reference("strategies")
    symbols: Mapped[list[str]] = mapped_column(default=list)
    timeframe: Mapped[str] = mapped_column(String(8))
    broker: Mapped[str] = mapped_column(String(32), default="paper", server_default="paper")
    mode: Mapped[str] = mapped_column(String(16), default="paper", server_default="paper")
    account: Mapped[str] = mapped_column(String(64), default="default", server_default="default")
    risk_profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    feed: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(
        String(16), default="pending", server_default="pending", index=True
    )
    started_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class DeploymentBar(Base):
    """A bar a deployment's synthetic feed generated, kept so that its drift can replay it.

    Apart from the shared ``bars`` table on purpose: a synthetic walk is named after a
    symbol that may have real stored history, which it must never overwrite, and each
    deployment's walk is its own. The rows go with their deployment. ``created_at`` carries
    no index: they are read by deployment and time, never by creation.
    """

    __tablename__ = "deployment_bars"
    __table_args__ = (UniqueConstraint("deployment_id", "symbol", "timeframe", "ts"),)

    deployment_id: Mapped[int] = reference("deployments", index=False)
    symbol: Mapped[str] = mapped_column(String(32))
    timeframe: Mapped[str] = mapped_column(String(8))
    ts: Mapped[datetime]
    open: Mapped[float] = mapped_column(Double)
    high: Mapped[float] = mapped_column(Double)
    low: Mapped[float] = mapped_column(Double)
    close: Mapped[float] = mapped_column(Double)
    volume: Mapped[float] = mapped_column(Double)
    created_at: Mapped[datetime] = unindexed_created_at()


class Signal(Base):
    """A strategy's call on one instrument at one bar, waiting for approval or execution."""

    __tablename__ = "signals"
    __table_args__ = (
        one_of("action", SIGNAL_ACTIONS),
        one_of("status", SIGNAL_STATUSES),
        Index(None, "strategy_id", "ts"),
    )

    user_id: Mapped[int] = reference("users")
    strategy_id: Mapped[int] = reference("strategies", index=False)
    deployment_id: Mapped[int | None] = reference("deployments", ondelete="SET NULL")
    instrument_id: Mapped[int] = reference("instruments")
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(
        String(16), default="pending", server_default="pending", index=True
    )
    ts: Mapped[datetime] = mapped_column(index=True)
    price: Mapped[Decimal | None]
    stop_loss: Mapped[Decimal | None]
    take_profit: Mapped[Decimal | None]
    confidence: Mapped[float | None]
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    indicators: Mapped[dict[str, Any]] = mapped_column(default=dict)
    decided_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)


class StrategyEvent(Base):
    """Something a strategy or deployment reports: a start, a warning, an error.

    A reconciliation difference of a manual order names only its user (no strategy or
    deployment), so the owner still sees it.
    """

    __tablename__ = "strategy_events"
    __table_args__ = (one_of("severity", EVENT_SEVERITIES),)

    user_id: Mapped[int] = reference("users")
    strategy_id: Mapped[int | None] = reference("strategies")
    deployment_id: Mapped[int | None] = reference("deployments")
    type: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(
        String(16), default="info", server_default="info", index=True
    )
    message: Mapped[str] = mapped_column(Text)
    # "metadata" is reserved on declarative classes, so the attribute has another name.
    details: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
