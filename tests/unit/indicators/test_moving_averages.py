"""Moving averages against TA-Lib on every dataset, and on hand-worked values."""

from __future__ import annotations

import numpy as np
import pytest
import talib

from quantdesk.errors import ValidationError
from quantdesk.indicators import moving_averages
from tests.fixtures.market_data import Columns, synthetic_ohlcv
from tests.fixtures.talib_checks import assert_matches_talib

NAMES = ("sma", "ema", "wma", "dema", "tema", "kama")
PERIODS = (2, 9, 30)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("period", PERIODS)
def test_moving_average_on_dataset_matches_talib(market: Columns, name: str, period: int) -> None:
    ours = getattr(moving_averages, name)(market["close"], timeperiod=period)
    theirs = getattr(talib, name.upper())(market["close"], timeperiod=period)
    assert_matches_talib(ours, theirs)


@pytest.mark.parametrize("name", NAMES)
def test_moving_average_default_period_matches_talib(market: Columns, name: str) -> None:
    ours = getattr(moving_averages, name)(market["close"])
    assert_matches_talib(ours, getattr(talib, name.upper())(market["close"]))


@pytest.mark.parametrize("name", ["sma", "wma", "kama", "ema"])
def test_moving_average_over_long_history_does_not_drift_from_talib(name: str) -> None:
    close = synthetic_ohlcv(300_000, seed=11)["close"]
    ours = getattr(moving_averages, name)(close, timeperiod=20)
    assert_matches_talib(ours, getattr(talib, name.upper())(close, timeperiod=20))


@pytest.mark.parametrize("name", NAMES)
def test_moving_average_with_leading_nans_starts_where_talib_starts(name: str) -> None:
    close = synthetic_ohlcv(200, seed=5)["close"]
    close[:7] = np.nan
    ours = getattr(moving_averages, name)(close, timeperiod=5)
    assert_matches_talib(ours, getattr(talib, name.upper())(close, timeperiod=5))


@pytest.mark.parametrize("name", NAMES)
def test_moving_average_shorter_than_its_period_is_all_nan(name: str) -> None:
    result = getattr(moving_averages, name)(np.arange(1.0, 6.0), timeperiod=10)
    assert result.shape == (5,)
    assert np.isnan(result).all()


def test_sma_of_hand_worked_series_is_window_mean() -> None:
    assert moving_averages.sma([1.0, 2.0, 3.0, 4.0], timeperiod=2)[1:].tolist() == [1.5, 2.5, 3.5]


def test_ema_is_seeded_with_sma_then_weighted_by_two_over_period_plus_one() -> None:
    result = moving_averages.ema([1.0, 2.0, 3.0, 10.0], timeperiod=3)
    assert np.isnan(result[:2]).all()
    assert result[2] == 2.0
    assert result[3] == pytest.approx(2.0 + (10.0 - 2.0) * 0.5)


def test_wma_weighs_newest_value_most() -> None:
    result = moving_averages.wma([3.0, 6.0, 9.0], timeperiod=3)
    assert result[2] == pytest.approx((3.0 * 1 + 6.0 * 2 + 9.0 * 3) / 6)


def test_kama_of_straight_line_follows_at_fastest_speed() -> None:
    line = np.arange(40.0)
    result = moving_averages.kama(line, timeperiod=10)
    fastest = (2.0 / 3.0) ** 2
    assert result[11] == pytest.approx(result[10] + (line[11] - result[10]) * fastest)


def test_moving_average_accepts_lists_and_integers() -> None:
    assert moving_averages.sma([1, 2, 3], 3)[2] == 2.0


def test_moving_average_of_empty_input_is_empty() -> None:
    assert moving_averages.ema(np.array([]), 5).shape == (0,)


@pytest.mark.parametrize("period", [1, 0, -3])
def test_moving_average_period_below_two_raises_naming_the_field(period: int) -> None:
    with pytest.raises(ValidationError, match="timeperiod must be at least 2"):
        moving_averages.sma([1.0, 2.0, 3.0], timeperiod=period)


def test_moving_average_of_two_dimensional_input_raises() -> None:
    with pytest.raises(ValidationError, match="one-dimensional"):
        moving_averages.ema(np.ones((3, 3)), 2)


def test_moving_average_of_text_raises() -> None:
    with pytest.raises(ValidationError, match="array of numbers"):
        moving_averages.sma(["a", "b"], 2)


def test_nan_inside_stays_nan_for_ema_and_until_the_next_re_sum_for_sma() -> None:
    close = np.arange(3_000.0) + 100.0
    close[100] = np.nan
    averages = moving_averages.ema(close, 5), moving_averages.sma(close, 5)
    assert np.isnan(averages[0][100:]).all()
    valid = np.flatnonzero(~np.isnan(averages[1]))
    assert valid[valid > 99][0] == 4 + moving_averages.RESYNC
