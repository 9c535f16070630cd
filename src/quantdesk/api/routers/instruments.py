"""Instruments: shared reference data any signed-in user may maintain; admins delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from quantdesk.api.deps import AdminUser, ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.common import DEFAULT_PAGE_SIZE, ItemId, Limit, Offset, Page
from quantdesk.api.schemas.instruments import (
    InstrumentCreate,
    InstrumentFieldsBody,
    InstrumentRead,
    InstrumentUpdate,
)
from quantdesk.services import instruments

router = APIRouter(prefix="/instruments", tags=["instruments"])


def _fields(body: InstrumentFieldsBody) -> instruments.InstrumentFields:
    return instruments.InstrumentFields(
        asset_class=body.asset_class,
        currency=body.currency,
        name=body.name,
        tick_size=body.tick_size,
        lot_size=body.lot_size,
        active=body.active,
    )


@router.get(
    "",
    response_model=Page[InstrumentRead],
    status_code=status.HTTP_200_OK,
    responses=documented(401, 422),
)
async def list_instruments(
    ctx: ContextDep,
    _user: CurrentUser,
    q: Annotated[
        str | None, Query(max_length=64, description="Part of the symbol or name.")
    ] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> Page[InstrumentRead]:
    """List instruments by symbol, optionally filtered by part of the symbol or name."""
    page = await instruments.list_instruments(ctx, query=q, limit=limit, offset=offset)
    return Page[InstrumentRead].model_validate(page)


@router.post(
    "",
    response_model=InstrumentRead,
    status_code=status.HTTP_201_CREATED,
    responses=documented(401, 409, 422),
)
async def create_instrument(
    ctx: ContextDep, _user: CurrentUser, body: InstrumentCreate
) -> InstrumentRead:
    """Add an instrument; the symbol must be new on its exchange."""
    instrument = await instruments.create_instrument(ctx, body.symbol, body.exchange, _fields(body))
    return InstrumentRead.model_validate(instrument)


@router.get(
    "/{instrument_id}",
    response_model=InstrumentRead,
    status_code=status.HTTP_200_OK,
    responses=documented(401, 404, 422),
)
async def read_instrument(
    ctx: ContextDep, _user: CurrentUser, instrument_id: ItemId
) -> InstrumentRead:
    """Show one instrument."""
    return InstrumentRead.model_validate(await instruments.get_instrument(ctx, instrument_id))


@router.patch(
    "/{instrument_id}",
    response_model=InstrumentRead,
    status_code=status.HTTP_200_OK,
    responses=documented(401, 404, 422),
)
async def update_instrument(
    ctx: ContextDep, _user: CurrentUser, instrument_id: ItemId, body: InstrumentUpdate
) -> InstrumentRead:
    """Change an instrument's name, class, currency, sizes or active flag."""
    instrument = await instruments.update_instrument(ctx, instrument_id, _fields(body))
    return InstrumentRead.model_validate(instrument)


@router.delete(
    "/{instrument_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=documented(401, 403, 404, 409, 422),
)
async def delete_instrument(
    ctx: ContextDep,
    _admin: AdminUser,
    instrument_id: ItemId,
    force: Annotated[bool, Query(description="Also delete the instrument's stored bars.")] = False,
) -> None:
    """Delete an instrument (admin only); refused while bars are stored unless force=true."""
    await instruments.delete_instrument(ctx, instrument_id, force=force)
