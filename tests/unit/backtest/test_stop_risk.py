"""StopRisk sizing: the loss at the entry's stop is a set fraction of equity, no more."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantdesk.backtest import BacktestOptions, StopRisk, run_signals
from quantdesk.errors import ValidationError
from tests.fixtures.backtest import price_bars, signals_at

N = 6


def _stops(level: float, at: int = 1) -> np.ndarray:
    stops = np.full(N, np.nan)
    stops[at] = level
    return stops


def _entry(
    closes: list[float], stop: float, size: StopRisk, *, opens: list[float] | None = None
) -> np.ndarray:
    bars = price_bars(opens or closes, close=closes)
    signals = signals_at(N, entries=[1], stop_loss=_stops(stop))
    result = run_signals(bars, signals, BacktestOptions(size=size))
    return result.positions


def test_stop_risk_sizes_from_the_signal_close_and_fills_at_next_open() -> None:
    opens = [100.0, 100.0, 101.0, 101.0, 101.0, 101.0]
    closes = [100.0] * N
    (position,) = _entry(closes, 95.0, StopRisk(0.01), opens=opens)
    assert position["quantity"] == 20.0  # 1 % of 10,000 over a 5.00 distance from the close
    assert position["entry_price"] == 101.0


def test_stop_risk_rounds_down_to_the_lot_size() -> None:
    (position,) = _entry([100.0] * N, 97.0, StopRisk(0.01, lot_size=5))
    assert position["quantity"] == 30.0  # 33.3 units fit, 30 in lots of 5


def test_stop_risk_without_a_stop_skips_the_entry() -> None:
    bars = price_bars([100.0] * N)
    result = run_signals(bars, signals_at(N, entries=[1]), BacktestOptions(size=StopRisk(0.01)))
    assert len(result.positions) == len(result.trades) == 0


@pytest.mark.parametrize("stop", [100.0, 101.0, 1.0])
def test_stop_risk_stop_not_below_close_or_too_far_skips_the_entry(stop: float) -> None:
    # at or above the close there is no risk to size by; 99 away, one unit risks 99 of a 98 budget
    assert len(_entry([100.0] * N, stop, StopRisk(0.0098))) == 0


def test_stop_risk_is_capped_by_buying_power_in_whole_lots() -> None:
    # a 0.10 stop distance asks for 10,000 units; 10,000 cash buys 99 at 101, so 90 in lots of 10
    opens = [100.0, 100.0, 101.0, 101.0, 101.0, 101.0]
    (position,) = _entry([100.0] * N, 99.9, StopRisk(0.01, lot_size=10), opens=opens)
    assert position["quantity"] == 90.0


def test_stop_risk_uses_the_stop_loss_option_when_the_strategy_gives_no_level() -> None:
    bars = price_bars([100.0] * N)
    options = BacktestOptions(size=StopRisk(0.02), stop_loss=0.04)
    (position,) = run_signals(bars, signals_at(N, entries=[1]), options).positions
    assert position["quantity"] == 50.0  # 2 % of 10,000 over 4 % of 100


def test_stop_risk_short_measures_risk_to_a_stop_above() -> None:
    bars = price_bars([100.0] * N)
    signals = signals_at(N, short_entries=[1], stop_loss=_stops(104.0))
    options = BacktestOptions(size=StopRisk(0.01), allow_short=True)
    (position,) = run_signals(bars, signals, options).positions
    assert (position["side"], position["quantity"]) == (-1, 25.0)


@settings(max_examples=60, deadline=None)
@given(
    close=st.floats(1.0, 1_000.0),
    distance=st.floats(0.001, 0.9),
    fraction=st.floats(0.0001, 0.05),
    lot=st.sampled_from([0.01, 1.0, 10.0]),
)
def test_stop_risk_loss_at_stop_is_at_most_the_fraction(
    close: float, distance: float, fraction: float, lot: float
) -> None:
    stop = close * (1.0 - distance)
    options = BacktestOptions(size=StopRisk(fraction, lot_size=lot), fill="close")
    signals = signals_at(N, entries=[1], stop_loss=_stops(stop))
    positions = run_signals(price_bars([close] * N), signals, options).positions
    budget = fraction * 10_000.0
    risk = close - stop
    if len(positions) == 0:
        assert min(budget / risk, 10_000.0 / close) < lot * (1 + 1e-9)
        return
    quantity = float(positions[0]["quantity"])
    assert quantity * risk <= budget * (1 + 1e-9)
    assert quantity * close <= 10_000.0 * (1 + 1e-9)
    assert math.isclose(quantity / lot, round(quantity / lot), abs_tol=1e-6)
    # one more lot would break the risk budget or the cash
    assert (quantity + lot) * risk > budget * (1 - 1e-9) or (quantity + lot) * close > 10_000.0


@pytest.mark.parametrize(
    ("fraction", "lot_size"), [(0.0, 1.0), (1.5, 1.0), (math.nan, 1.0), (0.01, 0.0)]
)
def test_stop_risk_bad_fraction_or_lot_is_refused(fraction: float, lot_size: float) -> None:
    with pytest.raises(ValidationError, match="StopRisk"):
        StopRisk(fraction, lot_size=lot_size)
