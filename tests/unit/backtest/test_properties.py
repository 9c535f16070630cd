"""Invariants of the engine over random data, signals and options (Hypothesis)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quantdesk.backtest import BacktestOptions, BacktestResult, Commission, run, run_signals
from quantdesk.strategies import Signals
from tests.fixtures.backtest import synthetic_bars

N = 400

options = st.fixed_dictionaries(
    {
        "fill": st.sampled_from(["next_open", "close"]),
        "allow_short": st.booleans(),
        "commission": st.builds(
            Commission, st.sampled_from([0.0, 0.001]), st.sampled_from([0.0, 1.0])
        ),
        "slippage": st.sampled_from([0.0, 3.0]),
        "stop_loss": st.sampled_from([None, 0.01]),
        "take_profit": st.sampled_from([None, 0.02]),
        "trailing_stop": st.sampled_from([None, 0.015]),
        "intrabar": st.sampled_from(["pessimistic", "optimistic", "ohlc_path"]),
        "whole_units": st.booleans(),
    }
)


def _random_signals(seed: int, rate: float) -> Signals:
    rng = np.random.default_rng(seed)
    draws = rng.random((4, N)) < rate
    return Signals(entries=draws[0], exits=draws[1], short_entries=draws[2], short_exits=draws[3])


def _position_value(result: BacktestResult) -> np.ndarray:
    held = np.zeros(len(result.equity))
    close = result.market.close[:, 0]
    for trade in result.trades:
        span = slice(trade["entry_index"], trade["exit_index"])
        held[span] += trade["side"] * trade["quantity"] * close[span]
    for position in result.positions:
        span = slice(position["entry_index"], None)
        held[span] += position["side"] * position["quantity"] * close[span]
    return held


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), rate=st.sampled_from([0.01, 0.05, 0.3]), chosen=options)
def test_cash_plus_positions_equals_equity_every_bar(
    seed: int, rate: float, chosen: dict[str, Any]
) -> None:
    bars = synthetic_bars(N, seed=seed)
    result = run_signals(bars, _random_signals(seed, rate), BacktestOptions(**chosen))
    np.testing.assert_allclose(
        result.cash + _position_value(result), result.equity, rtol=1e-9, atol=1e-6
    )


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), chosen=options)
def test_no_signals_keeps_equity_flat(seed: int, chosen: dict[str, Any]) -> None:
    result = run_signals(
        synthetic_bars(N, seed=seed), _random_signals(seed, 0.0), BacktestOptions(**chosen)
    )
    np.testing.assert_array_equal(result.equity, 10_000.0)
    assert len(result.trades) == 0
    assert len(result.positions) == 0


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    fast=st.integers(2, 20),
    extra=st.integers(1, 60),
    fill=st.sampled_from(["next_open", "close"]),
)
def test_no_trade_before_slowest_indicator_warms_up(
    seed: int, fast: int, extra: int, fill: str
) -> None:
    result = run("sma_cross", synthetic_bars(N, seed=seed), {"fast": fast, "slow": fast + extra},
                 fill=fill, allow_short=True)  # type: ignore[arg-type]  # fmt: skip
    entries = np.concatenate((result.trades["entry_index"], result.positions["entry_index"]))
    first = fast + extra + (1 if fill == "next_open" else 0)
    assert np.all(entries >= first)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    rate=st.sampled_from([0.02, 0.1]),
    allow_short=st.booleans(),
    fill=st.sampled_from(["next_open", "close"]),
    fraction=st.sampled_from([0.0005, 0.01]),
    slippage=st.sampled_from([0.0, 5.0]),
)
def test_costs_never_raise_equity(
    seed: int, rate: float, allow_short: bool, fill: str, fraction: float, slippage: float
) -> None:
    bars = synthetic_bars(N, seed=seed)
    signals = _random_signals(seed, rate)
    free = run_signals(bars, signals, BacktestOptions(allow_short=allow_short, fill=fill))  # type: ignore[arg-type]
    costly = run_signals(
        bars,
        signals,
        BacktestOptions(allow_short=allow_short, fill=fill, commission=fraction, slippage=slippage),  # type: ignore[arg-type]
    )
    assert np.all(costly.equity <= free.equity * (1 + 1e-12))
