"""Instrument bodies: shared reference data, unique per symbol and exchange."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

AssetClass = Literal[
    "equity", "etf", "index", "future", "option", "forex", "crypto", "bond", "commodity"
]


class InstrumentFieldsBody(BaseModel):
    """The descriptive fields shared by create and update."""

    asset_class: AssetClass | None = None
    currency: str | None = Field(default=None, min_length=3, max_length=8)
    name: str | None = Field(default=None, max_length=200)
    tick_size: Decimal | None = Field(default=None, gt=0, max_digits=28, decimal_places=10)
    lot_size: Decimal | None = Field(default=None, gt=0, max_digits=28, decimal_places=10)
    active: bool | None = None


class InstrumentCreate(InstrumentFieldsBody):
    """A new instrument; the symbol is upper-cased, the exchange may be empty."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"symbol": "AAPL", "exchange": "NASDAQ", "asset_class": "equity", "name": "Apple"}
            ]
        },
    )

    symbol: str = Field(min_length=1, max_length=32)
    exchange: str = Field(default="", max_length=32)


class InstrumentUpdate(InstrumentFieldsBody):
    """Changes to an instrument; omitted fields stay. Symbol and exchange cannot change."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Apple Inc.", "active": False}]}
    )


class InstrumentRead(BaseModel):
    """An instrument as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    symbol: str
    exchange: str
    asset_class: str
    currency: str
    name: str | None
    tick_size: Decimal | None
    lot_size: Decimal | None
    active: bool
    created_at: datetime
    updated_at: datetime
