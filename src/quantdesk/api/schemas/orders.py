"""Orders, positions, trades and P&L as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["paper", "live"]


class OrderCreate(BaseModel):
    """A new order; repeat the same body with the same ``client_order_id`` to retry safely."""

    model_config = ConfigDict(extra="forbid")

    client_order_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
    symbol: str = Field(min_length=1, max_length=32)
    side: Literal["buy", "sell"]
    quantity: Decimal = Field(gt=0, max_digits=28, decimal_places=10)
    type: Literal["market", "limit", "stop", "stop_limit", "trailing_stop"] = "market"
    time_in_force: Literal["DAY", "GTC", "IOC", "FOK"] = "DAY"
    limit_price: Decimal | None = Field(default=None, gt=0, max_digits=28, decimal_places=10)
    stop_price: Decimal | None = Field(default=None, gt=0, max_digits=28, decimal_places=10)
    trail_amount: Decimal | None = Field(default=None, gt=0, max_digits=28, decimal_places=10)
    trail_percent: Decimal | None = Field(default=None, gt=0, lt=1, decimal_places=10)
    mode: Mode = "paper"
    account: str = Field(default="default", min_length=1, max_length=64)


class OrderRead(BaseModel):
    """An order and where it is in its life."""

    id: int
    client_order_id: str
    symbol: str
    side: str
    type: str
    time_in_force: str
    quantity: Decimal
    limit_price: Decimal | None
    stop_price: Decimal | None
    trail_amount: Decimal | None
    trail_percent: Decimal | None
    status: str
    filled_quantity: Decimal
    average_fill_price: Decimal | None
    reason: str | None
    rejection_reason: str | None
    mode: str
    account: str
    broker: str
    deployment_id: int | None
    broker_order_id: str | None
    created_at: datetime
    submitted_at: datetime | None
    filled_at: datetime | None
    cancelled_at: datetime | None
    status_history: list[dict[str, Any]]


class PositionRead(BaseModel):
    """A net holding; ``quantity`` < 0 is short; P&L in the account currency."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    symbol: str
    mode: str
    account: str
    quantity: Decimal
    average_price: Decimal
    cost_basis: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    last_price: Decimal | None
    opened_at: datetime | None


class TradeRead(BaseModel):
    """A round trip; open until the position returns to flat."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    side: str
    status: str
    mode: str
    account: str
    deployment_id: int | None
    quantity: Decimal
    entry_time: datetime
    entry_price: Decimal
    exit_time: datetime | None
    exit_price: Decimal | None
    pnl: Decimal | None
    return_fraction: Decimal | None
    fees: Decimal


class DailyPnlRead(BaseModel):
    """One day's closing equity and its P&L against the day before."""

    model_config = ConfigDict(from_attributes=True)

    day: date
    equity: Decimal
    pnl: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal


class PnlRead(BaseModel):
    """An account's totals now and its daily series."""

    model_config = ConfigDict(from_attributes=True)

    mode: str
    account: str
    initial_cash: Decimal
    equity: Decimal
    cash: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    total_pnl: Decimal
    daily: list[DailyPnlRead]
