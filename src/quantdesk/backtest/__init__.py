"""The backtest engine: run a strategy over history with honest fills, costs and metrics."""

from quantdesk.backtest.costs import Commission, Slippage
from quantdesk.backtest.engine import run, run_signals
from quantdesk.backtest.metrics import Metrics, PerformanceMetrics, TradeMetrics
from quantdesk.backtest.montecarlo import MonteCarloResult, monte_carlo
from quantdesk.backtest.optimize import OptimizeResult, optimize
from quantdesk.backtest.options import BacktestOptions, Fill, IntrabarPolicy
from quantdesk.backtest.report import report
from quantdesk.backtest.result import BacktestResult
from quantdesk.backtest.sizing import (
    AllIn,
    EquityFraction,
    FixedCash,
    FixedQuantity,
    Sizing,
    StopRisk,
    VolatilityTarget,
)
from quantdesk.backtest.sweep import SweepResult, sweep, sweep_chunk
from quantdesk.backtest.walk_forward import WalkForwardResult, WalkForwardWindow, walk_forward

__all__ = [
    "AllIn",
    "BacktestOptions",
    "BacktestResult",
    "Commission",
    "EquityFraction",
    "Fill",
    "FixedCash",
    "FixedQuantity",
    "IntrabarPolicy",
    "Metrics",
    "MonteCarloResult",
    "OptimizeResult",
    "PerformanceMetrics",
    "Sizing",
    "Slippage",
    "StopRisk",
    "SweepResult",
    "TradeMetrics",
    "VolatilityTarget",
    "WalkForwardResult",
    "WalkForwardWindow",
    "monte_carlo",
    "optimize",
    "report",
    "run",
    "run_signals",
    "sweep",
    "sweep_chunk",
    "walk_forward",
]
