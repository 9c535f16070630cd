"""Job bodies: a job as the API shows it, with progress in percent."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from quantdesk.services.jobs import Job

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class JobRead(BaseModel):
    """A background job: what it is, how far it has got, and how it ended."""

    id: int
    kind: str
    status: JobStatus
    progress: float = Field(ge=0, le=100, description="Percent done, 0 to 100.")
    payload: dict[str, Any]
    result: dict[str, Any] | None = Field(description="Set once, when the job succeeds.")
    error: str | None = Field(description="Why the job failed: exception class and message.")
    attempts: int
    max_attempts: int
    priority: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_job(cls, job: Job) -> JobRead:
        """Show a job row, turning its 0..1 progress into percent."""
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            progress=round(job.progress * 100, 2),
            payload=job.payload,
            result=job.result,
            error=job.error,
            attempts=job.attempts,
            max_attempts=job.max_attempts,
            priority=job.priority,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )
