"""Fan-out across server processes: an event produced in one worker reaches a client of another.

Two Uvicorn processes (A and B) serve the same database and the same Redis, as
``quantdesk serve --workers 2`` does behind a load balancer. A client connected to A follows
one of its user's jobs (``jobs:{id}``, an owned, private channel); the job is cancelled by an
HTTP request handled by B, whose commit publishes the change on Redis; A's hub receives it
and delivers it. Redis is the one of ``TEST_REDIS_URL``, else the local default, since the
test means nothing without a real Redis between two processes.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from quantdesk.db.repositories.users import UserRepository
from quantdesk.runtime import Runtime
from quantdesk.services import jobs
from tests.conftest import TEST_REDIS_URL, TEST_SECRET
from tests.fixtures import job_handlers  # noqa: F401  (registers the test job kinds)
from tests.fixtures.users import SignIn
from tests.fixtures.websocket import ws_client

REDIS_URL = TEST_REDIS_URL or "redis://127.0.0.1:6379/0"
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_env(db_url: str, var_dir: Path) -> dict[str, str]:
    return os.environ | {
        "QUANTDESK_ENV": "test",
        "QUANTDESK_DATABASE_URL": db_url,
        "QUANTDESK_REDIS_URL": REDIS_URL,
        "QUANTDESK_SECRET_KEY": TEST_SECRET,
        "QUANTDESK_RUN_JOBS_IN_API": "false",
        "QUANTDESK_VAR_DIR": str(var_dir),
        "QUANTDESK_LOG_FORMAT": "console",
        "QUANTDESK_LOG_LEVEL": "WARNING",
        "QUANTDESK_WS_FLUSH_MS": "20",
    }


@pytest.fixture
def workers(db_url: str, tmp_path: Path) -> Iterator[list[str]]:
    """Start two server processes; yield their base URLs; stop them."""
    ports = [free_port(), free_port()]
    command = [sys.executable, "-m", "uvicorn", "--factory", "quantdesk.api.app:create_app"]
    processes = [
        subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
            [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=server_env(db_url, tmp_path / f"var{port}"),
        )
        for port in ports
    ]
    try:
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


@pytest_asyncio.fixture(loop_scope="session")
async def live_workers(workers: list[str]) -> AsyncIterator[list[str]]:
    async with httpx.AsyncClient(timeout=2) as http:
        for base in workers:
            await wait_until_live(http, base)
    yield workers


async def wait_until_live(http: httpx.AsyncClient, base: str) -> None:
    for _ in range(STARTUP_SECONDS * 10):
        try:
            if (await http.get(f"{base}/health/live")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"{base} did not start within {STARTUP_SECONDS} s")


async def test_ws_job_cancelled_on_worker_b_reaches_client_on_worker_a(
    live_workers: list[str], sign_in: SignIn, runtime: Runtime
) -> None:
    worker_a, worker_b = live_workers
    owner = await sign_in()
    async with runtime.context() as ctx:
        ctx.actor = await UserRepository(ctx.session).get(owner.id)
        job = await jobs.submit(ctx, kind="test.steps", payload={})
    url = worker_a.replace("http://", "ws://") + "/api/v1/ws"
    async with ws_client(url, token=owner.access_token) as client:
        subscribed = await client.subscribe(f"jobs:{job.id}")
        async with httpx.AsyncClient(base_url=worker_b, timeout=10) as http:
            response = await http.delete(f"/api/v1/jobs/{job.id}", headers=owner.headers)
        [event] = await client.events(1, wait=10)
    assert subscribed["snapshot"]["status"] == "queued"
    assert response.status_code == 200
    assert (event["channel"], event["kind"]) == (f"jobs:{job.id}", "job")
    assert event["data"]["status"] == "cancelled"
    assert event["seq"] == 1
