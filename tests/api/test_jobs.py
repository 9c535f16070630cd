"""Jobs over HTTP: list, read with progress in percent, cancel, and their metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest_asyncio

from quantdesk.api.app import create_app
from quantdesk.db.models import User
from quantdesk.runtime import Runtime, build_runtime
from quantdesk.services import jobs
from quantdesk.settings import Settings
from tests.fixtures.apps import serve, settings_with
from tests.fixtures.job_handlers import JOB_HANDLER_MODULES
from tests.fixtures.users import SignedInUser, SignIn

URL = "/api/v1/jobs"


@dataclass
class JobsApp:
    """An app whose embedded runner knows the test job kinds."""

    http: httpx.AsyncClient
    runtime: Runtime

    async def submit(self, owner: SignedInUser, kind: str, payload: dict[str, object]) -> int:
        async with self.runtime.context() as ctx:
            ctx.actor = await ctx.session.get(User, owner.id)
            return (await jobs.submit(ctx, kind=kind, payload=payload)).id

    async def finished(self, owner: SignedInUser, job_id: int) -> dict[str, object]:
        for _ in range(600):
            body: dict[str, object] = (
                await self.http.get(f"{URL}/{job_id}", headers=owner.headers)
            ).json()
            if body["status"] not in ("queued", "running"):
                return body
            await asyncio.sleep(0.05)
        raise AssertionError(f"job {job_id} did not finish")


@pytest_asyncio.fixture(loop_scope="session")
async def jobs_app(settings: Settings) -> AsyncIterator[JobsApp]:
    changed = settings_with(settings, job_handler_modules=list(JOB_HANDLER_MODULES), job_workers=1)
    runtime = build_runtime(changed)
    try:
        async with serve(create_app(changed, runtime=runtime)) as http:
            yield JobsApp(http, runtime)
    finally:
        await runtime.close()


async def test_job_runs_in_api_and_reads_as_percent_with_result(
    jobs_app: JobsApp, sign_in: SignIn
) -> None:
    owner = await sign_in()
    job_id = await jobs_app.submit(owner, "test.steps", {"steps": 2, "echo": "hi"})
    body = await jobs_app.finished(owner, job_id)
    assert body["status"] == "succeeded"
    assert body["progress"] == 100
    assert body["result"] == {"steps": 2, "echo": "hi"}
    assert body["error"] is None


async def test_failed_job_shows_error_without_traceback(jobs_app: JobsApp, sign_in: SignIn) -> None:
    owner = await sign_in()
    job_id = await jobs_app.submit(owner, "test.crash", {"message": "no data"})
    body = await jobs_app.finished(owner, job_id)
    assert (body["status"], body["error"]) == ("failed", "ValueError: no data")
    assert "Traceback" not in str(body)


async def test_delete_running_job_cancels_it_then_conflicts(
    jobs_app: JobsApp, sign_in: SignIn
) -> None:
    owner = await sign_in()
    job_id = await jobs_app.submit(owner, "test.until_cancelled", {})
    for _ in range(400):
        read = (await jobs_app.http.get(f"{URL}/{job_id}", headers=owner.headers)).json()
        if read["progress"] > 0:
            break
        await asyncio.sleep(0.05)
    cancelled = await jobs_app.http.delete(f"{URL}/{job_id}", headers=owner.headers)
    again = await jobs_app.http.delete(f"{URL}/{job_id}", headers=owner.headers)
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["result"]) == ("cancelled", None)
    assert again.status_code == 409
    assert "already cancelled" in again.json()["error"]["message"]


async def test_list_jobs_filters_by_status(jobs_app: JobsApp, sign_in: SignIn) -> None:
    owner = await sign_in()
    done = await jobs_app.submit(owner, "test.steps", {"steps": 1})
    await jobs_app.finished(owner, done)
    response = await jobs_app.http.get(
        URL, params={"status": "succeeded", "kind": "test.steps"}, headers=owner.headers
    )
    page = response.json()
    assert response.status_code == 200
    assert [item["id"] for item in page["items"]] == [done]
    assert page["total"] == 1


async def test_list_jobs_unknown_status_rejected(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    owner = await sign_in()
    response = await client.get(URL, params={"status": "paused"}, headers=owner.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "query.status"


async def test_jobs_without_token_unauthorized(client: httpx.AsyncClient) -> None:
    response = await client.get(URL)
    assert response.status_code == 401


async def test_metrics_count_finished_jobs_by_kind_and_status(
    jobs_app: JobsApp, sign_in: SignIn
) -> None:
    owner = await sign_in()
    await jobs_app.finished(owner, await jobs_app.submit(owner, "test.steps", {"steps": 1}))
    await asyncio.sleep(2.1)  # one poll: the queue gauges refresh each time the runner looks
    text = (await jobs_app.http.get("/health/metrics")).text
    assert 'jobs_finished_total{kind="test.steps",status="succeeded"} 1.0' in text
    assert "jobs_queued 0.0" in text
    assert 'job_duration_seconds_count{kind="test.steps"} 1.0' in text
