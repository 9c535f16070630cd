"""Backtest bodies: what to run, a run as it stands, its trades and equity curve."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from quantdesk.services.backtests import BacktestRequest, RunState

RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class BacktestOptionsBody(BaseModel):
    """Capital, costs, fills and stops; see ``quantdesk.backtest.run`` for the conventions."""

    model_config = ConfigDict(extra="forbid")

    initial_cash: float | None = Field(default=None, gt=0, description="Starting cash.")
    fill: Literal["next_open", "close"] | None = None
    commission: float | None = Field(default=None, ge=0, lt=1, description="Fraction of notional.")
    slippage: float | None = Field(default=None, ge=0, le=10_000, description="Basis points.")
    whole_units: bool | None = None
    allow_short: bool | None = None
    stop_loss: float | None = Field(default=None, gt=0, lt=1)
    take_profit: float | None = Field(default=None, gt=0)
    trailing_stop: float | None = Field(default=None, gt=0, lt=1)
    intrabar: Literal["pessimistic", "optimistic", "ohlc_path"] | None = None
    max_position: float | None = Field(default=None, gt=0)
    leverage: float | None = Field(default=None, gt=0, le=100)
    periods_per_year: float | None = Field(default=None, gt=0)


class RunTarget(BaseModel):
    """The strategy, symbols and period shared by backtests and optimisations."""

    strategy_id: int | None = Field(default=None, ge=1, description="A saved strategy.")
    strategy_type: str | None = Field(
        default=None, min_length=1, max_length=64, description="Or an inline type."
    )
    parameters: dict[str, Any] | None = Field(
        default=None, description="The inline type's parameters, or overrides of the saved ones."
    )
    symbols: list[str] = Field(default_factory=list, max_length=20)
    timeframe: str | None = Field(default=None, min_length=2, max_length=8)
    start: datetime | None = None
    end: datetime | None = None
    options: BacktestOptionsBody = Field(default_factory=BacktestOptionsBody)
    name: str | None = Field(default=None, max_length=200)

    def request(self) -> BacktestRequest:
        """The service's view of this body."""
        return BacktestRequest(
            strategy_id=self.strategy_id,
            strategy_type=self.strategy_type,
            parameters=self.parameters,
            symbols=self.symbols,
            timeframe=self.timeframe,
            start=self.start,
            end=self.end,
            options=self.options.model_dump(exclude_none=True),
            name=self.name,
        )


class BacktestCreate(RunTarget):
    """A backtest to run: a saved strategy (``strategy_id``) or an inline type."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "strategy_type": "sma_cross",
                    "parameters": {"fast": 10, "slow": 50},
                    "symbols": ["SPY"],
                    "timeframe": "1d",
                    "options": {"commission": 0.001, "slippage": 2},
                }
            ]
        },
    )


class RunRead(BaseModel):
    """What backtests and optimisations share: what was asked and how far it got."""

    id: int
    name: str | None
    status: RunStatus
    progress: float = Field(ge=0, le=100, description="Percent done, 0 to 100.")
    job_id: int | None = Field(description="Follow it on the bus channel jobs:{job_id}.")
    strategy_id: int | None
    strategy_type: str
    parameters: dict[str, Any]
    symbols: list[str]
    timeframe: str
    start: datetime | None = Field(description="The first bar's time.")
    end: datetime | None = Field(description="The last bar's time.")
    settings: dict[str, Any]
    error: str | None = Field(description="Why the run failed: exception class and message.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def fields_of(cls, state: RunState) -> dict[str, Any]:
        """The shared fields of a run, progress in percent."""
        run = state.run
        return {
            "id": run.id, "name": run.name, "status": state.status,
            "progress": round(state.progress * 100, 2), "job_id": run.job_id,
            "strategy_id": run.strategy_id, "strategy_type": run.strategy_type,
            "parameters": run.parameters, "symbols": run.symbols, "timeframe": run.timeframe,
            "start": run.period_start, "end": run.period_end, "settings": run.settings,
            "error": run.error, "created_at": run.created_at, "started_at": run.started_at,
            "finished_at": run.finished_at,
        }  # fmt: skip


class BacktestRead(RunRead):
    """A backtest run; ``metrics`` is null until it has succeeded."""

    metrics: dict[str, Any] | None = Field(
        description="Strategy metrics, with buy-and-hold under 'benchmark'; null until done."
    )

    @classmethod
    def from_state(cls, state: RunState) -> BacktestRead:
        """Show a run with its live status."""
        metrics = state.run.metrics if state.status == "succeeded" else None
        return cls(**cls.fields_of(state), metrics=metrics)


class BacktestTradeRead(BaseModel):
    """One closed trade; times in UTC, return as a fraction, fees for both fills."""

    symbol: str
    side: Literal["long", "short"]
    entry_time: datetime
    exit_time: datetime
    entry_price: float
    exit_price: float
    quantity: float
    fees: float
    pnl: float
    return_: float | None = Field(alias="return")
    bars_held: int
    exit_reason: str

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class EquityRead(BaseModel):
    """The equity curve and buy-and-hold on the same bars (times in epoch milliseconds)."""

    points: int = Field(description="Points returned.")
    total_points: int = Field(description="Bars in the full curve.")
    timestamps: list[int]
    equity: list[float | None]
    benchmark: list[float | None]
