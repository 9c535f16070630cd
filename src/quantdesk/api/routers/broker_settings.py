"""The signed-in user's broker settings; credentials go in and never come out."""

from __future__ import annotations

from fastapi import APIRouter

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.trading import BrokerSettingsRead, BrokerSettingsUpdate
from quantdesk.services import broker_settings

router = APIRouter(prefix="/settings/broker", tags=["trading"])


@router.get("", response_model=BrokerSettingsRead, responses=documented(401))
async def read_broker_settings(ctx: ContextDep, _user: CurrentUser) -> BrokerSettingsRead:
    """Show the broker and which credential fields are set, never their values."""
    return BrokerSettingsRead.model_validate(await broker_settings.read_settings(ctx))


@router.put("", response_model=BrokerSettingsRead, responses=documented(401, 422))
async def save_broker_settings(
    ctx: ContextDep, _user: CurrentUser, body: BrokerSettingsUpdate
) -> BrokerSettingsRead:
    """Store the broker and its credentials, encrypted; earlier ones are replaced."""
    saved = await broker_settings.save_settings(ctx, body.broker, body.credentials)
    return BrokerSettingsRead.model_validate(saved)
