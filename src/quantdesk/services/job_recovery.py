"""Recovery: no job stays ``running`` after the worker running it has died.

A runner sweeps at start-up and then now and again. A running job is abandoned when its
heartbeat is older than the stale limit, or when its worker id names a process on this host
that is gone (a previous incarnation of this worker, even if it died a moment ago). An
abandoned job goes back to the queue while it has attempts left, and is failed with
"worker died while running (attempt n of m)" when it has none.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from quantdesk.db.base import utcnow
from quantdesk.db.models import Job
from quantdesk.db.repositories.jobs import JobRepository
from quantdesk.services import jobs
from quantdesk.services.context import ServiceContext

Contexts = Callable[[], AbstractAsyncContextManager[ServiceContext]]

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Recovered:
    """What one sweep did: the ids of the jobs it requeued and of those it failed."""

    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def new_worker_id() -> str:
    """``host:pid:token``: unique per start, and telling which host and process held a job."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def is_dead_local_worker(worker_id: str | None, *, current: str) -> bool:
    """Whether ``worker_id`` is another incarnation on this host whose process has ended.

    A worker id from this host with our own pid but another token is a previous run of
    this very process (a container restarted with the same pid), so it is dead too.
    """
    if not worker_id or worker_id == current:
        return False
    host, _, rest = worker_id.partition(":")
    pid_text, _, _token = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    return pid == os.getpid() or not _process_exists(pid)


def death_reason(job: Job) -> str:
    """The error recorded for a job whose worker died."""
    return f"worker died while running (attempt {job.attempts} of {job.max_attempts})"


async def recover(
    contexts: Contexts, *, worker_id: str, stale_after_seconds: float, now: datetime | None = None
) -> Recovered:
    """Requeue or fail every running job whose worker has died; safe to run concurrently."""
    now = now or utcnow()
    stale_before = now - timedelta(seconds=stale_after_seconds)
    recovered = Recovered()
    async with contexts() as ctx:
        repository = JobRepository(ctx.session)
        for job in await repository.running():
            if not _abandoned(job, stale_before=stale_before, worker_id=worker_id):
                continue
            if await _settle(ctx, repository, job, now):
                (recovered.requeued if job.status == "queued" else recovered.failed).append(job.id)
    return recovered


def _abandoned(job: Job, *, stale_before: datetime, worker_id: str) -> bool:
    if job.worker_id == worker_id:
        return False
    stale = job.heartbeat_at is None or job.heartbeat_at < stale_before
    return stale or is_dead_local_worker(job.worker_id, current=worker_id)


async def _settle(ctx: ServiceContext, repository: JobRepository, job: Job, now: datetime) -> bool:
    reason = death_reason(job)
    if not await repository.settle_abandoned(job, now=now, error=reason):
        return False
    await ctx.session.refresh(job)
    if job.status == "failed":
        await jobs.run_finished_hooks(ctx, job)
    jobs.publish(ctx, job)
    if job.status == "queued":
        ctx.publish_after_commit(jobs.QUEUED_CHANNEL, str(job.id).encode())
    logger.warning("job_recovered", job_id=job.id, kind=job.kind, status=job.status, reason=reason)
    return True


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True
