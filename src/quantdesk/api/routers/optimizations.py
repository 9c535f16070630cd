"""The signed-in user's optimisations: submit a search, follow it, cancel or delete it."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.common import DEFAULT_PAGE_SIZE, ItemId, Limit, Offset, Page
from quantdesk.api.schemas.optimizations import OptimizationCreate, OptimizationRead
from quantdesk.services import optimizations

DELETED: dict[int | str, dict[str, str]] = {
    204: {"description": "The finished optimisation was deleted."}
}

router = APIRouter(prefix="/optimizations", tags=["optimizations"])


@router.post(
    "",
    response_model=OptimizationRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented(401, 404, 422),
)
async def submit_optimization(
    ctx: ContextDep, _user: CurrentUser, body: OptimizationCreate
) -> OptimizationRead:
    """Queue a grid, Optuna or walk-forward search; poll it or follow jobs:{job_id}."""
    return OptimizationRead.from_state(await optimizations.submit(ctx, body.optimization()))


@router.get(
    "",
    response_model=Page[OptimizationRead],
    status_code=status.HTTP_200_OK,
    responses=documented(401, 422),
)
async def list_optimizations(
    ctx: ContextDep, _user: CurrentUser, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> Page[OptimizationRead]:
    """List the signed-in user's optimisations, newest first."""
    page = await optimizations.list_optimizations(ctx, limit=limit, offset=offset)
    items = [OptimizationRead.from_state(item) for item in page.items]
    return Page[OptimizationRead](
        items=items, total=page.total, limit=page.limit, offset=page.offset
    )


@router.get(
    "/{optimization_id}",
    response_model=OptimizationRead,
    status_code=status.HTTP_200_OK,
    responses=documented(401, 404, 422),
)
async def read_optimization(
    ctx: ContextDep, _user: CurrentUser, optimization_id: ItemId
) -> OptimizationRead:
    """Show an optimisation's status, progress in percent, and results once it has succeeded."""
    return OptimizationRead.from_state(await optimizations.get(ctx, optimization_id))


@router.delete(
    "/{optimization_id}",
    response_model=OptimizationRead,
    status_code=status.HTTP_200_OK,
    responses={
        **documented(401, 404, 409, 422),
        204: {"description": "The finished optimisation was deleted."},
    },
)
async def delete_optimization(
    ctx: ContextDep, _user: CurrentUser, optimization_id: ItemId
) -> OptimizationRead | Response:
    """Cancel a queued or running optimisation (200), or delete a finished one (204)."""
    cancelled = await optimizations.remove(ctx, optimization_id)
    if cancelled is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return OptimizationRead.from_state(cancelled)
