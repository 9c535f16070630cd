"""The data-quality report of a symbol's bars."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class FindingRead(BaseModel):
    """How many bars (or calendar slots) show a problem, and the first timestamps."""

    count: int = Field(ge=0)
    first: list[str] = Field(description="Up to five ISO timestamps, earliest first.")


class QualityRead(BaseModel):
    """Whether to trust this history: every check's count and first offending timestamps."""

    symbol: str
    timeframe: str
    calendar: Literal["24/7", "weekdays", "xnys-like"]
    jump_threshold: float
    bars: int
    expected: int = Field(description="Calendar slots between the first and last bar.")
    coverage: float = Field(description="Share of expected slots that hold a bar.")
    start: str | None
    end: str | None
    clean: bool
    findings: dict[str, FindingRead] = Field(
        description="missing, outside_calendar, duplicates, out_of_order, zero_volume, stale, "
        "price_jumps, ohlc_inconsistent"
    )
