"""Deployment bodies: a strategy, its symbols and feed, sizing and risk limits, and mode."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from quantdesk.services.deployments import (
    DeploymentChanges,
    DeploymentRequest,
    FeedSpec,
    SizingSpec,
)


class FeedBody(BaseModel):
    """Where new bars come from: stored bars replayed at ``speed``, or a synthetic walk."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["replay", "synthetic"] = "replay"
    speed: float = Field(default=1.0, gt=0, description="60 plays a 1m bar every second.")
    start: datetime | None = Field(default=None, description="Replay stored bars from here.")


class RiskProfileBody(BaseModel):
    """How entries are sized, and risk-limit overrides for the deployment's own account."""

    model_config = ConfigDict(extra="forbid")

    quantity: Decimal | None = Field(default=None, gt=0, description="Units per entry.")
    risk_fraction: Decimal | None = Field(
        default=None, gt=0, le=1, description="Share of equity lost at the strategy's stop."
    )
    limits: dict[str, Any] = Field(default_factory=dict, description="RiskLimits overrides.")


class DeploymentCreate(BaseModel):
    """A strategy to run on new bars: a saved one, or a type with parameters."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "strategy_type": "sma_cross",
                    "parameters": {"fast": 10, "slow": 30},
                    "symbols": ["SPY"],
                    "timeframe": "1d",
                    "feed": {"kind": "replay", "speed": 600},
                    "risk_profile": {"quantity": "10"},
                }
            ]
        },
    )

    strategy_id: int | None = Field(default=None, ge=1)
    strategy_type: str | None = Field(default=None, min_length=1, max_length=64)
    parameters: dict[str, Any] = Field(default_factory=dict)
    symbols: list[str] = Field(min_length=1, max_length=50)
    timeframe: str = Field(default="1d", min_length=2, max_length=8)
    broker: Literal["paper", "ib"] = "paper"
    mode: Literal["paper", "live"] = "paper"
    feed: FeedBody = Field(default_factory=FeedBody)
    risk_profile: RiskProfileBody = Field(
        default_factory=lambda: RiskProfileBody(quantity=Decimal(1))
    )

    def request(self) -> DeploymentRequest:
        """The service's view of this body."""
        profile = self.risk_profile
        return DeploymentRequest(
            symbols=self.symbols,
            timeframe=self.timeframe,
            strategy_id=self.strategy_id,
            strategy_type=self.strategy_type,
            parameters=self.parameters,
            broker=self.broker,
            mode=self.mode,
            feed=FeedSpec(self.feed.kind, self.feed.speed, self.feed.start),
            sizing=SizingSpec(profile.quantity, profile.risk_fraction),
            limits=profile.limits,
        )


class DeploymentUpdate(BaseModel):
    """Changes to a deployment that is not running; omitted fields stay as they are."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"risk_profile": {"quantity": "5"}}]}
    )

    symbols: list[str] | None = Field(default=None, min_length=1, max_length=50)
    timeframe: str | None = Field(default=None, min_length=2, max_length=8)
    feed: FeedBody | None = None
    risk_profile: RiskProfileBody | None = None

    def changes(self) -> DeploymentChanges:
        """The service's view of this body."""
        feed, profile = self.feed, self.risk_profile
        return DeploymentChanges(
            symbols=self.symbols,
            timeframe=self.timeframe,
            feed=FeedSpec(feed.kind, feed.speed, feed.start) if feed else None,
            sizing=SizingSpec(profile.quantity, profile.risk_fraction) if profile else None,
            limits=profile.limits if profile else None,
        )


class DeploymentRead(BaseModel):
    """A deployment as the API shows it, with its status and last error."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    strategy_id: int
    symbols: list[str]
    timeframe: str
    broker: str
    mode: str
    account: str
    risk_profile: dict[str, Any]
    status: str
    started_at: datetime | None
    stopped_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime


class StrategyEventRead(BaseModel):
    """Something a deployment reported: a start, a refused order, a difference at restore."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    type: str
    severity: str
    message: str
    details: dict[str, Any]
    created_at: datetime
