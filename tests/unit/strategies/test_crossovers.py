"""Crossings and the moving-average crossover strategies: parameters, warm-up, no look-ahead."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantdesk.bars import Bars
from quantdesk.errors import ValidationError
from quantdesk.indicators.moving_averages import sma
from quantdesk.strategies import Signals, crossings, get
from tests.fixtures.market_data import synthetic_ohlcv


def test_crossings_mark_bar_where_order_flips() -> None:
    up, down = crossings(np.array([1.0, 2.0, 3.0, 2.0, 1.0]), np.full(5, 2.0))
    np.testing.assert_array_equal(up, [False, False, True, False, False])
    np.testing.assert_array_equal(down, [False, False, False, False, True])


def test_crossings_never_fire_next_to_nan() -> None:
    up, down = crossings(np.array([np.nan, 3.0, 1.0, np.nan, 3.0]), np.full(5, 2.0))
    np.testing.assert_array_equal(up | down, [False, False, True, False, False])


def test_sma_cross_signals_follow_sma_crossings() -> None:
    data = synthetic_ohlcv(1_000, seed=5)
    bars = Bars.from_arrays(**data, symbol="S", timeframe="1m")
    signals = get("sma_cross")(fast=5, slow=20).signals(bars)
    fast, slow = sma(data["close"], timeperiod=5), sma(data["close"], timeperiod=20)
    above = fast > slow
    expected = np.zeros(1_000, np.bool_)
    expected[1:] = above[1:] & ~above[:-1] & ~np.isnan(slow[:-1])
    np.testing.assert_array_equal(signals.entries, expected)
    np.testing.assert_array_equal(signals.short_entries, signals.exits)
    np.testing.assert_array_equal(signals.short_exits, signals.entries)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"fast": 30, "slow": 10}, r"fast \(30\) must be below slow \(10\)"),
        ({"fast": 1}, "parameter fast: Input should be greater than or equal to 2"),
        ({"fast": "ten"}, "parameter fast: Input should be a valid integer"),
        ({"period": 5}, "parameter period: Extra inputs are not permitted"),
    ],
)
def test_cross_parameters_bad_values_name_the_parameter(
    params: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        get("sma_cross")(params)


def test_cross_parameters_default_to_ten_and_thirty() -> None:
    assert get("ema_cross")().params.model_dump() == {"fast": 10, "slow": 30}


def test_signals_of_different_lengths_are_refused() -> None:
    with pytest.raises(
        ValidationError, match="signals exits must be one-dimensional with 3 values"
    ):
        Signals(entries=np.zeros(3, bool), exits=np.zeros(4, bool))


def _bars(data: dict[str, np.ndarray], stop: int) -> Bars:
    return Bars.from_arrays(
        **{key: value[:stop] for key, value in data.items()}, symbol="S", timeframe="1m"
    )


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(["sma_cross", "ema_cross"]),
    seed=st.integers(0, 1_000),
    cut=st.integers(40, 599),
    fast=st.integers(2, 10),
)
def test_signals_on_truncated_history_equal_prefix(
    name: str, seed: int, cut: int, fast: int
) -> None:
    data = synthetic_ohlcv(600, seed=seed)
    strategy = get(name)(fast=fast, slow=fast + 15)
    full, part = strategy.signals(_bars(data, 600)), strategy.signals(_bars(data, cut))
    for field in ("entries", "exits", "short_entries", "short_exits"):
        np.testing.assert_array_equal(getattr(part, field), getattr(full, field)[:cut])
    assert not full.entries[: strategy.warmup].any()
    assert not full.exits[: strategy.warmup].any()
