"""Drift: pair a backtest's trades with the trades a deployment made, one by one.

A backtest trade and a live trade pair when they share symbol and side and their entries
are at most ``tolerance`` apart; among several candidates the nearest entries pair first
(ties go to the earlier backtest trade). A backtest trade left unpaired is *missed* (the
deployment did not take it), a live trade left unpaired is *extra* (the backtest would not
have taken it). Differences are live minus backtest. P&L is realised P&L net of fees; a
trade still open has none, so its pair has no P&L difference.

Example:
    >>> from datetime import UTC, datetime, timedelta
    >>> from decimal import Decimal
    >>> t0 = datetime(2024, 1, 8, tzinfo=UTC)
    >>> ours = DriftTrade("AAPL", "long", t0, Decimal(10), None, None, Decimal(1), None)
    >>> [row.status for row in match_trades([ours], [ours], timedelta(days=1))]
    ['matched']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from quantdesk.errors import ValidationError
from quantdesk.trading.money import ZERO

DriftStatus = Literal["matched", "missed", "extra"]


@dataclass(frozen=True, slots=True)
class DriftTrade:
    """One round trip as drift compares it; exit and P&L are None while it is open."""

    symbol: str
    side: str
    entry_time: datetime
    entry_price: Decimal
    exit_time: datetime | None
    exit_price: Decimal | None
    quantity: Decimal
    pnl: Decimal | None


@dataclass(frozen=True, slots=True)
class DriftPair:
    """A backtest trade and its live counterpart; one side is None when missed or extra."""

    status: DriftStatus
    backtest: DriftTrade | None
    live: DriftTrade | None

    @property
    def entry_delta(self) -> timedelta | None:
        """Live entry minus backtest entry, for a matched pair."""
        if self.backtest is None or self.live is None:
            return None
        return self.live.entry_time - self.backtest.entry_time

    @property
    def entry_price_difference(self) -> Decimal | None:
        """Live entry price minus backtest entry price, for a matched pair."""
        if self.backtest is None or self.live is None:
            return None
        return self.live.entry_price - self.backtest.entry_price

    @property
    def exit_price_difference(self) -> Decimal | None:
        """Live exit price minus backtest exit price, when both have exited."""
        if self.backtest is None or self.live is None:
            return None
        if self.backtest.exit_price is None or self.live.exit_price is None:
            return None
        return self.live.exit_price - self.backtest.exit_price

    @property
    def exit_delta(self) -> timedelta | None:
        """Live exit minus backtest exit, when both have exited."""
        if self.backtest is None or self.live is None:
            return None
        if self.backtest.exit_time is None or self.live.exit_time is None:
            return None
        return self.live.exit_time - self.backtest.exit_time

    @property
    def pnl_difference(self) -> Decimal | None:
        """What this pair adds to the P&L difference: live P&L minus backtest P&L.

        A missed trade counts as minus its backtest P&L, an extra one as its live P&L; an
        open trade counts as zero, as it does in the totals, so the pairs' differences add
        up to the totals' difference. None when neither side has realised any P&L.
        """
        live, backtest = _realised(self.live), _realised(self.backtest)
        if live is None and backtest is None:
            return None
        return (live or ZERO) - (backtest or ZERO)


@dataclass(frozen=True, slots=True)
class DriftTotals:
    """Counts and realised P&L of each side, and their difference (live minus backtest)."""

    backtest_trades: int
    live_trades: int
    matched: int
    missed: int
    extra: int
    backtest_pnl: Decimal
    live_pnl: Decimal

    @property
    def pnl_difference(self) -> Decimal:
        """Live realised P&L minus backtest realised P&L."""
        return self.live_pnl - self.backtest_pnl


def match_trades(
    backtest: Sequence[DriftTrade], live: Sequence[DriftTrade], tolerance: timedelta
) -> list[DriftPair]:
    """Pair backtest and live trades by symbol, side and nearest entry within ``tolerance``.

    Returns every trade of both sides exactly once, in a pair ordered by entry time (the
    backtest's entry for matched and missed pairs, the live entry for extra ones).

    Raises:
        ValidationError: ``tolerance`` is negative.
    """
    if tolerance < timedelta(0):
        raise ValidationError(f"tolerance must not be negative, got {tolerance}")
    candidates = sorted(
        (abs(theirs.entry_time - ours.entry_time), b, k)
        for b, ours in enumerate(backtest)
        for k, theirs in enumerate(live)
        if _comparable(ours, theirs, tolerance)
    )
    partner: dict[int, int] = {}
    taken: set[int] = set()
    for _distance, b, k in candidates:
        if b not in partner and k not in taken:
            partner[b] = k
            taken.add(k)
    pairs = [
        DriftPair("matched", ours, live[partner[b]])
        if b in partner
        else DriftPair("missed", ours, None)
        for b, ours in enumerate(backtest)
    ]
    pairs += [DriftPair("extra", None, theirs) for k, theirs in enumerate(live) if k not in taken]
    return sorted(pairs, key=_entry)


def drift_totals(pairs: Sequence[DriftPair]) -> DriftTotals:
    """Count the pairs of each status and sum each side's realised P&L."""
    backtest = [pair.backtest for pair in pairs if pair.backtest is not None]
    live = [pair.live for pair in pairs if pair.live is not None]
    return DriftTotals(
        backtest_trades=len(backtest),
        live_trades=len(live),
        matched=sum(1 for pair in pairs if pair.status == "matched"),
        missed=sum(1 for pair in pairs if pair.status == "missed"),
        extra=sum(1 for pair in pairs if pair.status == "extra"),
        backtest_pnl=sum((_realised(trade) or ZERO for trade in backtest), ZERO),
        live_pnl=sum((_realised(trade) or ZERO for trade in live), ZERO),
    )


def _comparable(ours: DriftTrade, theirs: DriftTrade, tolerance: timedelta) -> bool:
    return (
        ours.symbol == theirs.symbol
        and ours.side == theirs.side
        and abs(theirs.entry_time - ours.entry_time) <= tolerance
    )


def _realised(trade: DriftTrade | None) -> Decimal | None:
    if trade is None or trade.exit_time is None:
        return None
    return trade.pnl


def _entry(pair: DriftPair) -> tuple[datetime, str]:
    trade = pair.backtest or pair.live
    assert trade is not None  # a pair always holds at least one trade
    return trade.entry_time, trade.symbol
