"""The backtest engine: run a strategy over history with honest fills, costs and metrics."""

from quantdesk.backtest.costs import Commission, Slippage
from quantdesk.backtest.engine import run, run_signals
from quantdesk.backtest.metrics import Metrics, PerformanceMetrics, TradeMetrics
from quantdesk.backtest.options import BacktestOptions, Fill, IntrabarPolicy
from quantdesk.backtest.result import BacktestResult
from quantdesk.backtest.sizing import (
    AllIn,
    EquityFraction,
    FixedCash,
    FixedQuantity,
    Sizing,
    VolatilityTarget,
)

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
    "PerformanceMetrics",
    "Sizing",
    "Slippage",
    "TradeMetrics",
    "VolatilityTarget",
    "run",
    "run_signals",
]
