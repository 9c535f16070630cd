"""Built-in strategies: their rules, parameters, ATR levels and warm-up."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantdesk.backtest import run
from quantdesk.errors import ValidationError
from quantdesk.indicators import bbands, donchian, macd, rsi, supertrend
from quantdesk.strategies import available, crossings, get
from tests.fixtures.backtest import price_bars
from tests.fixtures.strategies import BUILTINS, random_bars


@pytest.fixture(scope="module")
def bars() -> Any:
    return random_bars(2_000, seed=11)


def _after(flags: np.ndarray, warmup: int) -> np.ndarray:
    out = flags.copy()
    out[:warmup] = False
    return out


def test_available_lists_every_builtin() -> None:
    assert set(BUILTINS) <= {info.name for info in available()}


def test_rsi_reversion_enters_on_cross_up_through_lower_and_exits_through_upper(bars: Any) -> None:
    strategy = get("rsi_reversion")(period=10, lower=25, upper=75)
    value = rsi(bars.close, timeperiod=10)
    signals = strategy.signals(bars)
    np.testing.assert_array_equal(signals.entries, crossings(value, np.full(len(bars), 25.0))[0])
    np.testing.assert_array_equal(signals.exits, crossings(value, np.full(len(bars), 75.0))[0])
    np.testing.assert_array_equal(
        signals.short_entries, crossings(value, np.full(len(bars), 75.0))[1]
    )
    assert signals.entries.any()
    assert signals.exits.any()


def test_rsi_reversion_exit_level_exits_earlier(bars: Any) -> None:
    plain = get("rsi_reversion")().signals(bars)
    early = get("rsi_reversion")(exit_level=50).signals(bars)
    through_fifty = crossings(rsi(bars.close), np.full(len(bars), 50.0))[0]
    np.testing.assert_array_equal(early.exits, plain.exits | through_fifty)
    np.testing.assert_array_equal(early.entries, plain.entries)


def test_macd_cross_follows_macd_and_signal_crossings(bars: Any) -> None:
    lines = macd(bars.close, 8, 21, 5)
    signals = get("macd_cross")(fast=8, slow=21, signal=5).signals(bars)
    up, down = crossings(lines.macd, lines.signal)
    np.testing.assert_array_equal(signals.entries, up)
    np.testing.assert_array_equal(signals.exits, down)
    np.testing.assert_array_equal(signals.short_entries, down)


@pytest.mark.parametrize("exit_at", ["middle", "upper"])
def test_bollinger_reversion_buys_back_inside_lower_band(bars: Any, exit_at: str) -> None:
    bands = bbands(bars.close, 20, 2.0, 2.0)
    signals = get("bollinger_reversion")(exit_at=exit_at).signals(bars)
    np.testing.assert_array_equal(signals.entries, crossings(bars.close, bands.lower)[0])
    target = bands.middle if exit_at == "middle" else bands.upper
    np.testing.assert_array_equal(signals.exits, _after(bars.close >= target, 20))
    assert signals.entries.any()


def test_bollinger_breakout_buys_close_above_upper_and_sells_below_middle(bars: Any) -> None:
    bands = bbands(bars.close, 30, 1.5, 1.5)
    signals = get("bollinger_breakout")(period=30, deviations=1.5).signals(bars)
    np.testing.assert_array_equal(signals.entries, crossings(bars.close, bands.upper)[0])
    np.testing.assert_array_equal(signals.exits, _after(bars.close < bands.middle, 30))
    np.testing.assert_array_equal(signals.short_entries, crossings(bars.close, bands.lower)[1])


def test_donchian_breakout_uses_previous_bars_channel() -> None:
    close = [10.0, 11, 12, 11, 10, 9, 12, 13, 12, 8]
    bars = price_bars(close, high=[c + 0.5 for c in close], low=[c - 0.5 for c in close])
    signals = get("donchian_breakout")(entry_period=3, exit_period=2).signals(bars)
    # bar 6 closes at 12 above the 11.5 high of bars 3-5; bar 7 at 13 above 12.5
    assert np.flatnonzero(signals.entries).tolist() == [6, 7]
    # bar 4 closes at 10 below the 10.5 low of bars 2-3, bar 5 at 9 below 9.5, bar 9 at 8
    # below 11.5
    assert np.flatnonzero(signals.exits).tolist() == [4, 5, 9]


def test_donchian_breakout_matches_shifted_channels(bars: Any) -> None:
    entry, exit_ = donchian(bars.high, bars.low, 20), donchian(bars.high, bars.low, 10)
    signals = get("donchian_breakout")().signals(bars)
    np.testing.assert_array_equal(signals.entries[1:], bars.close[1:] > entry.upper[:-1])
    np.testing.assert_array_equal(signals.exits[20:], bars.close[20:] < exit_.lower[19:-1])


def test_supertrend_enters_on_flip_up_and_exits_on_flip_down(bars: Any) -> None:
    direction = supertrend(bars.high, bars.low, bars.close, 7, 2.0).direction
    signals = get("supertrend")(period=7, multiplier=2.0).signals(bars)
    flips = np.flatnonzero(np.diff(direction) != 0) + 1
    flips = flips[~np.isnan(direction[flips - 1])]
    assert np.flatnonzero(signals.entries | signals.exits).tolist() == flips.tolist()
    assert (direction[signals.entries] == 1.0).all()
    assert (direction[signals.exits] == -1.0).all()


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("rsi_reversion", {"lower": 70, "upper": 30}, r"lower \(70.0\) must be below upper"),
        ("rsi_reversion", {"exit_level": 80}, r"exit_level \(80.0\) must lie between"),
        ("rsi_reversion", {"period": 1}, "parameter period: Input should be greater than or"),
        ("macd_cross", {"fast": 26, "slow": 12}, r"fast \(26\) must be below slow \(12\)"),
        ("bollinger_reversion", {"exit_at": "lower"}, "parameter exit_at: Input should be"),
        ("bollinger_breakout", {"deviations": 0}, "parameter deviations: Input should be"),
        ("donchian_breakout", {"exit_period": 30}, r"exit_period \(30\) must not exceed"),
        ("supertrend", {"multiplier": -1}, "parameter multiplier: Input should be greater"),
        ("supertrend", {"stop_atr": 0}, "parameter stop_atr: Input should be greater than 0"),
    ],
)
def test_builtin_parameters_bad_values_name_the_parameter(
    name: str, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        get(name)(params)


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_defaults_build_without_parameters(name: str) -> None:
    strategy = get(name)()
    assert strategy.warmup > 0
    assert get(name).description()


@pytest.mark.parametrize(
    "name",
    ["rsi_reversion", "macd_cross", "bollinger_reversion", "bollinger_breakout", "supertrend"],
)
def test_atr_levels_sit_on_the_losing_side_of_each_entry(bars: Any, name: str) -> None:
    signals = get(name)(stop_atr=2.0, target_atr=3.0).signals(bars)
    assert signals.stop_loss is not None
    assert signals.take_profit is not None
    longs = signals.entries & ~signals.short_entries
    shorts = signals.short_entries & ~signals.entries
    assert longs.any()
    assert shorts.any()
    assert (signals.stop_loss[longs] < bars.close[longs]).all()
    assert (signals.take_profit[longs] > bars.close[longs]).all()
    assert (signals.stop_loss[shorts] > bars.close[shorts]).all()
    assert (signals.take_profit[shorts] < bars.close[shorts]).all()


def test_atr_levels_absent_unless_asked(bars: Any) -> None:
    signals = get("donchian_breakout")().signals(bars)
    assert signals.stop_loss is None
    assert signals.take_profit is None


def test_atr_levels_delay_warmup_to_the_atr(bars: Any) -> None:
    strategy = get("supertrend")(period=5, stop_atr=1.5, atr_period=40)
    assert strategy.warmup == 40
    assert not strategy.signals(bars).entries[:40].any()


def test_atr_stop_exits_a_backtest_trade(bars: Any) -> None:
    result = run("bollinger_breakout", bars, {"stop_atr": 0.5}, allow_short=True)
    assert "stop_loss" in set(result.trades["exit_reason"])


WARMUP_CASES = st.one_of(
    st.tuples(st.just("rsi_reversion"), st.fixed_dictionaries({"period": st.integers(2, 40)})),
    st.tuples(
        st.just("macd_cross"),
        st.fixed_dictionaries(
            {"fast": st.integers(2, 10), "slow": st.integers(11, 40), "signal": st.integers(1, 15)}
        ),
    ),
    st.tuples(
        st.sampled_from(["bollinger_reversion", "bollinger_breakout"]),
        st.fixed_dictionaries({"period": st.integers(2, 60), "deviations": st.floats(0.5, 3)}),
    ),
    st.tuples(
        st.just("donchian_breakout"),
        st.integers(1, 60).flatmap(
            lambda entry: st.fixed_dictionaries(
                {"entry_period": st.just(entry), "exit_period": st.integers(1, entry)}
            )
        ),
    ),
    st.tuples(
        st.just("supertrend"),
        st.fixed_dictionaries({"period": st.integers(1, 40), "stop_atr": st.none() | st.just(2.0)}),
    ),
    st.tuples(
        st.sampled_from(["sma_cross", "ema_cross"]),
        st.integers(2, 20).map(lambda fast: {"fast": fast, "slow": fast * 3}),
    ),
)


@settings(max_examples=60, deadline=None)
@given(case=WARMUP_CASES, seed=st.integers(0, 10_000))
def test_builtin_no_entry_or_trade_before_warmup(
    case: tuple[str, dict[str, Any]], seed: int
) -> None:
    name, params = case
    bars = random_bars(300, seed=seed)
    strategy = get(name)(params)
    signals = strategy.signals(bars)
    assert not signals.entries[: strategy.warmup].any()
    assert signals.short_entries is not None
    assert not signals.short_entries[: strategy.warmup].any()
    result = run(strategy, bars, allow_short=True)
    entered = np.concatenate((result.trades["entry_index"], result.positions["entry_index"]))
    assert (entered > strategy.warmup).all()
