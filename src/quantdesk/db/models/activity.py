"""The activity log: who did what to which resource, for the audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from quantdesk.db.base import Base, reference


class ActivityLog(Base):
    """One recorded action. The row outlives its user, whose link then becomes empty."""

    __tablename__ = "activity_log"
    __table_args__ = (Index(None, "resource_type", "resource_id"),)

    user_id: Mapped[int | None] = reference("users", ondelete="SET NULL")
    action: Mapped[str] = mapped_column(String(64), index=True)
    resource_type: Mapped[str | None] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    client_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
