"""Momentum oscillators against TA-Lib, on hand-checked values and under Hypothesis."""

from __future__ import annotations

import numpy as np
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quantdesk.errors import ValidationError
from quantdesk.indicators import momentum
from quantdesk.indicators.registry import compute, get
from tests.fixtures.market_data import synthetic_ohlcv
from tests.fixtures.talib_checks import DATASET_IDS, assert_matches_talib, dataset

SINGLE = {
    "rsi": (talib.RSI, ({}, {"timeperiod": 2}, {"timeperiod": 30})),
    "roc": (talib.ROC, ({}, {"timeperiod": 1}, {"timeperiod": 25})),
    "mom": (talib.MOM, ({}, {"timeperiod": 1}, {"timeperiod": 25})),
}
HLC = {
    "cci": (talib.CCI, ({}, {"timeperiod": 5}, {"timeperiod": 40})),
    "willr": (talib.WILLR, ({}, {"timeperiod": 2}, {"timeperiod": 50})),
}
MACD_PARAMETERS = (
    {},
    {"fastperiod": 5, "slowperiod": 35, "signalperiod": 5},
    {"fastperiod": 26, "slowperiod": 12, "signalperiod": 1},
)
STOCH_PARAMETERS = (
    {},
    {"fastk_period": 14, "slowk_period": 1, "slowd_period": 1},
    {"fastk_period": 1, "slowk_period": 5, "slowd_period": 4},
)
STOCHRSI_PARAMETERS = ({}, {"timeperiod": 5, "fastk_period": 14, "fastd_period": 1})


def assert_oscillator_matches(ours: np.ndarray, theirs: np.ndarray) -> None:
    """TA-Lib agreement for 0-100 oscillators whose running sums leave residue around zero.

    Where a line is exactly 0 its running-sum SMA reports ±1e-14 residue (TA-Lib itself
    gives -4.7e-15 for a window of exact zeros), so values within 1e-9 of zero, a
    hundred-billionth of the scale, count as equal; everything else is held to 1e-9.
    """
    assert np.array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", DATASET_IDS)
@pytest.mark.parametrize("indicator", sorted(SINGLE))
def test_single_input_indicator_on_dataset_matches_talib(name: str, indicator: str) -> None:
    close = dataset(name)["close"]
    reference, parameter_sets = SINGLE[indicator]
    for params in parameter_sets:
        assert_matches_talib(
            getattr(momentum, indicator)(close, **params), reference(close, **params)
        )


@pytest.mark.parametrize("name", DATASET_IDS)
@pytest.mark.parametrize("indicator", sorted(HLC))
def test_range_indicator_on_dataset_matches_talib(name: str, indicator: str) -> None:
    data = dataset(name)
    columns = (data["high"], data["low"], data["close"])
    reference, parameter_sets = HLC[indicator]
    for params in parameter_sets:
        assert_matches_talib(
            getattr(momentum, indicator)(*columns, **params), reference(*columns, **params)
        )


@pytest.mark.parametrize("name", DATASET_IDS)
def test_macd_on_dataset_matches_talib_on_every_line(name: str) -> None:
    close = dataset(name)["close"]
    for params in MACD_PARAMETERS:
        ours, theirs = momentum.macd(close, **params), talib.MACD(close, **params)
        for line, reference in zip(ours, theirs, strict=True):
            assert_matches_talib(line, reference)


@pytest.mark.parametrize("name", DATASET_IDS)
def test_mfi_on_dataset_matches_talib(name: str) -> None:
    data = dataset(name)
    columns = (data["high"], data["low"], data["close"], data["volume"])
    for period in (14, 3, 40):
        assert_matches_talib(momentum.mfi(*columns, period), talib.MFI(*columns, period))


@pytest.mark.parametrize("name", DATASET_IDS)
def test_stoch_on_dataset_matches_talib(name: str) -> None:
    data = dataset(name)
    columns = (data["high"], data["low"], data["close"])
    for params in STOCH_PARAMETERS:
        ours, theirs = momentum.stoch(*columns, **params), talib.STOCH(*columns, **params)
        for line, reference in zip(ours, theirs, strict=True):
            assert_oscillator_matches(line, reference)


@pytest.mark.parametrize("name", DATASET_IDS)
def test_stochrsi_on_dataset_matches_talib(name: str) -> None:
    close = dataset(name)["close"]
    for params in STOCHRSI_PARAMETERS:
        ours, theirs = momentum.stochrsi(close, **params), talib.STOCHRSI(close, **params)
        for line, reference in zip(ours, theirs, strict=True):
            assert_oscillator_matches(line, reference)


def test_rsi_with_leading_nans_starts_where_talib_starts() -> None:
    close = dataset("synthetic")["close"].copy()
    close[:7] = np.nan
    assert_matches_talib(momentum.rsi(close), talib.RSI(close))
    assert_matches_talib(momentum.macd(close).signal, talib.MACD(close)[1])


