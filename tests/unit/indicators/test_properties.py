"""Properties every indicator keeps on any finite input, checked with Hypothesis."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quantdesk.indicators import (
    IndicatorSpec,
    available,
    bbands,
    compute,
    moving_averages,
    rsi,
    sma,
)

MOVING_AVERAGES = ("sma", "ema", "wma", "dema", "tema", "kama")
SPECS = available()
EXAMPLES = settings(max_examples=40, deadline=None)


@st.composite
def ohlcv(draw: st.DrawFn, min_size: int = 1, max_size: int = 250) -> dict[str, np.ndarray]:
    """Valid bars: a positive random walk with wicks, some flat stretches, some zero volume."""
    size = draw(st.integers(min_size, max_size))
    steps = draw(
        arrays(np.float64, size, elements=st.sampled_from([-0.05, -0.01, 0.0, 0.01, 0.05]))
    )
    scale = draw(st.sampled_from([1e-6, 1.0, 100.0, 1e7]))
    close = scale * np.exp(np.cumsum(steps))
    open_ = np.concatenate(([close[0]], close[:-1]))
    wick = draw(arrays(np.float64, size, elements=st.floats(0.0, 0.02)))
    volume = draw(arrays(np.float64, size, elements=st.sampled_from([0.0, 1.0, 250.0, 1e6])))
    return {
        "timestamps": np.arange(size, dtype=np.int64) * 60_000_000_000,
        "open": open_,
        "high": np.maximum(open_, close) * (1 + wick),
        "low": np.minimum(open_, close) * (1 - wick),
        "close": close,
        "volume": volume,
    }


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
@EXAMPLES
@given(data=ohlcv())
def test_no_nan_after_warm_up_for_finite_input(
    spec: IndicatorSpec, data: dict[str, np.ndarray]
) -> None:
    for name, values in compute(spec.name, data).items():
        valid = np.flatnonzero(~np.isnan(values))
        if valid.size:
            assert not np.isnan(values[valid[0] :]).any(), f"{name} has NaN after its warm-up"


@EXAMPLES
@given(data=ohlcv(min_size=2), period=st.integers(2, 30))
def test_rsi_stays_within_0_and_100(data: dict[str, np.ndarray], period: int) -> None:
    values = rsi(data["close"], period)
    finite = values[~np.isnan(values)]
    assert ((finite >= 0.0) & (finite <= 100.0)).all()


@EXAMPLES
@given(data=ohlcv(min_size=2), period=st.integers(2, 30))
def test_bbands_middle_band_is_the_sma(data: dict[str, np.ndarray], period: int) -> None:
    middle, average = bbands(data["close"], period).middle, sma(data["close"], period)
    np.testing.assert_array_equal(middle, average)


@EXAMPLES
@given(data=ohlcv(min_size=2), period=st.integers(2, 30))
def test_bbands_upper_above_middle_above_lower(data: dict[str, np.ndarray], period: int) -> None:
    bands = bbands(data["close"], period)
    valid = ~np.isnan(bands.middle)
    assert (bands.upper[valid] >= bands.middle[valid]).all()
    assert (bands.middle[valid] >= bands.lower[valid]).all()


@pytest.mark.parametrize("name", MOVING_AVERAGES)
@EXAMPLES
@given(
    data=ohlcv(min_size=2),
    period=st.integers(2, 30),
    shift=st.floats(-1e3, 1e3, allow_nan=False).filter(lambda value: abs(value) > 1e-3),
)
def test_shifting_prices_shifts_the_moving_average_by_the_same_constant(
    name: str, data: dict[str, np.ndarray], period: int, shift: float
) -> None:
    close = data["close"]
    function = getattr(moving_averages, name)
    moved, base = function(close + shift, period), function(close, period)
    tolerance = 1e-9 * (np.abs(close).max() + abs(shift))
    np.testing.assert_allclose(moved, base + shift, rtol=0, atol=tolerance)


@pytest.mark.parametrize("name", ["sma", "ema", "wma", "kama"])
@EXAMPLES
@given(data=ohlcv(min_size=2), period=st.integers(2, 30))
def test_averages_without_overshoot_stay_within_the_price_range(
    name: str, data: dict[str, np.ndarray], period: int
) -> None:
    close = data["close"]
    values = getattr(moving_averages, name)(close, period)
    finite = values[~np.isnan(values)]
    spread = 1e-9 * close.max()
    assert ((finite >= close.min() - spread) & (finite <= close.max() + spread)).all()
