"""``quantdesk worker`` as production runs it: a process that runs jobs until SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from quantdesk.runtime import Runtime
from tests.fixtures.jobs import load, submit, wait_for
from tests.fixtures.users import MakeUser

ROOT = Path(__file__).resolve().parents[2]
SECRET = "worker-test-secret-that-is-long-enough-0123456789"


def _worker_environment(db_url: str, tmp_path: Path) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("QUANTDESK_") and name not in ("DATABASE_URL", "REDIS_URL")
    }
    return environment | {
        "QUANTDESK_ENV": "test",
        "QUANTDESK_VAR_DIR": str(tmp_path / "var"),
        "QUANTDESK_DATABASE_URL": db_url,
        "QUANTDESK_SECRET_KEY": SECRET,
        "QUANTDESK_JOB_HANDLER_MODULES": '["tests.fixtures.job_handlers"]',
        "QUANTDESK_JOB_HEARTBEAT_SECONDS": "0.5",
    }


# The process lifecycle is what is under test, so SQLite alone: a start costs seconds.
@pytest.mark.parametrize("db_backend", [None], indirect=True, ids=["sqlite"])
async def test_worker_runs_jobs_and_requeues_running_one_on_sigterm(
    runtime: Runtime, db_url: str, tmp_path: Path, make_user: MakeUser
) -> None:
    owner = await make_user()
    quick = await submit(runtime, owner, "test.steps", {"steps": 2})
    command = [sys.executable, "-m", "quantdesk", "worker", "--concurrency", "1", "--grace", "0.2"]
    worker = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, env=_worker_environment(db_url, tmp_path), start_new_session=True
    )
    try:
        assert (await wait_for(runtime, quick.id, within=60)).status == "succeeded"
        endless = await submit(runtime, owner, "test.until_cancelled", {})
        await wait_for(runtime, endless.id, lambda job: job.progress > 0)
        worker.send_signal(signal.SIGTERM)
        exit_code = await asyncio.wait_for(worker.wait(), 30)
    finally:
        if worker.returncode is None:
            os.killpg(worker.pid, signal.SIGKILL)
            await worker.wait()
    requeued = await load(runtime, endless.id)
    assert exit_code == 0
    assert (requeued.status, requeued.attempts, requeued.worker_id) == ("queued", 0, None)
