"""Result views: trades and per-bar frames, positions and rebuilt cash."""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantdesk.backtest import run_signals
from tests.fixtures.backtest import price_bars, signals_at

PRICES = [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]


def _result() -> object:
    return run_signals(price_bars(PRICES), signals_at(6, entries=[0, 3], exits=[1]))


def test_to_frame_has_one_row_per_bar_in_utc() -> None:
    frame = _result().to_frame()  # type: ignore[attr-defined]
    assert list(frame.columns) == ["equity", "cash", "drawdown", "in_market", "benchmark"]
    assert len(frame) == 6
    assert str(frame.index.tz) == "UTC"
    assert frame["in_market"].tolist() == [False, True, False, False, True, True]


def test_trades_frame_has_utc_times_and_reasons() -> None:
    frame = _result().trades_frame()  # type: ignore[attr-defined]
    assert len(frame) == 1
    assert frame.loc[0, "entry_time"] == pd.Timestamp("2024-01-02", tz="UTC")
    assert frame.loc[0, "exit_reason"] == "signal"


def test_cash_is_zero_while_all_in_and_back_after_exit() -> None:
    result = _result()
    cash = result.cash  # type: ignore[attr-defined]
    np.testing.assert_allclose(cash[[0, 1, 4]], [10_000.0, 0.0, 0.0], atol=1e-9)
    assert cash[2] == result.equity[2]  # type: ignore[attr-defined]
