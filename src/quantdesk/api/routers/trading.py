"""Trading configuration: risk limits, the kill switch and protections."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.routers.deployments import RunnerDep
from quantdesk.api.routers.orders import TradingDep
from quantdesk.api.schemas.common import ItemId
from quantdesk.api.schemas.orders import Mode
from quantdesk.api.schemas.trading import (
    KillSwitch,
    KillSwitchResult,
    ProtectionRead,
    TradingConfigRead,
    TradingConfigUpdate,
)
from quantdesk.services import orders, trading_config

router = APIRouter(prefix="/trading", tags=["trading"])


@router.get("/config", response_model=TradingConfigRead, responses=documented(401, 422))
async def read_config(
    ctx: ContextDep,
    user: CurrentUser,
    mode: Mode = "paper",
    account: Annotated[str, Query(min_length=1, max_length=64)] = "default",
) -> TradingConfigRead:
    """Show an account's risk limits and starting cash."""
    config = await trading_config.account_config(ctx, user.id, mode, account)
    return TradingConfigRead.model_validate(config)


@router.put("/config", response_model=TradingConfigRead, responses=documented(401, 422))
async def update_config(
    ctx: ContextDep, _user: CurrentUser, body: TradingConfigUpdate
) -> TradingConfigRead:
    """Replace an account's risk limits; limits left out are not checked."""
    config = await trading_config.update_config(
        ctx, body.limits, mode=body.mode, account=body.account, initial_cash=body.initial_cash
    )
    return TradingConfigRead.model_validate(config)


@router.post("/kill-switch", response_model=KillSwitchResult, responses=documented(401, 422, 503))
async def kill_switch(
    ctx: ContextDep,
    user: CurrentUser,
    trading: TradingDep,
    runner: RunnerDep,
    body: KillSwitch,
) -> KillSwitchResult:
    """Cancel working orders, block new ones and stop deployments, or lift the block."""
    if not body.on:
        lifted = await trading_config.lift_kill_switch(ctx, mode=body.mode, account=body.account)
        return KillSwitchResult(on=False, cancelled=0, accounts=lifted)
    broker = await trading.broker(user.id, body.mode, ctx)
    names, cancelled = await orders.kill_switch(ctx, broker, mode=body.mode, account=body.account)
    stopped = await runner.stop_all(ctx, body.mode, account=body.account, reason="kill switch")
    return KillSwitchResult(
        on=True, cancelled=cancelled, accounts=names, stopped_deployments=stopped
    )


@router.get("/protections", response_model=list[ProtectionRead], responses=documented(401))
async def list_protections(ctx: ContextDep, _user: CurrentUser) -> list[ProtectionRead]:
    """List the protections that block new entries now."""
    views = await trading_config.list_protections(ctx)
    return [ProtectionRead.model_validate(view) for view in views]


@router.delete(
    "/protections/{lock_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=documented(401, 404, 422),
)
async def release_protection(ctx: ContextDep, _user: CurrentUser, lock_id: ItemId) -> None:
    """Remove a protection now, allowing new entries again."""
    await trading_config.release_protection(ctx, lock_id)
