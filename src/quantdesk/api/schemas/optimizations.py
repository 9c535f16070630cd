"""Optimisation bodies: the search to run and its outcome."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from quantdesk.api.schemas.backtests import RunRead, RunTarget
from quantdesk.services.backtests import RunState
from quantdesk.services.optimizations import OptimizationRequest


class SpaceRange(BaseModel):
    """An Optuna range (both ends included) or a list of choices."""

    model_config = ConfigDict(extra="forbid")

    # int first: whole-number bounds make an integer range, as the library reads them.
    low: int | float | None = None
    high: int | float | None = None
    step: int | float | None = Field(default=None, gt=0)
    choices: list[Any] | None = Field(default=None, min_length=1)


class OptimizationCreate(RunTarget):
    """A parameter search: a grid, an Optuna space, or a walk-forward over a grid."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "strategy_type": "sma_cross",
                    "symbols": ["SPY"],
                    "timeframe": "1d",
                    "method": "grid",
                    "grid": {"fast": [5, 10, 20], "slow": [50, 100, 200]},
                    "metric": "sharpe",
                }
            ]
        },
    )

    method: Literal["grid", "optuna", "walk_forward"] = "grid"
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    space: dict[str, SpaceRange] = Field(default_factory=dict)
    metric: str = Field(default="sharpe", max_length=32)
    maximize: bool = True
    trials: int = Field(default=50, ge=1, le=10_000)
    seed: int = Field(default=0, ge=0)
    train_bars: int | None = Field(default=None, ge=2)
    test_bars: int | None = Field(default=None, ge=1)
    heatmap: tuple[str, str] | None = Field(default=None, description="Two grid parameters.")
    chunks: int | None = Field(default=None, ge=1, le=256, description="Parallel grid chunks.")

    def optimization(self) -> OptimizationRequest:
        """The service's view of this body."""
        return OptimizationRequest(
            target=self.request(),
            method=self.method,
            grid=self.grid,
            space={name: spec.model_dump(exclude_none=True) for name, spec in self.space.items()},
            metric=self.metric,
            maximize=self.maximize,
            trials=self.trials,
            seed=self.seed,
            train_bars=self.train_bars,
            test_bars=self.test_bars,
            heatmap=self.heatmap,
            chunks=self.chunks,
        )


class OptimizationRead(RunRead):
    """An optimisation; ``results`` is null until it has succeeded."""

    metrics: dict[str, Any] | None = Field(description="best parameters and best_value.")
    results: dict[str, Any] | None = Field(
        description="Sorted rows (best first), best, heat map or walk-forward windows."
    )

    @classmethod
    def from_state(cls, state: RunState) -> OptimizationRead:
        """Show an optimisation with its live status."""
        done = state.status == "succeeded"
        return cls(
            **cls.fields_of(state),
            metrics=state.run.metrics if done else None,
            results=state.run.results if done else None,
        )
