"""Machine-learning models and the jobs that train them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quantdesk.db.base import Base, one_of, reference
from quantdesk.db.models.jobs import JOB_STATUSES

MODEL_STATUSES = ("draft", "training", "ready", "failed", "archived")


class MlModel(Base):
    """A named, versioned model; the fitted estimator is a file at ``artifact_path``."""

    __tablename__ = "ml_models"
    __table_args__ = (
        UniqueConstraint("user_id", "name", "version"),
        one_of("status", MODEL_STATUSES),
    )

    user_id: Mapped[int] = reference("users", index=False)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    kind: Mapped[str] = mapped_column(String(32))
    symbols: Mapped[list[str]] = mapped_column(default=list)
    timeframe: Mapped[str | None] = mapped_column(String(8))
    features: Mapped[list[Any]] = mapped_column(default=list)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    artifact_path: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft")
    trained_at: Mapped[datetime | None]


class TrainingJob(Base):
    """One training of a model, run as a background ``Job``."""

    __tablename__ = "training_jobs"
    __table_args__ = (one_of("status", JOB_STATUSES),)

    user_id: Mapped[int] = reference("users")
    model_id: Mapped[int] = reference("ml_models")
    job_id: Mapped[int | None] = reference("jobs", ondelete="SET NULL")
    status: Mapped[str] = mapped_column(
        String(16), default="queued", server_default="queued", index=True
    )
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
