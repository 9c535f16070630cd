"""OBV against TA-Lib; rolling and session VWAP against the published definition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib

from quantdesk.errors import ValidationError
from quantdesk.indicators import volume
from tests.fixtures.market_data import Columns, synthetic_ohlcv
from tests.fixtures.talib_checks import assert_matches_talib

DAY = 86_400 * 10**9
HOUR = 3_600 * 10**9


def typical(data: Columns) -> np.ndarray:
    return (data["high"] + data["low"] + data["close"]) / 3.0


def test_obv_on_dataset_matches_talib(market: Columns) -> None:
    assert_matches_talib(
        volume.obv(market["close"], market["volume"]), talib.OBV(market["close"], market["volume"])
    )


def test_obv_adds_on_rise_subtracts_on_fall_keeps_on_tie() -> None:
    result = volume.obv([1.0, 2.0, 1.5, 1.5], [10.0, 20.0, 5.0, 7.0])
    assert result.tolist() == [10.0, 30.0, 25.0, 25.0]


def test_vwap_of_hand_worked_bars_weights_typical_price_by_volume() -> None:
    # Typical prices 1.5 and 3.0 with volumes 1 and 3: (1.5 + 9) / 4.
    result = volume.vwap([2.0, 4.0], [1.0, 2.0], [1.5, 3.0], [1.0, 3.0], timeperiod=2)
    assert np.isnan(result[0])
    assert result[1] == 2.625


@pytest.mark.parametrize("period", [1, 5, 20])
def test_vwap_on_dataset_equals_windowed_definition(market: Columns, period: int) -> None:
    result = volume.vwap(market["high"], market["low"], market["close"], market["volume"], period)
    window = np.ones(period)
    traded = np.convolve(typical(market) * market["volume"], window, "valid")
    shares = np.convolve(market["volume"], window, "valid")
    fallback = typical(market)[period - 1 :]
    expected = np.where(shares > 0, traded / np.where(shares > 0, shares, 1.0), fallback)
    np.testing.assert_allclose(result[period - 1 :], expected, rtol=1e-9)
    assert np.isnan(result[: period - 1]).all()


def test_vwap_without_volume_falls_back_to_typical_price() -> None:
    result = volume.vwap([2.0, 4.0], [1.0, 2.0], [1.5, 3.0], [0.0, 0.0], timeperiod=2)
    assert result[1] == 3.0


def test_session_vwap_resets_at_each_utc_day() -> None:
    stamps = [0, HOUR, DAY, DAY + HOUR]
    result = volume.session_vwap(
        stamps, [2.0, 4.0, 4.0, 2.0], [1.0, 2.0, 2.0, 1.0], [1.5, 3.0, 3.0, 1.5], [1, 3, 1, 1]
    )
    assert result.tolist() == [1.5, 2.625, 3.0, 2.25]


def test_session_vwap_offset_moves_the_session_open() -> None:
    stamps = [9 * HOUR, 10 * HOUR, 11 * HOUR]
    ones = [1.0, 1.0, 1.0]
    prices = [1.0, 3.0, 5.0]
    result = volume.session_vwap(stamps, prices, prices, prices, ones, offset=10 * 60)
    assert result.tolist() == [1.0, 3.0, 4.0]


def test_session_vwap_weeks_start_on_monday() -> None:
    sunday, monday = np.datetime64("2024-01-07", "ns"), np.datetime64("2024-01-08", "ns")
    stamps = np.array([sunday, monday, monday + np.timedelta64(1, "D")])
    prices = [1.0, 3.0, 5.0]
    result = volume.session_vwap(stamps, prices, prices, prices, [1.0, 1.0, 1.0], session="1w")
    assert result.tolist() == [1.0, 3.0, 4.0]


def test_session_vwap_equals_grouped_definition_on_minute_bars() -> None:
    data = synthetic_ohlcv(5_000, seed=9)
    keep = np.ones(5_000, dtype=bool)
    keep[1_000:2_500] = False  # a gap of a day and more
    data = {name: column[keep] for name, column in data.items()}
    result = volume.session_vwap(
        data["timestamps"], data["high"], data["low"], data["close"], data["volume"]
    )
    frame = pd.DataFrame({"traded": typical(data) * data["volume"], "shares": data["volume"]})
    days = data["timestamps"] // DAY
    sums = frame.groupby(days).cumsum()
    np.testing.assert_allclose(result, sums["traded"] / sums["shares"], rtol=1e-9)


def test_session_vwap_with_unknown_session_raises_listing_choices() -> None:
    with pytest.raises(ValidationError, match="session must be one of 1h, 4h, 1d, 1w"):
        volume.session_vwap([0], [1.0], [1.0], [1.0], [1.0], session="2d")


def test_session_vwap_with_fewer_timestamps_raises() -> None:
    with pytest.raises(ValidationError, match="timestamps has 1 values but the prices have 2"):
        volume.session_vwap([0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0])


def test_session_vwap_with_float_timestamps_raises() -> None:
    with pytest.raises(ValidationError, match="int64 UTC nanoseconds"):
        volume.session_vwap([0.5], [1.0], [1.0], [1.0], [1.0])
