"""Synthetic bars: deterministic per seed, always valid, volatility that changes by regime."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from quantdesk.errors import NotFoundError, ValidationError
from quantdesk.marketdata.synthetic import SyntheticProvider, SyntheticSpec, seed_of, synthetic_bars

START = datetime(2024, 1, 1, 10, 17, tzinfo=UTC)


def spec(**changes: object) -> SyntheticSpec:
    values: dict[str, object] = {
        "symbol": "SYN",
        "timeframe": "1h",
        "start": START,
        "bars": 2_000,
        "seed": 7,
    }
    return SyntheticSpec(**(values | changes))  # type: ignore[arg-type]


def test_synthetic_bars_same_seed_identical() -> None:
    first, second = synthetic_bars(spec()), synthetic_bars(spec())
    for name, values in first.columns.items():
        np.testing.assert_array_equal(values, second.columns[name])


def test_synthetic_bars_other_seed_differs() -> None:
    assert not np.array_equal(synthetic_bars(spec()).close, synthetic_bars(spec(seed=8)).close)


def test_synthetic_bars_valid_and_aligned() -> None:
    bars = synthetic_bars(spec(volatility=2.0))
    assert bars.validate() is bars
    assert len(bars) == 2_000
    assert bars.timestamps[0] == np.datetime64("2024-01-01T10:00", "ns").astype(np.int64)
    assert np.all(np.diff(bars.timestamps) == 3_600 * 10**9)
    assert np.all(bars.volume > 0)


def test_synthetic_bars_regimes_change_volatility() -> None:
    bars = synthetic_bars(spec(bars=20_000, regimes=(0.2, 5.0), regime_length=500))
    returns = np.abs(np.diff(np.log(bars.close)))
    windows = returns[: len(returns) // 500 * 500].reshape(-1, 500).mean(axis=1)
    assert windows.max() > 5 * windows.min()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bars", 0),
        ("bars", 5_000_001),
        ("initial_price", -1.0),
        ("initial_price", 1e-7),
        ("initial_price", 2e9),
        ("volatility", 9.0),
        ("volatility", float("nan")),
        ("drift", -5.5),
        ("regimes", ()),
        ("regimes", (0.5, 11.0)),
    ],
)
def test_synthetic_bars_bad_spec_names_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as error:
        synthetic_bars(spec(**{field: value}))
    assert error.value.details == {"field": field}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(("initial_price", "drift"), [(1e9, 5.0), (1e-6, -5.0)])
def test_synthetic_bars_largest_allowed_spec_finite_valid(
    initial_price: float, drift: float
) -> None:
    extreme = spec(
        timeframe="1m",
        bars=1_000_000,
        initial_price=initial_price,
        drift=drift,
        volatility=5.0,
    )
    bars = synthetic_bars(extreme)
    assert bars.validate() is bars
    for name in ("open", "high", "low", "close"):
        values = getattr(bars, name)
        assert np.isfinite(values).all(), name
        assert (values > 0).all(), name


async def test_synthetic_provider_window_is_slice_of_one_history() -> None:
    provider = SyntheticProvider(bars=500, until=datetime(2025, 1, 1, tzinfo=UTC))
    whole = await provider.fetch("abc", "1d", None, None)
    assert len(whole) == 500
    assert whole.timestamps[-1] == np.datetime64("2024-12-31", "ns").astype(np.int64)
    part = await provider.fetch(
        "ABC", "1d", datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 10)
    )
    assert len(part) == 10
    offset = int(np.searchsorted(whole.timestamps, part.timestamps[0]))
    np.testing.assert_array_equal(part.close, whole.close[offset : offset + 10])
    assert seed_of("abc") == seed_of("ABC")


async def test_synthetic_provider_symbols_get_their_own_series() -> None:
    provider = SyntheticProvider(bars=50)
    first, second = (
        await provider.fetch("AAA", "1h", None, None),
        await provider.fetch("BBB", "1h", None, None),
    )
    np.testing.assert_array_equal(first.timestamps, second.timestamps)
    assert not np.array_equal(first.close, second.close)


async def test_synthetic_provider_unknown_symbol_not_found() -> None:
    with pytest.raises(NotFoundError):
        await SyntheticProvider(symbols={"AAA"}).fetch("BBB", "1d", None, None)


@pytest.mark.filterwarnings("error")
def test_synthetic_bars_overflowing_prices_rejected_naming_drift() -> None:
    start = datetime(1700, 1, 1, tzinfo=UTC)
    extreme = spec(timeframe="1d", start=start, bars=100_000, drift=5.0, volatility=0.01)
    with pytest.raises(ValidationError) as error:
        synthetic_bars(extreme)
    assert error.value.details == {"field": "drift"}


@pytest.mark.filterwarnings("error")
def test_synthetic_bars_prices_dragged_to_zero_rejected_naming_volatility() -> None:
    start = datetime(1700, 1, 1, tzinfo=UTC)
    extreme = spec(timeframe="1d", start=start, bars=100_000, drift=0.0, volatility=5.0)
    with pytest.raises(ValidationError) as error:
        synthetic_bars(extreme)
    assert error.value.details == {"field": "volatility"}
    assert "lower volatility" in error.value.message


def test_synthetic_bars_start_beyond_timestamp_range_rejected() -> None:
    with pytest.raises(ValidationError) as error:
        synthetic_bars(spec(start=datetime(6511, 6, 23, tzinfo=UTC)))
    assert error.value.details == {"field": "start"}
