"""Queries on durable jobs: claiming, heartbeats, final writes and recovery.

Every write that changes a job's state is a compare-and-set on its current status and
worker, so two runners, a cancellation and a recovery can race without one overwriting
another: the loser's statement matches no row and it backs off.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, func, or_, select, update

from quantdesk.db.models import Job
from quantdesk.db.repositories.base import Paged, Repository

ACTIVE_STATUSES = ("queued", "running")
FINAL_STATUSES = ("succeeded", "failed", "cancelled")


class JobRepository(Repository[Job]):
    """Look up, claim and settle jobs."""

    model = Job

    async def get_for_user(self, job_id: int, user_id: int) -> Job | None:
        """The user's job with this id; another user's answers None."""
        return await self.session.scalar(
            select(Job).where(Job.id == job_id, Job.user_id == user_id)
        )

    async def list_for_user(
        self,
        user_id: int,
        *,
        status: str | None = None,
        kind: str | None = None,
        limit: int,
        offset: int,
    ) -> Paged[Job]:
        """The user's jobs, newest first, optionally of one status or kind."""
        statement = select(Job).where(Job.user_id == user_id)
        if status is not None:
            statement = statement.where(Job.status == status)
        if kind is not None:
            statement = statement.where(Job.kind == kind)
        return await self.page(statement.order_by(Job.id.desc()), limit=limit, offset=offset)

    async def claim(self, worker_id: str, *, now: datetime, limit: int) -> list[Job]:
        """Move up to ``limit`` due queued jobs to running for this worker, best first.

        One statement: on PostgreSQL the candidates are locked with ``FOR UPDATE SKIP
        LOCKED``, so concurrent runners take different jobs without waiting; SQLite runs
        one writing statement at a time, so its read of the candidates and its update are
        atomic too (SQLAlchemy leaves the lock clause out there).
        """
        candidates = (
            select(Job.id)
            .where(Job.status == "queued", _due(now))
            .order_by(Job.priority.desc(), Job.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(Job)
            .where(Job.id.in_(candidates.scalar_subquery()), Job.status == "queued")
            .values(
                status="running",
                attempts=Job.attempts + 1,
                progress=0.0,
                error=None,
                started_at=now,
                heartbeat_at=now,
                worker_id=worker_id,
                updated_at=now,
            )
            .returning(Job)
        )
        rows = await self.session.scalars(
            statement, execution_options={"synchronize_session": False}
        )
        return sorted(rows, key=lambda job: (-job.priority, job.id))

    async def heartbeat(
        self, job_id: int, worker_id: str, *, now: datetime, progress: float | None = None
    ) -> bool:
        """Mark a held job alive (and record progress); False once it is no longer held."""
        values: dict[str, Any] = {"heartbeat_at": now, "updated_at": now}
        if progress is not None:
            values["progress"] = progress
        return await self._update_held(job_id, worker_id, values)

    async def finish(
        self,
        job_id: int,
        worker_id: str,
        *,
        status: str,
        now: datetime,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> bool:
        """Write a held job's final status and result once; False if it is not held."""
        values: dict[str, Any] = {
            "status": status,
            "result": result,
            "error": error,
            "finished_at": now,
            "heartbeat_at": now,
            "updated_at": now,
        }
        if status == "succeeded":
            values["progress"] = 1.0
        return await self._update_held(job_id, worker_id, values)

    async def release(
        self,
        job_id: int,
        worker_id: str,
        *,
        now: datetime,
        run_at: datetime,
        error: str | None,
        refund_attempt: bool = False,
    ) -> bool:
        """Put a held job back in the queue, due at ``run_at``, for another attempt.

        ``refund_attempt`` gives back the attempt the claim counted, for work interrupted by
        an orderly shutdown rather than by anything wrong with the job.
        """
        values = _requeued(now, run_at, error)
        if refund_attempt:
            values["attempts"] = Job.attempts - 1
        return await self._update_held(job_id, worker_id, values)

    async def running(self) -> list[Job]:
        """Every running job, oldest first."""
        rows = await self.session.scalars(
            select(Job).where(Job.status == "running").order_by(Job.id)
        )
        return list(rows)

    async def settle_abandoned(self, job: Job, *, now: datetime, error: str) -> bool:
        """Requeue a dead worker's job, or fail it when its attempts are used up.

        Matches only while the job is as it was read (same worker, no newer heartbeat), so
        a live worker that heartbeats in the meantime keeps it.
        """
        if job.attempts < job.max_attempts:
            values = _requeued(now, now, error)
        else:
            values = {"status": "failed", "error": error, "finished_at": now, "updated_at": now}
        unchanged = (
            Job.heartbeat_at.is_(None)
            if job.heartbeat_at is None
            else Job.heartbeat_at <= job.heartbeat_at
        )
        statement = update(Job).where(
            Job.id == job.id,
            Job.status == "running",
            Job.worker_id == job.worker_id,
            unchanged,
        )
        return await self._execute(statement.values(**values))

    async def cancel(self, job: Job, *, now: datetime) -> bool:
        """Cancel a queued or running job; False when it had already finished."""
        statement = update(Job).where(Job.id == job.id, Job.status.in_(ACTIVE_STATUSES))
        values = {"status": "cancelled", "finished_at": now, "result": None, "updated_at": now}
        return await self._execute(statement.values(**values))

    async def count_by_status(self) -> dict[str, int]:
        """How many jobs are in each status."""
        statement = select(Job.status, func.count()).group_by(Job.status)
        return {status: count for status, count in (await self.session.execute(statement)).all()}

    async def _update_held(self, job_id: int, worker_id: str, values: dict[str, Any]) -> bool:
        statement = update(Job).where(
            Job.id == job_id, Job.status == "running", Job.worker_id == worker_id
        )
        return await self._execute(statement.values(**values))

    async def _execute(self, statement: Any) -> bool:
        result = await self.session.execute(
            statement, execution_options={"synchronize_session": False}
        )
        return isinstance(result, CursorResult) and result.rowcount == 1


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(Job.scheduled_for.is_(None), Job.scheduled_for <= now)


def _requeued(now: datetime, run_at: datetime, error: str | None) -> dict[str, Any]:
    return {
        "status": "queued",
        "worker_id": None,
        "heartbeat_at": None,
        "scheduled_for": run_at,
        "error": error,
        "updated_at": now,
    }