def test_rsi_of_rising_then_falling_prices_reads_extremes() -> None:
    rising = momentum.rsi(np.arange(1.0, 30.0), 14)
    falling = momentum.rsi(np.arange(30.0, 1.0, -1.0), 14)
    assert np.all(rising[14:] == 100.0)
    assert np.all(falling[14:] == 0.0)


def test_rsi_of_flat_prices_reads_zero_like_talib() -> None:
    flat = np.full(40, 5.0)
    assert np.all(momentum.rsi(flat)[14:] == 0.0)


def test_stoch_with_other_matype_raises_naming_the_field() -> None:
    data = dataset("synthetic")
    with pytest.raises(ValidationError, match="slowd_matype must be 0"):
        momentum.stoch(data["high"], data["low"], data["close"], slowd_matype=1)
    with pytest.raises(ValidationError, match="fastd_matype must be 0"):
        momentum.stochrsi(data["close"], fastd_matype=2)


def test_period_below_talib_minimum_raises() -> None:
    with pytest.raises(ValidationError, match="timeperiod must be at least 2"):
        momentum.rsi(np.arange(10.0), 1)


def test_inputs_of_different_lengths_raise() -> None:
    with pytest.raises(ValidationError, match="same length"):
        momentum.cci(np.ones(5), np.ones(4), np.ones(5))


def test_registry_computes_each_output_by_name() -> None:
    data = dataset("synthetic")
    result = compute("macd", data, fastperiod=5, slowperiod=10)
    assert set(result) == {"macd", "signal", "histogram"}
    assert_matches_talib(result["signal"], talib.MACD(data["close"], 5, 10)[1])
    assert get("stoch").outputs == ("k", "d")
    assert [p.name for p in get("stoch").parameters] == [
        "fastk_period",
        "slowk_period",
        "slowk_matype",
        "slowd_period",
        "slowd_matype",
    ]


prices = arrays(
    np.float64, st.integers(40, 120), elements=st.floats(1.0, 1000.0, allow_subnormal=False)
)


@settings(max_examples=60, deadline=None)
@given(close=prices, period=st.integers(2, 20))
def test_rsi_of_finite_prices_stays_within_0_and_100(close: np.ndarray, period: int) -> None:
    values = momentum.rsi(close, period)
    assert np.isnan(values[:period]).all()
    assert np.isfinite(values[period:]).all()
    assert ((values[period:] >= 0.0) & (values[period:] <= 100.0)).all()


@settings(max_examples=60, deadline=None)
@given(
    close=prices,
    spread=st.floats(0.0, 0.1),
    period=st.integers(1, 15),
)
def test_stoch_and_willr_stay_within_their_ranges(
    close: np.ndarray, spread: float, period: int
) -> None:
    high, low = close * (1.0 + spread), close * (1.0 - spread)
    k, d = momentum.stoch(high, low, close, period, 3, 0, 3)
    williams = momentum.willr(high, low, close, max(period, 2))
    for line in (k, d):
        valid = line[~np.isnan(line)]
        assert ((valid >= -1e-9) & (valid <= 100.0 + 1e-9)).all()
    valid = williams[~np.isnan(williams)]
    assert ((valid >= -100.0 - 1e-9) & (valid <= 1e-9)).all()


@settings(max_examples=40, deadline=None)
@given(close=prices, volume=st.floats(0.0, 1e6), period=st.integers(2, 20))
def test_mfi_stays_within_0_and_100(close: np.ndarray, volume: float, period: int) -> None:
    values = momentum.mfi(close * 1.01, close * 0.99, close, np.full(close.shape, volume), period)
    valid = values[period:]
    assert np.isfinite(valid).all()
    assert ((valid >= 0.0) & (valid <= 100.0)).all()


@pytest.mark.parametrize("period", [1, 2, 3, 14])
def test_window_oscillators_at_every_length_near_block_edges_match_talib(period: int) -> None:
    data = synthetic_ohlcv(4 * period + 3, seed=period)
    for length in range(max(period, 2), 4 * period + 3):
        columns = (data["high"][:length], data["low"][:length], data["close"][:length])
        ours = momentum.stoch(*columns, fastk_period=period, slowk_period=1, slowd_period=1)
        theirs = talib.STOCH(*columns, fastk_period=period, slowk_period=1, slowd_period=1)
        assert_oscillator_matches(ours.k, theirs[0])
        if period > 1:
            assert_matches_talib(momentum.willr(*columns, period), talib.WILLR(*columns, period))


@pytest.mark.parametrize("period", [2, 5, 14])
def test_cci_at_every_length_after_warm_up_matches_talib(period: int) -> None:
    data = synthetic_ohlcv(period + 12, seed=period)
    for length in range(period, period + 12):
        columns = (data["high"][:length], data["low"][:length], data["close"][:length])
        assert_matches_talib(momentum.cci(*columns, period), talib.CCI(*columns, period))
