"""The ``backtest`` job kind: one backtest of a strategy on a run's stored bar snapshot.

Payload: ``backtest_run_id``, ``database`` (URL without password, see ``_inputs``),
``strategy_type``, ``parameters`` and ``options`` (keywords of ``quantdesk.backtest.run``).
Progress: bars loaded 10 %, signals and simulation from 30 %, simulated 80 %, metrics 100 %.
The result holds the metrics, every closed trade and the equity curve at full resolution;
the ``backtest`` completion hook (``services.backtests``) moves it into the run's row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from quantdesk.backtest import BacktestResult, run
from quantdesk.jobs.handlers._inputs import json_ready, read_inputs
from quantdesk.jobs.registry import ProgressReporter, handler

KIND = "backtest"
_NS_PER_MS = 1_000_000


@handler(KIND)
def run_backtest(payload: dict[str, Any], progress: ProgressReporter) -> dict[str, Any]:
    """Backtest the payload's strategy on the run's bars and return metrics, trades, equity."""
    series = read_inputs(payload["database"], int(payload["backtest_run_id"]))
    progress.update(0.1, "bars loaded")
    progress.update(0.3, "computing signals and simulating")
    result = run(
        payload["strategy_type"], series, payload.get("parameters") or {}, **payload["options"]
    )
    progress.update(0.8, "simulated")
    summary = summarise(result)
    progress.update(1.0, "metrics computed")
    return summary


def summarise(result: BacktestResult) -> dict[str, Any]:
    """Turn a result into JSON-ready metrics, trades and equity (times in epoch ms)."""
    return {
        "metrics": json_ready(result.metrics.to_dict()),
        "trades": trade_records(result.trades),
        "equity": {
            "timestamps": (result.timestamps // _NS_PER_MS).tolist(),
            "equity": json_ready(result.equity.tolist()),
            "benchmark": json_ready(result.benchmark.tolist()),
        },
    }


def trade_records(trades: np.ndarray) -> list[dict[str, Any]]:
    """One JSON-ready record per closed trade, times as ISO 8601 UTC."""
    entry = np.datetime_as_string(trades["entry_time"], unit="s", timezone="UTC")
    exit_ = np.datetime_as_string(trades["exit_time"], unit="s", timezone="UTC")
    return [
        json_ready(
            {
                "symbol": str(trade["symbol"]),
                "side": "long" if trade["side"] > 0 else "short",
                "entry_time": str(entry[index]),
                "exit_time": str(exit_[index]),
                "entry_price": trade["entry_price"],
                "exit_price": trade["exit_price"],
                "quantity": trade["quantity"],
                "fees": trade["entry_fees"] + trade["exit_fees"],
                "pnl": trade["pnl"],
                "return": trade["return"],
                "bars_held": trade["bars_held"],
                "exit_reason": str(trade["exit_reason"]),
            }
        )
        for index, trade in enumerate(trades)
    ]
