"""Fetching bars from a data provider, and each provider's circuit-breaker state."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class FetchRequest(BaseModel):
    """Which provider to ask for which bars; no start means all the provider serves."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "provider": "yfinance",
                    "symbol": "AAPL",
                    "timeframe": "1d",
                    "start": "2024-01-01T00:00:00Z",
                    "end": "2024-06-30T00:00:00Z",
                }
            ]
        }
    )

    provider: Literal["yfinance", "twelvedata", "synthetic"] = "yfinance"
    symbol: str = Field(min_length=1, max_length=32)
    timeframe: str = Field(default="1d", max_length=8)
    start: datetime | None = None
    end: datetime | None = None
    exchange: str = Field(default="", max_length=32)


class FetchSummaryRead(BaseModel):
    """What the fetch stored: rows received and how many were new, changed or equal."""

    model_config = ConfigDict(from_attributes=True)

    provider: str
    symbol: str
    exchange: str
    timeframe: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    first: datetime | None
    last: datetime | None


class ProviderStateRead(BaseModel):
    """A provider's circuit breaker: open means it is not called until ``reopens_at``."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    state: Literal["closed", "open", "half-open"]
    failures: int = Field(description="Consecutive failures counted so far.")
    reopens_at: datetime | None = None
