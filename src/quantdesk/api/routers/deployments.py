"""The signed-in user's deployments: create, list, read, change, delete, start and stop them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.common import DEFAULT_PAGE_SIZE, ItemId, Limit, Offset, Page
from quantdesk.api.schemas.deployments import (
    DeploymentCreate,
    DeploymentDriftRead,
    DeploymentRead,
    DeploymentUpdate,
    StrategyEventRead,
)
from quantdesk.services import deployment_drift, deployments
from quantdesk.services.deployment_runner import DeploymentRunner

router = APIRouter(prefix="/deployments", tags=["deployments"])


async def get_runner(request: Request) -> DeploymentRunner:
    runner: DeploymentRunner = request.app.state.deployments
    return runner


RunnerDep = Annotated[DeploymentRunner, Depends(get_runner)]


@router.get("", response_model=Page[DeploymentRead], responses=documented(401, 422))
async def list_deployments(
    ctx: ContextDep, _user: CurrentUser, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> Page[DeploymentRead]:
    """List the signed-in user's deployments, newest first."""
    page = await deployments.list_deployments(ctx, limit=limit, offset=offset)
    return Page[DeploymentRead].model_validate(page)


@router.post(
    "",
    response_model=DeploymentRead,
    status_code=status.HTTP_201_CREATED,
    responses=documented(401, 404, 422),
)
async def create_deployment(
    ctx: ContextDep, _user: CurrentUser, runner: RunnerDep, body: DeploymentCreate
) -> DeploymentRead:
    """Save a deployment of a strategy; it waits in ``pending`` until started."""
    live = runner.live_available
    row = await deployments.create_deployment(ctx, body.request(), live_available=live)
    return DeploymentRead.model_validate(row)


@router.get("/{deployment_id}", response_model=DeploymentRead, responses=documented(401, 404, 422))
async def read_deployment(
    ctx: ContextDep, _user: CurrentUser, deployment_id: ItemId
) -> DeploymentRead:
    """Show one deployment with its status."""
    return DeploymentRead.model_validate(await deployments.get_deployment(ctx, deployment_id))


@router.patch(
    "/{deployment_id}", response_model=DeploymentRead, responses=documented(401, 404, 409, 422)
)
async def update_deployment(
    ctx: ContextDep, _user: CurrentUser, deployment_id: ItemId, body: DeploymentUpdate
) -> DeploymentRead:
    """Change a stopped deployment's symbols, timeframe, feed or risk profile."""
    row = await deployments.update_deployment(ctx, deployment_id, body.changes())
    return DeploymentRead.model_validate(row)


@router.delete(
    "/{deployment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=documented(401, 404, 409, 422),
)
async def delete_deployment(ctx: ContextDep, _user: CurrentUser, deployment_id: ItemId) -> None:
    """Delete a deployment that is not running; its orders and trades stay."""
    await deployments.delete_deployment(ctx, deployment_id)


@router.post(
    "/{deployment_id}/start",
    response_model=DeploymentRead,
    responses=documented(401, 404, 409, 422),
)
async def start_deployment(
    ctx: ContextDep, _user: CurrentUser, runner: RunnerDep, deployment_id: ItemId
) -> DeploymentRead:
    """Start the deployment on its feed: each new bar runs the strategy and trades."""
    return DeploymentRead.model_validate(await runner.start(ctx, deployment_id))


@router.post(
    "/{deployment_id}/stop", response_model=DeploymentRead, responses=documented(401, 404, 422)
)
async def stop_deployment(
    ctx: ContextDep, _user: CurrentUser, runner: RunnerDep, deployment_id: ItemId
) -> DeploymentRead:
    """Stop the deployment; orders already sent stay at the broker."""
    return DeploymentRead.model_validate(await runner.stop(ctx, deployment_id))


@router.get(
    "/{deployment_id}/events",
    response_model=list[StrategyEventRead],
    responses=documented(401, 404, 422),
)
async def list_deployment_events(
    ctx: ContextDep, _user: CurrentUser, deployment_id: ItemId
) -> list[StrategyEventRead]:
    """List what the deployment reported, oldest first."""
    rows = await deployments.list_events(ctx, deployment_id)
    return [StrategyEventRead.model_validate(row) for row in rows]


@router.get(
    "/{deployment_id}/drift",
    response_model=DeploymentDriftRead,
    responses=documented(401, 404, 409, 422),
)
async def read_deployment_drift(
    ctx: ContextDep, _user: CurrentUser, runner: RunnerDep, deployment_id: ItemId
) -> DeploymentDriftRead:
    """Compare the deployment's trades with a backtest of the bars it ran on, trade by trade."""
    last_bar = runner.last_bar(deployment_id)
    report = await deployment_drift.drift_report(
        ctx, deployment_id, runner.trading, last_bar=last_bar
    )
    return DeploymentDriftRead.of(report)
