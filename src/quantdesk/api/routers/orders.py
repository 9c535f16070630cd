"""The signed-in user's orders: submit, list, read and cancel them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.common import DEFAULT_PAGE_SIZE, ItemId, Limit, Offset, Page
from quantdesk.api.schemas.orders import OrderCreate, OrderRead
from quantdesk.services import order_brackets, orders
from quantdesk.services.trading_runtime import TradingEngine

router = APIRouter(prefix="/orders", tags=["orders"])

Status = Literal[
    "new", "accepted", "partially_filled", "filled", "cancelled", "rejected", "expired", "unknown"
]


async def get_trading(request: Request) -> TradingEngine:
    engine: TradingEngine = request.app.state.trading
    return engine


TradingDep = Annotated[TradingEngine, Depends(get_trading)]

_REPEAT: dict[int | str, dict[str, Any]] = {
    200: {"model": OrderRead, "description": "The first order of a repeated client_order_id"}
}


def order_read(row: object, symbol: str) -> OrderRead:
    """The API shape of a stored order."""
    return OrderRead.model_validate({**_columns(row), "symbol": symbol})


def _columns(row: object) -> dict[str, object]:
    names = OrderRead.model_fields.keys() - {"symbol"}
    return {name: getattr(row, name) for name in names}


@router.post(
    "",
    response_model=OrderRead,
    status_code=status.HTTP_201_CREATED,
    responses=_REPEAT | documented(401, 409, 422, 503),
)
async def submit_order(
    ctx: ContextDep, user: CurrentUser, trading: TradingDep, body: OrderCreate, response: Response
) -> OrderRead:
    """Send an order or a bracket through risk checks to the broker; a repeat returns the first."""
    broker = await trading.broker(user.id, body.mode, ctx)
    request = orders.OrderRequest(**body.model_dump())
    submit = order_brackets.submit_bracket if request.is_bracket else orders.submit_order
    submitted = await submit(ctx, broker, request)
    if not submitted.created:
        response.status_code = status.HTTP_200_OK
    return order_read(submitted.order, submitted.symbol)


@router.get("", response_model=Page[OrderRead], responses=documented(401, 422))
async def list_orders(
    ctx: ContextDep,
    _user: CurrentUser,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> Page[OrderRead]:
    """List the signed-in user's orders, newest first."""
    page, symbols = await orders.list_orders(ctx, status=status_, limit=limit, offset=offset)
    items = [order_read(row, symbols[row.instrument_id]) for row in page.items]
    return Page[OrderRead](items=items, total=page.total, limit=page.limit, offset=page.offset)


@router.get("/{order_id}", response_model=OrderRead, responses=documented(401, 404, 422))
async def read_order(ctx: ContextDep, _user: CurrentUser, order_id: ItemId) -> OrderRead:
    """Show one order with its status history."""
    row, symbol = await orders.get_order(ctx, order_id)
    return order_read(row, symbol)


@router.delete(
    "/{order_id}", response_model=OrderRead, responses=documented(401, 404, 409, 422, 503)
)
async def cancel_order(
    ctx: ContextDep, user: CurrentUser, trading: TradingDep, order_id: ItemId
) -> OrderRead:
    """Cancel a working order at the broker."""
    row, _symbol = await orders.get_order(ctx, order_id)
    broker = await trading.broker(user.id, row.mode, ctx)
    row, symbol = await orders.cancel_order(ctx, broker, order_id)
    return order_read(row, symbol)
