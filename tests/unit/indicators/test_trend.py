"""Trend indicators: ADX, DI and SAR against TA-Lib; Supertrend and Ichimoku by hand."""

from __future__ import annotations

import numpy as np
import pytest
import talib

from quantdesk.errors import ValidationError
from quantdesk.indicators import trend
from quantdesk.indicators.registry import get
from tests.fixtures.talib_checks import DATASET_IDS, assert_matches_talib, dataset

DIRECTIONAL = {"adx": talib.ADX, "plus_di": talib.PLUS_DI, "minus_di": talib.MINUS_DI}
SAR_PARAMETERS = ((0.02, 0.2), (0.05, 0.1), (0.3, 0.2), (0.0, 0.0))


@pytest.mark.parametrize("name", DATASET_IDS)
@pytest.mark.parametrize("indicator", sorted(DIRECTIONAL))
def test_directional_indicator_on_dataset_matches_talib(name: str, indicator: str) -> None:
    data = dataset(name)
    columns = (data["high"], data["low"], data["close"])
    for period in (14, 2, 30):
        ours = getattr(trend, indicator)(*columns, period)
        assert_matches_talib(ours, DIRECTIONAL[indicator](*columns, period))


@pytest.mark.parametrize("name", DATASET_IDS)
def test_sar_on_dataset_matches_talib(name: str) -> None:
    data = dataset(name)
    for acceleration, maximum in SAR_PARAMETERS:
        ours = trend.sar(data["high"], data["low"], acceleration, maximum)
        assert_matches_talib(ours, talib.SAR(data["high"], data["low"], acceleration, maximum))


def test_sar_starts_short_when_first_bar_moves_down() -> None:
    high, low = np.array([10.0, 9.0, 8.0, 7.0]), np.array([9.0, 7.5, 6.0, 5.0])
    values = trend.sar(high, low)
    assert values[1] == 10.0  # bar 0's high: the trade starts short
    np.testing.assert_allclose(values[2], 10.0 + 0.02 * (7.5 - 10.0))


def test_negative_sar_factor_raises_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="acceleration must be at least 0"):
        trend.sar(np.ones(5), np.ones(5), acceleration=-0.1)


def test_supertrend_follows_published_band_flip_rules() -> None:
    high = np.array([2.0, 3, 4, 5, 6, 5, 3, 2])
    low = high - 1.0
    close = high - 0.5
    result = trend.supertrend(high, low, close, timeperiod=1, multiplier=1.0)
    # ATR(1) is each bar's true range; bands are hl2 ± ATR, ratcheting until the close breaks them.
    np.testing.assert_array_equal(result.direction, [np.nan, -1, -1, 1, 1, 1, -1, -1])
    np.testing.assert_array_equal(result.value, [np.nan, 4.0, 4.0, 3.0, 4.0, 4.0, 5.0, 3.0])


def test_supertrend_has_no_look_ahead() -> None:
    data = dataset("synthetic")
    columns = (data["high"], data["low"], data["close"])
    full = trend.supertrend(*columns)
    for stop in (50, 333, 700):
        prefix = trend.supertrend(*(column[:stop] for column in columns))
        np.testing.assert_array_equal(prefix.value, full.value[:stop])
        np.testing.assert_array_equal(prefix.direction, full.direction[:stop])


def test_supertrend_line_stays_on_the_trend_side_of_the_close() -> None:
    data = dataset("gaps")
    result = trend.supertrend(data["high"], data["low"], data["close"], 10, 3.0)
    warm = ~np.isnan(result.direction)
    assert set(np.unique(result.direction[warm])) <= {-1.0, 1.0}
    rising, falling = warm & (result.direction > 0), warm & (result.direction < 0)
    assert (result.value[rising] <= data["close"][rising]).all()
    assert (result.value[falling] >= data["close"][falling]).all()


def test_ichimoku_lines_match_hand_worked_midpoints() -> None:
    high = np.array([10.0, 12, 11, 15, 14, 13])
    low = np.array([8.0, 9, 7, 10, 12, 11])
    close = np.array([9.0, 11, 8, 14, 13, 12])
    lines = trend.ichimoku(high, low, close, tenkan_period=2, kijun_period=3, senkou_period=4)
    np.testing.assert_array_equal(lines.tenkan, [np.nan, 10.0, 9.5, 11.0, 12.5, 12.5])
    np.testing.assert_array_equal(lines.kijun, [np.nan, np.nan, 9.5, 11.0, 11.0, 12.5])
    np.testing.assert_array_equal(lines.senkou_a, [np.nan, np.nan, 9.5, 11.0, 11.75, 12.5])
    np.testing.assert_array_equal(lines.senkou_b, [np.nan, np.nan, np.nan, 11.0, 11.0, 11.0])
    np.testing.assert_array_equal(lines.chikou, close)


def test_ichimoku_defaults_warm_up_and_never_look_ahead() -> None:
    data = dataset("real_GOOG")
    columns = (data["high"], data["low"], data["close"])
    full = trend.ichimoku(*columns)
    assert [int(np.isnan(line).sum()) for line in full[:4]] == [8, 25, 25, 51]
    prefix = trend.ichimoku(*(column[:300] for column in columns))
    for short, long in zip(prefix, full, strict=True):
        np.testing.assert_array_equal(short, long[:300])


def test_registry_lists_trend_outputs_and_talib_flags() -> None:
    assert get("supertrend").outputs == ("value", "direction")
    assert get("ichimoku").outputs == ("tenkan", "kijun", "senkou_a", "senkou_b", "chikou")
    assert not get("ichimoku").talib
    assert get("sar").talib
    assert [p.name for p in get("sar").parameters] == ["acceleration", "maximum"]


@pytest.mark.parametrize(("acceleration", "maximum"), SAR_PARAMETERS[:3])
def test_sar_on_zigzag_prices_flips_where_talib_flips(acceleration: float, maximum: float) -> None:
    wave = 100.0 + 5.0 * np.sin(np.arange(400) / 3.0) + np.arange(400) * 0.01
    high, low = wave + 1.0, wave - 1.0
    ours = trend.sar(high, low, acceleration, maximum)
    assert_matches_talib(ours, talib.SAR(high, low, acceleration, maximum))
    assert (np.diff(np.sign(ours[1:] - wave[1:])) != 0).sum() > 10
