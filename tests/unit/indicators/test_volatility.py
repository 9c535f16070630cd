"""Volatility indicators against TA-Lib, and Donchian and Keltner against their definitions."""

from __future__ import annotations

import numpy as np
import pytest
import talib

from quantdesk.errors import ValidationError
from quantdesk.indicators import volatility
from tests.fixtures.market_data import Columns, synthetic_ohlcv
from tests.fixtures.talib_checks import assert_matches_talib

BANDS = ((2.0, 2.0), (1.0, 1.0), (1.5, 2.5))


@pytest.mark.parametrize("period", [1, 2, 14, 30])
def test_atr_on_dataset_matches_talib(market: Columns, period: int) -> None:
    high, low, close = market["high"], market["low"], market["close"]
    assert_matches_talib(
        volatility.atr(high, low, close, period), talib.ATR(high, low, close, period)
    )


@pytest.mark.parametrize("period", [2, 14, 30])
def test_natr_on_dataset_matches_talib(market: Columns, period: int) -> None:
    high, low, close = market["high"], market["low"], market["close"]
    assert_matches_talib(
        volatility.natr(high, low, close, period), talib.NATR(high, low, close, period)
    )


@pytest.mark.parametrize("period", [2, 5, 20])
@pytest.mark.parametrize(("up", "down"), BANDS)
def test_bbands_on_dataset_matches_talib_on_every_band(
    market: Columns, period: int, up: float, down: float
) -> None:
    ours = volatility.bbands(market["close"], period, up, down)
    theirs = talib.BBANDS(market["close"], period, up, down)
    for band, expected in zip(ours, theirs, strict=True):
        assert_matches_talib(band, expected)


def test_atr_over_long_history_stays_with_talib() -> None:
    data = synthetic_ohlcv(300_000, seed=12)
    high, low, close = data["high"], data["low"], data["close"]
    assert_matches_talib(volatility.atr(high, low, close), talib.ATR(high, low, close))


def test_atr_of_hand_worked_bars_uses_previous_close() -> None:
    high, low, close = [10.0, 12.0, 11.0], [9.0, 11.5, 10.0], [9.5, 12.0, 10.5]
    result = volatility.atr(high, low, close, timeperiod=1)
    assert result[1:].tolist() == [12.0 - 9.5, 12.0 - 10.0]


def test_bbands_of_flat_window_has_no_width() -> None:
    bands = volatility.bbands(np.full(10, 1.12044), timeperiod=5)
    assert (bands.upper[4:] == bands.middle[4:]).all()
    assert (bands.lower[4:] == bands.middle[4:]).all()


def test_bbands_width_is_population_standard_deviation() -> None:
    bands = volatility.bbands([1.0, 2.0, 3.0], timeperiod=3, nbdevup=1.0, nbdevdn=1.0)
    assert bands.upper[2] == pytest.approx(2.0 + np.std([1.0, 2.0, 3.0]), rel=1e-15)


def test_donchian_of_hand_worked_bars_tracks_window_extremes() -> None:
    bands = volatility.donchian([3.0, 5.0, 4.0, 2.0], [1.0, 2.0, 0.0, 1.0], timeperiod=2)
    assert bands.upper[1:].tolist() == [5.0, 5.0, 4.0]
    assert bands.lower[1:].tolist() == [1.0, 0.0, 0.0]
    assert bands.middle[1:].tolist() == [3.0, 2.5, 2.0]
    assert np.isnan(bands.upper[0])


@pytest.mark.parametrize("period", [1, 2, 20, 55])
def test_donchian_on_dataset_equals_rolling_extremes(market: Columns, period: int) -> None:
    bands = volatility.donchian(market["high"], market["low"], period)
    windows = np.lib.stride_tricks.sliding_window_view
    assert (bands.upper[period - 1 :] == windows(market["high"], period).max(axis=1)).all()
    assert (bands.lower[period - 1 :] == windows(market["low"], period).min(axis=1)).all()
    assert np.isnan(bands.middle[: period - 1]).all()


def test_keltner_of_hand_worked_bars_is_ema_plus_multiple_of_atr() -> None:
    # EMA(2) of close: 2.5, 3.5, 4.5 from bar 1; ATR(2): 2, 2 from bar 2.
    bands = volatility.keltner(
        [3.0, 4.0, 5.0, 6.0], [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0], 2, 2, 1.0
    )
    assert bands.middle[2:].tolist() == [3.5, 4.5]
    assert bands.upper[2:].tolist() == [5.5, 6.5]
    assert bands.lower[2:].tolist() == [1.5, 2.5]
    assert np.isnan(bands.upper[:2]).all()
    assert np.isnan(bands.middle[:2]).all()


def test_keltner_on_dataset_is_talib_ema_and_atr_combined(market: Columns) -> None:
    high, low, close = market["high"], market["low"], market["close"]
    bands = volatility.keltner(high, low, close, timeperiod=20, atr_period=10, multiplier=2.0)
    middle, width = talib.EMA(close, 20), 2.0 * talib.ATR(high, low, close, 10)
    assert_matches_talib(bands.middle, middle)
    assert_matches_talib(bands.upper, middle + width)
    assert_matches_talib(bands.lower, middle - width)


def test_natr_period_of_one_raises_because_talib_does_not_normalise_it() -> None:
    with pytest.raises(ValidationError, match="timeperiod must be at least 2"):
        volatility.natr([2.0, 3.0], [1.0, 2.0], [1.5, 2.5], timeperiod=1)


def test_bbands_infinite_deviation_raises_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="nbdevup must be a finite number"):
        volatility.bbands([1.0, 2.0, 3.0], nbdevup=float("inf"))


def test_atr_inputs_of_different_lengths_raise_naming_them() -> None:
    with pytest.raises(ValidationError, match="high=3, low=2, close=3"):
        volatility.atr([1.0, 2.0, 3.0], [1.0, 2.0], [1.0, 2.0, 3.0])
