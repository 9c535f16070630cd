"""The signed-in user's background jobs: list, follow and cancel them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.common import DEFAULT_PAGE_SIZE, ItemId, Limit, Offset, Page
from quantdesk.api.schemas.jobs import JobRead, JobStatus
from quantdesk.services import jobs

router = APIRouter(prefix="/jobs", tags=["jobs"])

KindFilter = Annotated[
    str | None, Query(min_length=1, max_length=64, description="Only jobs of this kind.")
]
StatusFilter = Annotated[JobStatus | None, Query(description="Only jobs in this status.")]


@router.get(
    "", response_model=Page[JobRead], status_code=status.HTTP_200_OK, responses=documented(401, 422)
)
async def list_jobs(
    ctx: ContextDep,
    _user: CurrentUser,
    status_filter: Annotated[StatusFilter, Query(alias="status")] = None,
    kind: KindFilter = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> Page[JobRead]:
    """List the signed-in user's jobs, newest first."""
    page = await jobs.list_jobs(ctx, status=status_filter, kind=kind, limit=limit, offset=offset)
    items = [JobRead.from_job(job) for job in page.items]
    return Page[JobRead](items=items, total=page.total, limit=page.limit, offset=page.offset)


@router.get(
    "/{job_id}",
    response_model=JobRead,
    status_code=status.HTTP_200_OK,
    responses=documented(401, 404, 422),
)
async def read_job(ctx: ContextDep, _user: CurrentUser, job_id: ItemId) -> JobRead:
    """Show one job, its progress in percent, and its result or error."""
    return JobRead.from_job(await jobs.get(ctx, job_id))


@router.delete(
    "/{job_id}",
    response_model=JobRead,
    status_code=status.HTTP_200_OK,
    responses=documented(401, 404, 409, 422),
)
async def cancel_job(ctx: ContextDep, _user: CurrentUser, job_id: ItemId) -> JobRead:
    """Cancel a queued or running job; it stops at its next progress report."""
    return JobRead.from_job(await jobs.cancel(ctx, job_id))
