"""The jobs service: submitting, reading, cancelling, and completion hooks."""

from __future__ import annotations

import time

import pytest

from quantdesk.errors import ConflictError, NotFoundError, ValidationError
from quantdesk.jobs.local import ProcessPoolExecutorAdapter
from quantdesk.runtime import Runtime
from quantdesk.services import events, jobs
from tests.fixtures.job_handlers import FINISHED
from tests.fixtures.jobs import (
    listening,
    load,
    make_runner,
    process_pool,
    running,
    submit,
    wait_for,
)
from tests.fixtures.users import MakeUser

__all__ = ["process_pool"]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"kind": "no.such.kind", "payload": {}}, "kind"),
        ({"kind": "test.steps", "payload": {"when": object()}}, "payload"),
        ({"kind": "test.steps", "payload": {}, "max_attempts": 0}, "max_attempts"),
        ({"kind": "test.steps", "payload": {}, "priority": 5000}, "priority"),
    ],
    ids=["kind", "payload", "max_attempts", "priority"],
)
async def test_submit_invalid_input_names_field(
    runtime: Runtime, make_user: MakeUser, options: dict[str, object], field: str
) -> None:
    owner = await make_user()
    with pytest.raises(ValidationError) as raised:
        await submit(runtime, owner, **options)  # type: ignore[arg-type]
    assert raised.value.message.startswith(f"{field}:")


async def test_submit_queues_owned_job_and_announces_it(
    runtime: Runtime, make_user: MakeUser
) -> None:
    owner = await make_user()
    async with listening(runtime, jobs.QUEUED_CHANNEL) as received:
        job = await submit(runtime, owner, "test.steps", {"steps": 2}, priority=3)
        message = await received()
    stored = await load(runtime, job.id)
    assert (stored.status, stored.user_id, stored.priority) == ("queued", owner.id, 3)
    assert int(message) == job.id


async def test_get_other_users_job_not_found(runtime: Runtime, make_user: MakeUser) -> None:
    owner, other = await make_user(), await make_user()
    job = await submit(runtime, owner, "test.steps", {})
    async with runtime.context() as ctx:
        ctx.actor = other
        with pytest.raises(NotFoundError):
            await jobs.get(ctx, job.id)
        with pytest.raises(NotFoundError):
            await jobs.cancel(ctx, job.id)
    assert (await load(runtime, job.id)).status == "queued"


async def test_cancel_queued_job_cancelled_and_published(
    runtime: Runtime, make_user: MakeUser
) -> None:
    owner = await make_user()
    job = await submit(runtime, owner, "test.steps", {})
    before = time.time_ns()
    async with listening(runtime, jobs.channel(job.id)) as received:
        async with runtime.context() as ctx:
            ctx.actor = owner
            cancelled = await jobs.cancel(ctx, job.id)
        event = events.decode(jobs.channel(job.id), await received())
    assert (cancelled.status, cancelled.result) == ("cancelled", None)
    assert cancelled.finished_at is not None
    assert event.kind == "job"
    assert event.data == {"id": job.id, "status": "cancelled", "progress": 0.0}
    assert before <= event.published_ns <= time.time_ns()


async def test_cancel_job_status_reaches_owner_events_not_progress(
    runtime: Runtime, make_user: MakeUser
) -> None:
    owner = await make_user()
    job = await submit(runtime, owner, "test.steps", {})
    async with listening(runtime, events.bus_channel("events", owner.id)) as received:
        async with runtime.context() as ctx:
            ctx.actor = owner
            jobs.publish_progress(ctx, job.id, 0.5, "half way")
            await jobs.cancel(ctx, job.id)
        event = events.decode("events", await received())
    assert (event.kind, event.data["id"], event.data["status"]) == ("job", job.id, "cancelled")


async def test_publish_system_job_goes_to_job_channel_only(runtime: Runtime) -> None:
    job = await submit(runtime, None, "test.steps", {})
    async with listening(runtime, jobs.channel(job.id)) as received:
        async with runtime.context() as ctx:
            jobs.publish(ctx, job, message="queued by the scheduler")
        event = events.decode(jobs.channel(job.id), await received())
    assert event.data == {
        "id": job.id,
        "status": "queued",
        "progress": 0.0,
        "message": "queued by the scheduler",
    }


async def test_cancel_finished_job_conflict(runtime: Runtime, make_user: MakeUser) -> None:
    owner = await make_user()
    job = await submit(runtime, owner, "test.steps", {})
    async with runtime.context() as ctx:
        ctx.actor = owner
        await jobs.cancel(ctx, job.id)
    async with runtime.context() as ctx:
        ctx.actor = owner
        with pytest.raises(ConflictError, match="already cancelled"):
            await jobs.cancel(ctx, job.id)


async def test_list_jobs_filters_by_status_newest_first(
    runtime: Runtime, make_user: MakeUser
) -> None:
    owner = await make_user()
    older = await submit(runtime, owner, "test.steps", {})
    newer = await submit(runtime, owner, "test.crash", {})
    async with runtime.context() as ctx:
        ctx.actor = owner
        await jobs.cancel(ctx, older.id)
        everything = await jobs.list_jobs(ctx)
        queued = await jobs.list_jobs(ctx, status="queued")
    assert [job.id for job in everything.items] == [newer.id, older.id]
    assert [job.id for job in queued.items] == [newer.id]


async def test_finished_hook_sees_final_status_and_result(
    runtime: Runtime, process_pool: ProcessPoolExecutorAdapter, make_user: MakeUser
) -> None:
    job = await submit(runtime, await make_user(), "test.hooked", {"answer": 7})
    async with running(make_runner(runtime, process_pool)):
        done = await wait_for(runtime, job.id)
    assert done.status == "succeeded"
    assert (job.id, "succeeded", {"answer": 7}) in FINISHED


async def test_failing_finished_hook_rolls_back_and_fails_job(
    runtime: Runtime, process_pool: ProcessPoolExecutorAdapter, make_user: MakeUser
) -> None:
    job = await submit(runtime, await make_user(), "test.hooked", {"hook_fails": True})
    async with running(make_runner(runtime, process_pool)):
        done = await wait_for(runtime, job.id)
    assert (done.status, done.result) == ("failed", None)
    assert done.error == "completion hook failed: RuntimeError: could not copy the result"
