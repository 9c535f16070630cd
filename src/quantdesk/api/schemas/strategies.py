"""Strategy bodies: saved strategies and the registry of strategy types."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from quantdesk.services.strategies import StrategyChanges
from quantdesk.strategies import StrategyInfo

Name = Field(min_length=1, max_length=100)
Timeframe = Field(
    default="1d", min_length=2, max_length=8, description="Bar length: 1m, 5m, 1h, 1d, 1w …"
)


class StrategyCreate(BaseModel):
    """A new saved strategy: a registered type, its parameters and default symbols."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "SPY trend",
                    "type": "sma_cross",
                    "parameters": {"fast": 10, "slow": 50},
                    "symbols": ["SPY"],
                    "timeframe": "1d",
                }
            ]
        },
    )

    name: str = Name
    type: str = Field(min_length=1, max_length=64, description="A name from /strategy-types.")
    parameters: dict[str, Any] = Field(default_factory=dict)
    symbols: list[str] = Field(default_factory=list, max_length=50)
    timeframe: str = Timeframe
    description: str | None = Field(default=None, max_length=2000)
    active: bool = False


class StrategyUpdate(BaseModel):
    """Changes to a saved strategy; omitted fields stay as they are."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"parameters": {"fast": 20}}]}
    )

    name: str | None = Field(default=None, min_length=1, max_length=100)
    type: str | None = Field(default=None, min_length=1, max_length=64)
    parameters: dict[str, Any] | None = None
    symbols: list[str] | None = Field(default=None, max_length=50)
    timeframe: str | None = Field(default=None, min_length=2, max_length=8)
    description: str | None = Field(default=None, max_length=2000)
    active: bool | None = None

    def changes(self) -> StrategyChanges:
        """The service's view of this body."""
        return StrategyChanges(**self.model_dump())


class StrategyRead(BaseModel):
    """A saved strategy as the API shows it; parameters include the type's defaults."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    type: str
    parameters: dict[str, Any]
    symbols: list[str]
    timeframe: str
    description: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class StrategyTypeRead(BaseModel):
    """A registered strategy type: what it does and the JSON schema of its parameters."""

    name: str
    description: str
    parameters: dict[str, Any] = Field(description="JSON schema of the parameters.")
    defaults: dict[str, Any] = Field(description="The value each parameter takes when omitted.")

    @classmethod
    def from_info(cls, info: StrategyInfo) -> StrategyTypeRead:
        """Show a registry entry with its defaults pulled out of the schema."""
        properties = info.parameters.get("properties", {})
        defaults = {name: spec["default"] for name, spec in properties.items() if "default" in spec}
        return cls(
            name=info.name,
            description=info.description,
            parameters=info.parameters,
            defaults=defaults,
        )
