"""The registry lists every indicator with parameters, outputs and display, and computes them."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import talib
from talib import abstract

import quantdesk.indicators as indicators
from quantdesk.bars import Bars
from quantdesk.errors import NotFoundError, ValidationError
from quantdesk.indicators import available, compute, get
from tests.fixtures.market_data import synthetic_ohlcv

EXPECTED = {
    *("sma", "ema", "wma", "dema", "tema", "kama", "rsi", "macd", "bbands", "atr", "natr"),
    *("stoch", "stochrsi", "adx", "plus_di", "minus_di", "cci", "willr", "obv", "mfi"),
    *("roc", "mom", "sar", "vwap", "session_vwap", "donchian", "keltner", "supertrend"),
    "ichimoku",
}
SPECS = available()


def test_registry_lists_every_indicator_of_the_issue() -> None:
    assert {spec.name for spec in SPECS} == EXPECTED


def test_every_registered_indicator_is_exported_by_the_package() -> None:
    assert all(getattr(indicators, spec.name) is spec.function for spec in SPECS)


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_parameter_defaults_match_the_function_signature(spec: indicators.IndicatorSpec) -> None:
    signature = inspect.signature(spec.function)
    positional = [
        name for name in signature.parameters if name not in {p.name for p in spec.parameters}
    ]
    assert positional == list(spec.inputs)
    for parameter in spec.parameters:
        assert signature.parameters[parameter.name].default == parameter.default


@pytest.mark.parametrize("spec", [s for s in SPECS if s.talib], ids=lambda spec: spec.name)
def test_indicators_marked_talib_exist_in_talib(spec: indicators.IndicatorSpec) -> None:
    assert callable(getattr(talib, spec.name.upper()))


@pytest.mark.parametrize("spec", [s for s in SPECS if s.talib], ids=lambda spec: spec.name)
def test_parameter_defaults_are_talibs(spec: indicators.IndicatorSpec) -> None:
    theirs = abstract.Function(spec.name.upper()).parameters
    ours = {parameter.name: parameter.default for parameter in spec.parameters}
    assert {name: theirs[name] for name in ours if name in theirs} == {
        name: value for name, value in ours.items() if name in theirs
    }
    assert set(ours) <= set(theirs)


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_compute_with_defaults_returns_every_output_at_input_length(
    spec: indicators.IndicatorSpec,
) -> None:
    data = synthetic_ohlcv(300, seed=4)
    result = compute(spec.name, data)
    assert list(result) == list(spec.outputs)
    assert all(values.shape == (300,) and values.dtype == np.float64 for values in result.values())
    assert all(not np.isnan(values[-1]) for values in result.values())


def test_compute_on_bars_columns_equals_direct_call() -> None:
    data = synthetic_ohlcv(200, seed=3)
    bars = Bars.from_arrays(
        data["timestamps"], *(data[c] for c in ("open", "high", "low", "close", "volume"))
    )
    result = compute("bbands", bars.columns, timeperiod=10)
    direct = indicators.bbands(data["close"], timeperiod=10)
    np.testing.assert_array_equal(result["upper"], direct.upper)


def test_display_flags_separate_overlays_from_panes() -> None:
    assert get("sma").overlay
    assert get("bbands").overlay
    assert not get("atr").overlay
    assert not get("obv").overlay


def test_parameter_bounds_follow_talib() -> None:
    period = get("sma").parameters[0]
    assert (period.name, period.type, period.default, period.minimum) == (
        "timeperiod",
        "int",
        30,
        2,
    )


def test_description_is_the_first_docstring_line() -> None:
    assert get("obv").description.startswith("On-balance volume")


def test_unknown_indicator_raises_not_found() -> None:
    with pytest.raises(NotFoundError, match="indicator nope was not found"):
        get("nope")


def test_compute_with_unknown_parameter_lists_the_known_ones() -> None:
    with pytest.raises(ValidationError, match="sma has no parameter period; it takes timeperiod"):
        compute("sma", {"close": np.ones(5)}, period=3)


def test_compute_with_out_of_bounds_parameter_names_the_bound() -> None:
    with pytest.raises(ValidationError, match="timeperiod must be at least 2"):
        compute("ema", {"close": np.ones(5)}, timeperiod=1)


def test_compute_without_an_input_column_names_it() -> None:
    with pytest.raises(ValidationError, match="atr needs the input column"):
        compute("atr", {"close": np.ones(5)})
