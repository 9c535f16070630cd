"""The look-ahead check: honest strategies pass, cheating ones are caught at the right bar."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from quantdesk.bars import Bars
from quantdesk.errors import ValidationError
from quantdesk.strategies import NoParameters, Signals, Strategy, get
from quantdesk.strategies.lookahead import check_lookahead, cut_positions
from tests.fixtures.market_data import edge_case_ohlcv
from tests.fixtures.strategies import BUILTINS, RULE_EXAMPLES, bars_of, random_bars


class PeekingStrategy(Strategy[NoParameters]):
    """Buy when the next close is higher: the classic shifted-series bug."""

    name = "peeking"

    def signals(self, bars: Bars) -> Signals:
        upcoming = np.append(bars.close[1:], np.nan)
        return Signals(entries=upcoming > bars.close, exits=np.zeros(len(bars), np.bool_))


class NormalisingStrategy(Strategy[NoParameters]):
    """Buy below the mean of the whole history: a statistic of bars not yet seen."""

    name = "normalising"

    def signals(self, bars: Bars) -> Signals:
        below = bars.close < bars.close.mean()
        return Signals(entries=below, exits=~below)


class PeekingStop(Strategy[NoParameters]):
    """Honest entries, but the stop is the lowest low of the next five bars."""

    name = "peeking_stop"

    def signals(self, bars: Bars) -> Signals:
        lows = np.append(bars.low, np.full(5, np.nan))
        windows = np.lib.stride_tricks.sliding_window_view(lows[1:], 5)
        entries = np.zeros(len(bars), np.bool_)
        entries[::50] = True
        return Signals(entries=entries, exits=~entries, stop_loss=windows.min(axis=1))


@pytest.fixture(scope="module")
def bars() -> Bars:
    return random_bars(3_000, seed=31)


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_passes_lookahead(bars: Bars, name: str) -> None:
    report = check_lookahead(name, bars)
    assert report.passed, report.summary()
    assert len(report.cuts) == 50


@pytest.mark.parametrize(
    "name", ["rsi_reversion", "macd_cross", "bollinger_reversion", "supertrend"]
)
def test_builtin_levels_pass_lookahead_at_every_bar(name: str) -> None:
    report = check_lookahead(
        name, random_bars(250, seed=3), params={"stop_atr": 2, "target_atr": 4}
    )
    assert report.passed, report.summary()
    assert report.cuts == tuple(range(1, 250))


@pytest.mark.parametrize("example", RULE_EXAMPLES)
def test_rules_expressions_pass_lookahead(bars: Bars, example: dict[str, Any]) -> None:
    report = check_lookahead("rules", bars, params=example, points=120)
    assert report.passed, report.summary()


@pytest.mark.parametrize("case", ["flat", "gaps"])
@pytest.mark.parametrize("name", BUILTINS)
def test_builtins_pass_lookahead_on_awkward_prices(name: str, case: str) -> None:
    report = check_lookahead(name, bars_of(edge_case_ohlcv()[case]), points=60)
    assert report.passed, report.summary()


def test_shifted_series_is_caught_at_first_peeking_bar(bars: Bars) -> None:
    report = check_lookahead(PeekingStrategy(), bars[:200])
    rises = np.flatnonzero(bars.close[1:200] > bars.close[:199])
    assert not report.passed
    assert report.difference is not None
    assert (report.difference.bar, report.difference.field) == (int(rises[0]), "entries")
    assert report.difference.cut == rises[0] + 1
    assert (report.difference.full, report.difference.truncated) == (True, False)
    assert f"FAILED the look-ahead check: at bar {rises[0]} " in report.summary()


def test_whole_history_statistic_is_caught(bars: Bars) -> None:
    report = check_lookahead(NormalisingStrategy(), bars)
    assert not report.passed
    assert report.difference is not None
    assert report.difference.field in ("entries", "exits")


def test_peeking_stop_level_is_caught_in_its_field(bars: Bars) -> None:
    report = check_lookahead(PeekingStop(), bars[:400])
    assert report.difference is not None
    assert (report.difference.field, report.difference.bar) == ("stop_loss", 0)
    assert "stop_loss is " in report.summary()


def test_report_carries_parameters_and_a_passing_summary(bars: Bars) -> None:
    report = check_lookahead("sma_cross", bars, params={"fast": 5, "slow": 40}, points=10)
    assert report.parameters == {"fast": 5, "slow": 40}
    assert report.summary() == (
        "sma_cross passed the look-ahead check: signals on 10 truncated histories of 3000 "
        "bars equal the signals of the full history on the same bars."
    )


def test_cut_positions_cover_every_bar_of_short_histories() -> None:
    assert cut_positions(5) == (1, 2, 3, 4)
    assert cut_positions(1) == ()


def test_cut_positions_spread_over_long_histories() -> None:
    cuts = cut_positions(10_000)
    assert len(cuts) == 50
    assert (cuts[0], cuts[-1]) == (1, 9_999)
    assert cut_positions(10_000, points=7) == (1, 1667, 3334, 5000, 6666, 8333, 9999)


def test_cut_positions_refuse_zero_points() -> None:
    with pytest.raises(ValidationError, match="points must be 1 or more, got 0"):
        cut_positions(100, points=0)


def test_instance_with_params_is_refused(bars: Bars) -> None:
    with pytest.raises(ValidationError, match="params apply to a strategy name"):
        check_lookahead(get("sma_cross")(), bars, params={"fast": 3})


def test_signals_of_the_wrong_length_are_refused(bars: Bars) -> None:
    class Short(Strategy[NoParameters]):
        name = "short_signals"

        def signals(self, bars: Bars) -> Signals:
            return Signals(entries=np.zeros(3, bool), exits=np.zeros(3, bool))

    with pytest.raises(ValidationError, match="returned 3 signals for 3000 bars"):
        check_lookahead(Short(), bars)
