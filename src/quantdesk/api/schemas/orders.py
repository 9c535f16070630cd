"""Orders, positions, trades and P&L as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["paper", "live"]
AccountFilter = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        description="One account (`default`, `deployment-{id}`, ...); all when left out.",
    ),
]


class OrderCreate(BaseModel):
    """A new order; repeat the same body with the same ``client_order_id`` to retry safely.

    With ``stop_loss`` and/or ``take_profit`` it is a bracket: the entry plus exits on the
    other side (a stop at ``stop_loss``, a limit at ``take_profit``) that work once the
    entry fills and cancel each other; they are stored as ``<client_order_id>:sl`` and
    ``:tp``, so a bracket's ``client_order_id`` has at most 61 characters.
    """

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
    stop_loss: Decimal | None = Field(
        default=None,
        gt=0,
        max_digits=28,
        decimal_places=10,
        description="Stop price of the exit that limits the loss; below the entry for a buy.",
    )
    take_profit: Decimal | None = Field(
        default=None,
        gt=0,
        max_digits=28,
        decimal_places=10,
        description="Limit price of the exit that takes the profit; above the entry for a buy.",
    )


class OrderRead(BaseModel):
    """An order and where it is in its life; a bracket's exits point to their entry."""

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
    parent_order_id: int | None = Field(description="The entry of a bracket exit.")
    bracket: Literal["entry", "stop_loss", "take_profit"] | None = Field(
        description="The order's role in a bracket; null outside one."
    )
    stop_loss: Decimal | None = Field(description="A bracket entry's stop-loss level.")
    take_profit: Decimal | None = Field(description="A bracket entry's take-profit level.")
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


class AccountPnlRead(BaseModel):
    """One account's totals now; exposure values its positions at their last price."""

    model_config = ConfigDict(from_attributes=True)

    account: str
    initial_cash: Decimal
    equity: Decimal
    cash: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    total_pnl: Decimal
    net_exposure: Decimal = Field(description="Signed value of the open positions.")
    gross_exposure: Decimal = Field(description="Absolute value of the open positions.")


class PnlRead(BaseModel):
    """One account's or every account's totals now and daily series, with each account's
    totals in ``accounts``; every figure is the sum over ``accounts``."""

    model_config = ConfigDict(from_attributes=True)

    mode: str
    account: str | None = Field(description="The account asked for; null for all of them.")
    initial_cash: Decimal
    equity: Decimal
    cash: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    total_pnl: Decimal
    net_exposure: Decimal = Field(description="Signed value of the open positions.")
    gross_exposure: Decimal = Field(description="Absolute value of the open positions.")
    daily: list[DailyPnlRead] = Field(
        description="Each day's closing equity and P&L, summed over the accounts; an account "
        "with no fill that day counts at its last close."
    )
    accounts: list[AccountPnlRead]
