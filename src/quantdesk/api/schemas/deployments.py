"""Deployment bodies: a strategy, its symbols and feed, sizing and risk limits, and mode."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from quantdesk.services.deployment_drift import DriftReport
from quantdesk.services.deployments import (
    DeploymentChanges,
    DeploymentRequest,
    FeedSpec,
    SizingSpec,
)
from quantdesk.trading.drift import DriftPair


class FeedBody(BaseModel):
    """Where new bars come from: stored bars replayed at ``speed``, or a synthetic walk."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["replay", "synthetic"] = "replay"
    speed: float = Field(default=1.0, gt=0, description="60 plays a 1m bar every second.")
    start: datetime | None = Field(default=None, description="Replay stored bars from here.")


class RiskProfileBody(BaseModel):
    """How entries are sized (exactly one of quantity, risk_fraction, all_in), and risk-limit
    overrides for the deployment's own account."""

    model_config = ConfigDict(extra="forbid")

    quantity: Decimal | None = Field(default=None, gt=0, description="Units per entry.")
    risk_fraction: Decimal | None = Field(
        default=None, gt=0, le=1, description="Share of equity lost at the strategy's stop."
    )
    all_in: bool = Field(
        default=False, description="Spend all the cash on each entry, net of fees."
    )
    limits: dict[str, Any] = Field(default_factory=dict, description="RiskLimits overrides.")

    def sizing(self) -> SizingSpec:
        """The service's view of the sizing."""
        return SizingSpec(self.quantity, self.risk_fraction, self.all_in)


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
            sizing=profile.sizing(),
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
            sizing=profile.sizing() if profile else None,
            limits=profile.limits if profile else None,
        )


class FeedRead(BaseModel):
    """The feed a deployment listens to."""

    kind: str
    speed: float
    start: datetime | None


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
    feed: FeedRead
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


class DriftTradeRead(BaseModel):
    """One round trip in a drift pair; exit and P&L are null while it is open."""

    model_config = ConfigDict(from_attributes=True)

    entry_time: datetime
    entry_price: Decimal
    exit_time: datetime | None
    exit_price: Decimal | None
    quantity: Decimal
    pnl: Decimal | None = Field(description="Realised P&L net of fees; null while open.")


class DriftPairRead(BaseModel):
    """A backtest trade and the deployment's trade paired with it; differences are live minus
    backtest."""

    status: Literal["matched", "missed", "extra"] = Field(
        description="missed: the backtest traded, the deployment did not; extra: the reverse."
    )
    symbol: str
    side: str
    backtest: DriftTradeRead | None
    live: DriftTradeRead | None
    entry_delta_bars: int | None
    entry_delta_seconds: float | None
    exit_delta_seconds: float | None
    entry_price_difference: Decimal | None
    exit_price_difference: Decimal | None
    pnl_difference: Decimal | None = Field(
        description="Live realised P&L minus the backtest's; a missed or extra trade counts whole."
    )


class DriftTotalsRead(BaseModel):
    """Trade counts and realised P&L of each side, and their difference."""

    model_config = ConfigDict(from_attributes=True)

    backtest_trades: int
    live_trades: int
    matched: int
    missed: int
    extra: int
    backtest_pnl: Decimal
    live_pnl: Decimal
    pnl_difference: Decimal


class DeploymentDriftRead(BaseModel):
    """A deployment's trades next to a backtest of the bars it ran on, pair by pair."""

    deployment_id: int
    symbols: list[str]
    timeframe: str
    start: datetime = Field(description="First bar replayed.")
    end: datetime = Field(description="Last bar replayed.")
    bars: int = Field(description="Bars replayed, all symbols together.")
    tolerance_seconds: float = Field(description="Entries this far apart or nearer may pair.")
    totals: DriftTotalsRead
    trades: list[DriftPairRead]

    @classmethod
    def of(cls, report: DriftReport) -> DeploymentDriftRead:
        """The API's view of a drift report."""
        return cls(
            deployment_id=report.deployment_id,
            symbols=report.symbols,
            timeframe=report.timeframe,
            start=report.start,
            end=report.end,
            bars=report.bars,
            tolerance_seconds=report.tolerance.total_seconds(),
            totals=DriftTotalsRead.model_validate(report.totals),
            trades=[_pair(report, pair) for pair in report.pairs],
        )


def _pair(report: DriftReport, pair: DriftPair) -> DriftPairRead:
    trade = pair.backtest or pair.live
    assert trade is not None  # a pair always holds at least one trade
    entry, exit_ = pair.entry_delta, pair.exit_delta
    return DriftPairRead(
        status=pair.status,
        symbol=trade.symbol,
        side=trade.side,
        backtest=DriftTradeRead.model_validate(pair.backtest) if pair.backtest else None,
        live=DriftTradeRead.model_validate(pair.live) if pair.live else None,
        entry_delta_bars=report.entry_delta_bars(pair),
        entry_delta_seconds=entry.total_seconds() if entry is not None else None,
        exit_delta_seconds=exit_.total_seconds() if exit_ is not None else None,
        entry_price_difference=pair.entry_price_difference,
        exit_price_difference=pair.exit_price_difference,
        pnl_difference=pair.pnl_difference,
    )
