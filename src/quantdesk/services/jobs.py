"""Jobs: submit background work, follow it, cancel it.

A job is a durable row; the job runner (``services.job_runner``) claims it and runs its
handler off the event loop. Every change of status or progress goes out as a ``job`` event
(``services.events``) on ``jobs:{id}`` with ``{"id", "status", "progress", "error"?,
"message"?}`` once its transaction commits, so a WebSocket hub can forward it; changes of
status also reach the owner's private ``events`` channel. Users see only their own jobs.
"""

from __future__ import annotations

from typing import Any

import orjson
import structlog

from quantdesk.db.base import utcnow
from quantdesk.db.models import Job
from quantdesk.db.repositories.base import Paged
from quantdesk.db.repositories.jobs import JobRepository
from quantdesk.errors import ConflictError, NotFoundError, ValidationError
from quantdesk.jobs import registry
from quantdesk.services import events
from quantdesk.services.context import ServiceContext
from quantdesk.services.users import require_actor

__all__ = [
    "CANCELLED_CHANNEL",
    "QUEUED_CHANNEL",
    "Job",
    "cancel",
    "channel",
    "event",
    "get",
    "list_jobs",
    "publish",
    "publish_progress",
    "run_finished_hooks",
    "submit",
]

# Runner-facing channels: wake idle runners on a new job, stop a cancelled one at once.
QUEUED_CHANNEL = "jobs:queued"
CANCELLED_CHANNEL = "jobs:cancelled"
MAX_ATTEMPTS = 10
PRIORITY_LIMIT = 1000
MAX_PAYLOAD_BYTES = 1024 * 1024
EVENT_KIND = "job"

logger = structlog.get_logger(__name__)


async def submit(
    ctx: ServiceContext,
    *,
    kind: str,
    payload: dict[str, Any],
    priority: int = 0,
    max_attempts: int = 1,
) -> Job:
    """Queue a job of a registered kind, owned by the signed-in user (none for system work).

    Raises:
        ValidationError: The kind is unknown, the payload is not JSON-ready or too large,
            or priority or max_attempts is out of range.
    """
    registry.get_kind(kind)
    _check_payload(payload)
    _check_range("priority", priority, -PRIORITY_LIMIT, PRIORITY_LIMIT)
    _check_range("max_attempts", max_attempts, 1, MAX_ATTEMPTS)
    job = Job(
        user_id=ctx.actor.id if ctx.actor is not None else None,
        kind=kind,
        status="queued",
        progress=0.0,
        payload=payload,
        priority=priority,
        max_attempts=max_attempts,
        attempts=0,
    )
    await JobRepository(ctx.session).add(job)
    publish(ctx, job)
    ctx.publish_after_commit(QUEUED_CHANNEL, str(job.id).encode())
    logger.info("job_submitted", job_id=job.id, kind=kind, priority=priority)
    return job


async def get(ctx: ServiceContext, job_id: int) -> Job:
    """One of the signed-in user's jobs; another user's job is not found."""
    user = require_actor(ctx)
    job = await JobRepository(ctx.session).get_for_user(job_id, user.id)
    if job is None:
        raise NotFoundError("Job", job_id)
    return job


async def list_jobs(
    ctx: ServiceContext,
    *,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Paged[Job]:
    """The signed-in user's jobs, newest first, optionally filtered by status or kind."""
    user = require_actor(ctx)
    return await JobRepository(ctx.session).list_for_user(
        user.id, status=status, kind=kind, limit=limit, offset=offset
    )


async def cancel(ctx: ServiceContext, job_id: int) -> Job:
    """Cancel a queued or running job of the signed-in user; it keeps no result.

    A running job's worker sees the cancellation and stops at the handler's next progress
    report; the row says ``cancelled`` from this call on.

    Raises:
        NotFoundError: The job does not exist or is someone else's.
        ConflictError: The job has already finished.
    """
    job = await get(ctx, job_id)
    jobs = JobRepository(ctx.session)
    if not await jobs.cancel(job, now=utcnow()):
        await ctx.session.refresh(job)
        raise ConflictError(
            f"Job {job_id} has already {job.status}; only queued or running jobs can be cancelled"
        )
    await ctx.session.refresh(job)
    await run_finished_hooks(ctx, job)
    publish(ctx, job)
    ctx.publish_after_commit(CANCELLED_CHANNEL, str(job.id).encode())
    logger.info("job_cancelled", job_id=job.id, kind=job.kind)
    return job


async def run_finished_hooks(ctx: ServiceContext, job: Job) -> None:
    """Run the kind's completion hooks inside the transaction writing the final status."""
    for hook in registry.finished_hooks(job.kind):
        await hook(ctx, job)


def channel(job_id: int) -> str:
    """The bus channel carrying one job's status and progress events."""
    return f"jobs:{job_id}"


def event(job: Job, *, message: str | None = None) -> bytes:
    """Encode the job's current state as the bus event its channel carries."""
    return events.encode(EVENT_KIND, _state(job, message))


def publish(ctx: ServiceContext, job: Job, *, message: str | None = None) -> None:
    """Send the job's new status on its channel and to its owner once the transaction commits.

    The owner's ``events`` channel hears of it too, so a client learns that a job finished
    without following each of its jobs; system jobs (no owner) go only to ``jobs:{id}``.
    """
    state = _state(job, message)
    events.publish(ctx, channel(job.id), None, EVENT_KIND, state)
    if job.user_id is not None:
        events.publish(ctx, "events", job.user_id, EVENT_KIND, state)


def publish_progress(
    ctx: ServiceContext, job_id: int, progress: float, message: str | None = None
) -> None:
    """Send a running job's progress on its channel once the transaction commits.

    Progress is frequent and only followers of the job want it, so it skips ``events``.
    """
    state: dict[str, Any] = {"id": job_id, "status": "running", "progress": progress}
    if message:
        state["message"] = message
    events.publish(ctx, channel(job_id), None, EVENT_KIND, state)


def _state(job: Job, message: str | None) -> dict[str, Any]:
    state: dict[str, Any] = {"id": job.id, "status": job.status, "progress": job.progress}
    if job.error:
        state["error"] = job.error
    if message:
        state["message"] = message
    return state


def _check_payload(payload: dict[str, Any]) -> None:
    if not isinstance(payload, dict):
        raise ValidationError("payload: send a JSON object", details={"field": "payload"})
    try:
        size = len(orjson.dumps(payload))
    except TypeError as error:
        raise ValidationError(
            f"payload: not JSON-ready ({error}); use strings, numbers, lists and objects",
            details={"field": "payload"},
        ) from None
    if size > MAX_PAYLOAD_BYTES:
        raise ValidationError(
            f"payload: {size} bytes is over the {MAX_PAYLOAD_BYTES} byte limit; pass ids of "
            "stored data instead of the data",
            details={"field": "payload"},
        )


def _check_range(field: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ValidationError(
            f"{field}: {value} is out of range; use {low} to {high}", details={"field": field}
        )
