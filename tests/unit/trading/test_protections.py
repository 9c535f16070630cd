"""Protections: cooldown, stop-loss streak and drawdown locks, and removal by hand."""

from __future__ import annotations

from decimal import Decimal

from quantdesk.trading.protections import (
    Cooldown,
    DrawdownLock,
    ProtectionRules,
    Protections,
    StopLossStreak,
)
from tests.fixtures.trading import at


def test_cooldown_after_stop_out_locks_symbol_until_it_ends() -> None:
    guard = Protections(ProtectionRules(cooldown=Cooldown(minutes=30)))
    guard.record_stop_out("AAPL", at(0))

    (lock,) = guard.active_locks(at(10))
    assert (lock.rule, lock.symbol, lock.until) == ("cooldown", "AAPL", at(30))
    assert lock.applies_to("AAPL", at(10))
    assert not lock.applies_to("MSFT", at(10))
    assert guard.active_locks(at(30)) == []


def test_stop_loss_streak_within_window_locks_account() -> None:
    rules = StopLossStreak(count=3, window_minutes=60, lock_minutes=120)
    guard = Protections(ProtectionRules(stop_loss_streak=rules))
    for minute, symbol in ((0, "AAPL"), (20, "MSFT"), (50, "SPY")):
        guard.record_stop_out(symbol, at(minute))

    (lock,) = guard.active_locks(at(55))
    assert (lock.rule, lock.scope, lock.symbol, lock.until) == (
        "stop_loss_streak",
        "account",
        None,
        at(170),
    )


def test_stop_loss_streak_spread_beyond_window_places_no_lock() -> None:
    rules = StopLossStreak(count=3, window_minutes=60, lock_minutes=120)
    guard = Protections(ProtectionRules(stop_loss_streak=rules))
    for minute in (0, 40, 80):
        guard.record_stop_out("AAPL", at(minute))

    assert guard.active_locks(at(85)) == []


def test_drawdown_over_fraction_in_window_locks_account() -> None:
    rules = DrawdownLock(fraction=Decimal("0.1"), window_minutes=60, lock_minutes=30)
    guard = Protections(ProtectionRules(drawdown=rules))
    for minute, equity in ((0, 1000), (10, 1100), (20, 1000), (30, 989)):
        guard.record_equity(Decimal(equity), at(minute))

    (lock,) = guard.active_locks(at(31))
    assert (lock.rule, lock.until) == ("drawdown", at(60))
    assert "below the peak 1100" in lock.reason


def test_drawdown_peak_outside_window_is_forgotten() -> None:
    rules = DrawdownLock(fraction=Decimal("0.1"), window_minutes=60, lock_minutes=30)
    guard = Protections(ProtectionRules(drawdown=rules))
    guard.record_equity(Decimal(1100), at(0))
    guard.record_equity(Decimal(980), at(90))

    assert guard.active_locks(at(91)) == []


def test_removed_lock_stays_removed_until_a_new_event() -> None:
    guard = Protections(ProtectionRules(cooldown=Cooldown(minutes=30)))
    guard.record_stop_out("AAPL", at(0))
    guard.remove(guard.active_locks(at(1))[0])

    assert guard.active_locks(at(2)) == []
    guard.record_stop_out("AAPL", at(5))
    assert [lock.until for lock in guard.active_locks(at(6))] == [at(35)]
