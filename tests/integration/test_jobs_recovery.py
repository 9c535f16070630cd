"""Recovery and claiming: no job is left running by a dead worker, no job runs twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from quantdesk.db.base import utcnow
from quantdesk.db.models import Job
from quantdesk.db.repositories.jobs import JobRepository
from quantdesk.runtime import Runtime
from quantdesk.services.job_recovery import new_worker_id, recover
from tests.fixtures.jobs import load, submit, wait_for
from tests.fixtures.users import MakeUser

ROOT = Path(__file__).resolve().parents[2]
STALE_AFTER = 60.0


async def _running_job(
    runtime: Runtime, *, worker_id: str, heartbeat_age: float, attempts: int, max_attempts: int
) -> int:
    now = utcnow()
    async with runtime.context() as ctx:
        job = Job(
            kind="test.steps",
            status="running",
            payload={},
            attempts=attempts,
            max_attempts=max_attempts,
            worker_id=worker_id,
            started_at=now - timedelta(seconds=heartbeat_age),
            heartbeat_at=now - timedelta(seconds=heartbeat_age),
        )
        await JobRepository(ctx.session).add(job)
        return job.id


async def test_recover_stale_job_with_attempts_left_requeued(runtime: Runtime) -> None:
    job_id = await _running_job(
        runtime, worker_id="elsewhere:12:abc", heartbeat_age=300, attempts=1, max_attempts=3
    )
    recovered = await recover(
        runtime.context, worker_id=new_worker_id(), stale_after_seconds=STALE_AFTER
    )
    job = await load(runtime, job_id)
    assert recovered.requeued == [job_id]
    assert (job.status, job.worker_id, job.attempts) == ("queued", None, 1)


async def test_recover_stale_job_out_of_attempts_failed_with_reason(runtime: Runtime) -> None:
    job_id = await _running_job(
        runtime, worker_id="elsewhere:12:abc", heartbeat_age=300, attempts=2, max_attempts=2
    )
    recovered = await recover(
        runtime.context, worker_id=new_worker_id(), stale_after_seconds=STALE_AFTER
    )
    job = await load(runtime, job_id)
    assert recovered.failed == [job_id]
    assert job.status == "failed"
    assert job.error == "worker died while running (attempt 2 of 2)"
    assert job.finished_at is not None


async def test_recover_fresh_heartbeat_elsewhere_left_running(runtime: Runtime) -> None:
    job_id = await _running_job(
        runtime, worker_id="elsewhere:12:abc", heartbeat_age=1, attempts=1, max_attempts=1
    )
    recovered = await recover(
        runtime.context, worker_id=new_worker_id(), stale_after_seconds=STALE_AFTER
    )
    assert (recovered.requeued, recovered.failed) == ([], [])
    assert (await load(runtime, job_id)).status == "running"


async def test_recover_previous_incarnation_on_this_host_recovered_at_once(
    runtime: Runtime,
) -> None:
    current = new_worker_id()
    host, pid, _token = current.split(":")
    previous = f"{host}:{pid}:000000"
    job_id = await _running_job(
        runtime, worker_id=previous, heartbeat_age=0, attempts=1, max_attempts=1
    )
    await recover(runtime.context, worker_id=current, stale_after_seconds=STALE_AFTER)
    job = await load(runtime, job_id)
    assert (job.status, job.error) == ("failed", "worker died while running (attempt 1 of 1)")


# A worker process takes seconds to start; the recovery it exercises runs on both databases
# in the tests above, so this one runs on SQLite alone.
@pytest.mark.parametrize("db_backend", [None], indirect=True, ids=["sqlite"])
async def test_worker_killed_mid_job_next_start_requeues_then_fails(
    runtime: Runtime, db_url: str, tmp_path: Path, make_user: MakeUser
) -> None:
    owner = await make_user()
    retried = await submit(runtime, owner, "test.until_cancelled", {}, max_attempts=2)
    last = await submit(runtime, owner, "test.until_cancelled", {}, max_attempts=1)
    worker = _start_worker(db_url, tmp_path)
    try:
        await wait_for(runtime, retried.id, lambda job: job.progress > 0, within=60)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    async with runtime.context() as ctx:
        await JobRepository(ctx.session).claim(worker.args[-1], now=utcnow(), limit=1)
    await recover(runtime.context, worker_id=new_worker_id(), stale_after_seconds=STALE_AFTER)
    first, second = await load(runtime, retried.id), await load(runtime, last.id)
    assert (first.status, first.attempts) == ("queued", 1)
    assert (second.status, second.error) == (
        "failed",
        "worker died while running (attempt 1 of 1)",
    )


def _start_worker(db_url: str, tmp_path: Path) -> subprocess.Popen[str]:
    # A new session, so the kill takes the runner and its pool processes down together.
    command = [sys.executable, "-m", "tests.fixtures.job_worker_process", db_url, str(tmp_path)]
    worker = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
        command, cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert worker.stdout is not None
    for line in worker.stdout:  # log lines may come first
        if line.startswith("ready "):
            worker.args = [*command, line.split()[1]]
            return worker
    os.killpg(worker.pid, signal.SIGKILL)
    raise AssertionError("the worker process ended before it was ready")


async def test_claim_two_runners_concurrently_never_share_a_job(
    runtime: Runtime, make_user: MakeUser
) -> None:
    owner = await make_user()
    submitted = {(await submit(runtime, owner, "test.steps", {})).id for _ in range(24)}

    async def claim_all(worker_id: str) -> list[int]:
        taken: list[int] = []
        while True:
            async with runtime.context() as ctx:
                batch = await JobRepository(ctx.session).claim(worker_id, now=utcnow(), limit=3)
            if not batch:
                return taken
            taken += [job.id for job in batch]
            await asyncio.sleep(0)

    first, second = await asyncio.gather(claim_all("runner-a"), claim_all("runner-b"))
    assert not set(first) & set(second)
    assert set(first) | set(second) == submitted
    assert len(first) + len(second) == len(submitted)
