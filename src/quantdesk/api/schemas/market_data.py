"""Market-data bodies: import summaries, synthetic-data requests and columnar bars."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Timeframe = Literal["1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w"]
BarsFormat = Literal["json", "csv", "arrow"]
DEFAULT_BARS_LIMIT = 5_000
MAX_BARS_LIMIT = 100_000
MAX_SYNTHETIC_BARS = 1_000_000


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


UtcDateTime = Annotated[datetime, AfterValidator(_utc)]


class ImportSummaryRead(BaseModel):
    """What an import stored: rows received, and how many were new, changed or equal."""

    model_config = ConfigDict(from_attributes=True)

    symbol: str
    exchange: str
    timeframe: str
    rows: int = Field(description="Bars in the file or request.")
    inserted: int = Field(description="Bars that were not stored before.")
    updated: int = Field(description="Stored bars whose prices or volume changed.")
    unchanged: int = Field(description="Bars already stored with the same values.")
    first: datetime | None
    last: datetime | None


class SyntheticCreate(BaseModel):
    """Seeded synthetic bars to generate and store: the same body always gives the same bars."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "symbol": "SYNTH",
                    "timeframe": "1h",
                    "start": "2024-01-01T00:00:00Z",
                    "bars": 5000,
                    "seed": 1,
                }
            ]
        },
    )

    symbol: str = Field(min_length=1, max_length=32)
    exchange: str = Field(default="", max_length=32)
    timeframe: Timeframe
    start: UtcDateTime
    bars: int = Field(default=1_000, ge=1, le=MAX_SYNTHETIC_BARS)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    initial_price: float = Field(default=100.0, ge=1e-6, le=1e9)
    drift: float = Field(default=0.05, ge=-5, le=5, description="Annualised, 0.05 = 5 %.")
    volatility: float = Field(default=0.25, ge=0, le=5, description="Annualised, 0.25 = 25 %.")
    regimes: list[Annotated[float, Field(gt=0, le=10)]] = Field(
        default=[0.5, 1.0, 2.5],
        min_length=1,
        max_length=10,
        description="Volatility multipliers (above 0, at most 10) the series switches between.",
    )


class BarsRead(BaseModel):
    """Bars as parallel columns, oldest first.

    ``time`` is epoch seconds, what TradingView lightweight-charts takes; ``timestamps``
    are the same instants as ISO 8601 UTC strings.
    """

    symbol: str
    timeframe: str
    count: int
    time: list[int]
    timestamps: list[str]
    open: list[float]
    high: list[float]
    low: list[float]
    close: list[float]
    volume: list[float]


class ImportForm(BaseModel):
    """The text fields that come with an uploaded file."""

    model_config = ConfigDict(extra="forbid")

    symbol: str = Field(min_length=1, max_length=32)
    timeframe: Timeframe
    exchange: str = Field(default="", max_length=32)
    timezone: str = Field(default="UTC", min_length=1, max_length=64)
    adjusted: bool = False
