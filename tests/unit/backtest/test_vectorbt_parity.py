"""The engine against vectorbt under the same conventions: same trades, same final equity.

vectorbt fills at the ``price`` it is given on the bar its signal sits on, so next-open
semantics are expressed by shifting our signals one bar later and passing the opens as
``price``; ``size=np.inf`` is vectorbt's all-in, which like ours spends cash net of fees.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import vectorbt as vbt

from quantdesk.backtest import BacktestOptions, run_signals
from quantdesk.bars import Bars
from quantdesk.strategies import get
from tests.fixtures.market_data import real_ohlcv, synthetic_ohlcv

DATASETS = {
    "synthetic": lambda: synthetic_ohlcv(20_000, seed=7),
    "goog": lambda: real_ohlcv("GOOG"),
    "eurusd": lambda: real_ohlcv("EURUSD"),
}


def _shift(values: np.ndarray) -> np.ndarray:
    return np.concatenate(([False], values[:-1]))


def _vectorbt(data: dict[str, np.ndarray], signals: Any, fill: str, fees: float) -> Any:
    shift = _shift if fill == "next_open" else (lambda values: values)
    return vbt.Portfolio.from_signals(
        data["close"],
        shift(signals.entries),
        shift(signals.exits),
        price=data["open"] if fill == "next_open" else data["close"],
        init_cash=10_000.0,
        fees=fees,
        size=np.inf,
        freq="1D",
    )


@pytest.mark.parametrize("dataset", sorted(DATASETS))
@pytest.mark.parametrize("strategy", ["sma_cross", "ema_cross"])
@pytest.mark.parametrize("fees", [0.0, 0.001])
@pytest.mark.parametrize("fill", ["next_open", "close"])
def test_crossover_matches_vectorbt(dataset: str, strategy: str, fees: float, fill: str) -> None:
    data = DATASETS[dataset]()
    bars = Bars.from_arrays(**data, symbol=dataset, timeframe="1d")
    signals = get(strategy)(fast=10, slow=30).signals(bars)
    ours = run_signals(bars, signals, BacktestOptions(commission=fees, fill=fill))  # type: ignore[arg-type]
    theirs = _vectorbt(data, signals, fill, fees)
    records = theirs.trades.records
    closed = records[records["status"] == 1]
    assert len(ours.trades) == len(closed) > 10
    np.testing.assert_array_equal(ours.trades["entry_index"], closed["entry_idx"])
    np.testing.assert_array_equal(ours.trades["exit_index"], closed["exit_idx"])
    np.testing.assert_allclose(ours.trades["entry_price"], closed["entry_price"], rtol=1e-12)
    np.testing.assert_allclose(ours.trades["exit_price"], closed["exit_price"], rtol=1e-12)
    np.testing.assert_allclose(ours.trades["pnl"], closed["pnl"], rtol=1e-9)
    np.testing.assert_allclose(ours.equity, theirs.value().to_numpy(), rtol=1e-9)
    assert ours.equity[-1] == pytest.approx(theirs.final_value(), rel=1e-9)
