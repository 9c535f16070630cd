"""Durable background jobs and the recurring service tasks that the scheduler runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from quantdesk.db.base import Base, one_of, reference

JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
TASK_RUN_STATUSES = ("running", "succeeded", "failed", "skipped")


def progress_check() -> CheckConstraint:
    """Keep a ``progress`` column to the fraction done, 0 to 1."""
    return CheckConstraint("progress >= 0 AND progress <= 1", name="progress_fraction")


class Job(Base):
    """A unit of background work; a worker claims the highest priority due queued job.

    ``heartbeat_at`` advances while a worker holds the job, so a stale one can be retried.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        one_of("status", JOB_STATUSES),
        progress_check(),
        Index(None, "status", "priority", "scheduled_for"),
    )

    user_id: Mapped[int | None] = reference("users")
    kind: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    progress: Mapped[float] = mapped_column(default=0.0, server_default="0")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(default=1, server_default="1")
    priority: Mapped[int] = mapped_column(default=0, server_default="0")
    scheduled_for: Mapped[datetime | None] = mapped_column(index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None] = mapped_column(index=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(index=True)
    worker_id: Mapped[str | None] = mapped_column(String(128), index=True)


class ServiceTask(Base):
    """A recurring platform task (data refresh, signal scan) and how its last run went.

    ``schedule`` is a cron expression or an interval such as ``"15m"``.
    """

    __tablename__ = "service_tasks"
    __table_args__ = (one_of("last_status", TASK_RUN_STATUSES),)

    name: Mapped[str] = mapped_column(String(100), unique=True)
    schedule: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_run_at: Mapped[datetime | None]
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_duration_seconds: Mapped[float | None]
