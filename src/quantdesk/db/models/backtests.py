"""Backtest runs and optimisations: what was asked, how far it got, and what it found."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from quantdesk.db.base import Base, one_of, reference
from quantdesk.db.models.jobs import JOB_STATUSES, progress_check

RUN_KINDS = ("backtest", "optimization")


class BacktestRun(Base):
    """One backtest or optimisation of a strategy type over ``period_start``..``period_end``.

    ``settings`` holds capital, costs and sizing (and, for an optimisation, the search).
    ``inputs`` is the compressed snapshot of the bars the job runs on, cleared once it ends.
    A backtest keeps ``equity_curve`` and ``trades``; an optimisation keeps ``results``.
    """

    __tablename__ = "backtest_runs"
    __table_args__ = (one_of("status", JOB_STATUSES), one_of("kind", RUN_KINDS), progress_check())

    user_id: Mapped[int] = reference("users")
    strategy_id: Mapped[int | None] = reference("strategies", ondelete="SET NULL")
    job_id: Mapped[int | None] = reference("jobs", ondelete="SET NULL")
    kind: Mapped[str] = mapped_column(
        String(16), default="backtest", server_default="backtest", index=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
    strategy_type: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    symbols: Mapped[list[str]] = mapped_column(default=list)
    timeframe: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime | None]
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(
        String(16), default="queued", server_default="queued", index=True
    )
    progress: Mapped[float] = mapped_column(default=0.0, server_default="0")
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    equity_curve: Mapped[dict[str, Any] | None]
    trades: Mapped[list[Any] | None]
    results: Mapped[dict[str, Any] | None]
    inputs: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    artifact_path: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None] = mapped_column(index=True)
