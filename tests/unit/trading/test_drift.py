"""Drift matching: pairs by symbol, side and nearest entry within a tolerance; totals add up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantdesk.errors import ValidationError
from quantdesk.trading.drift import DriftTrade, drift_totals, match_trades

T0 = datetime(2024, 1, 8, tzinfo=UTC)
DAY = timedelta(days=1)


def _trade(
    day: float,
    *,
    symbol: str = "AAPL",
    side: str = "long",
    entry: str = "10",
    exit_: str | None = "11",
    pnl: str | None = "10",
) -> DriftTrade:
    entry_time = T0 + day * DAY
    return DriftTrade(
        symbol=symbol,
        side=side,
        entry_time=entry_time,
        entry_price=Decimal(entry),
        exit_time=entry_time + 3 * DAY if exit_ is not None else None,
        exit_price=Decimal(exit_) if exit_ is not None else None,
        quantity=Decimal(10),
        pnl=Decimal(pnl) if pnl is not None else None,
    )


def test_match_same_trades_all_matched_with_zero_differences() -> None:
    trades = [_trade(0), _trade(5, symbol="MSFT"), _trade(9, exit_=None, pnl=None)]
    pairs = match_trades(trades, list(trades), DAY)
    assert [pair.status for pair in pairs] == ["matched"] * 3
    assert [pair.entry_delta for pair in pairs] == [timedelta(0)] * 3
    assert [pair.pnl_difference for pair in pairs] == [Decimal(0), Decimal(0), None]
    totals = drift_totals(pairs)
    assert (totals.matched, totals.missed, totals.extra) == (3, 0, 0)
    assert totals.pnl_difference == 0


def test_match_entry_one_bar_late_matches_with_price_and_pnl_differences() -> None:
    late = _trade(1, entry="10.5", exit_="11.25", pnl="7.5")
    (pair,) = match_trades([_trade(0)], [late], DAY)
    assert (pair.status, pair.entry_delta, pair.exit_delta) == ("matched", DAY, DAY)
    assert (pair.entry_price_difference, pair.exit_price_difference) == (
        Decimal("0.5"),
        Decimal("0.25"),
    )
    assert pair.pnl_difference == Decimal("-2.5")


def test_match_entry_beyond_tolerance_is_missed_and_extra() -> None:
    pairs = match_trades([_trade(0)], [_trade(1.5, pnl="4")], DAY)
    assert [(pair.status, pair.pnl_difference) for pair in pairs] == [
        ("missed", Decimal(-10)),
        ("extra", Decimal(4)),
    ]
    totals = drift_totals(pairs)
    assert (totals.backtest_trades, totals.live_trades) == (1, 1)
    assert totals.pnl_difference == -6


@pytest.mark.parametrize("other", [{"symbol": "MSFT"}, {"side": "short"}])
def test_match_other_symbol_or_side_never_pairs(other: dict[str, str]) -> None:
    pairs = match_trades([_trade(0)], [_trade(0, **other)], DAY)
    assert [pair.status for pair in pairs] == ["missed", "extra"]


def test_match_nearest_live_entry_wins_and_the_other_is_extra() -> None:
    far, near = _trade(-0.9, pnl="1"), _trade(0.25, pnl="2")
    pairs = match_trades([_trade(0)], [far, near], DAY)
    assert [(pair.status, pair.live) for pair in pairs] == [("extra", far), ("matched", near)]


def test_match_open_live_trade_against_closed_backtest_counts_backtest_pnl_only() -> None:
    (pair,) = match_trades([_trade(0)], [_trade(0, exit_=None, pnl="-1")], DAY)
    assert (pair.status, pair.exit_price_difference, pair.pnl_difference) == (
        "matched",
        None,
        Decimal(-10),
    )
    assert drift_totals([pair]).live_pnl == 0


def test_match_negative_tolerance_is_refused() -> None:
    with pytest.raises(ValidationError, match="tolerance"):
        match_trades([], [], -DAY)


_days = st.lists(st.integers(min_value=0, max_value=30), max_size=8)
_pnls = st.lists(st.integers(min_value=-50, max_value=50), min_size=8, max_size=8)


@given(_days, _days, _pnls, _pnls)
def test_match_every_trade_once_and_pair_differences_add_to_totals(
    backtest_days: list[int], live_days: list[int], backtest_pnls: list[int], live_pnls: list[int]
) -> None:
    backtest = [_trade(d, pnl=str(p)) for d, p in zip(backtest_days, backtest_pnls, strict=False)]
    live = [_trade(d, pnl=str(p)) for d, p in zip(live_days, live_pnls, strict=False)]
    pairs = match_trades(backtest, live, DAY)
    assert sorted(id(p.backtest) for p in pairs if p.backtest) == sorted(map(id, backtest))
    assert sorted(id(p.live) for p in pairs if p.live) == sorted(map(id, live))
    totals = drift_totals(pairs)
    assert totals.matched + totals.missed == len(backtest)
    assert totals.matched + totals.extra == len(live)
    total = sum((p.pnl_difference or Decimal(0) for p in pairs), Decimal(0))
    assert total == totals.pnl_difference
    for pair in pairs:
        if pair.entry_delta is not None:
            assert abs(pair.entry_delta) <= DAY
