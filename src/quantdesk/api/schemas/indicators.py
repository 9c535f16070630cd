"""Indicator registry entries and indicator values as columnar JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class ParameterRead(BaseModel):
    """One tunable parameter: its type, default and inclusive bounds."""

    name: str
    type: Literal["int", "float", "str"]
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: list[str] | None = None
    description: str = ""


class IndicatorRead(BaseModel):
    """A registered indicator: what it reads, takes and returns, and where it is drawn."""

    name: str
    description: str
    inputs: list[str]
    parameters: list[ParameterRead]
    outputs: list[str]
    display: Literal["overlay", "pane"] = Field(
        description="overlay: drawn over the price chart; pane: in a pane of its own."
    )


class IndicatorValuesRead(BaseModel):
    """An indicator's outputs aligned to bar timestamps; warm-up and gaps are null."""

    symbol: str
    timeframe: str
    name: str
    params: dict[str, Any] = Field(description="The validated parameters, defaults included.")
    params_hash: str = Field(description="sha256 of the parameters' canonical JSON.")
    timestamps: list[datetime]
    values: dict[str, list[float | None]] = Field(description="One column per output.")
    stored: int = Field(description="Rows written to indicator_values (0 unless store=true).")
