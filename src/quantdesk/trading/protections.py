"""Protections: locks that stop new entries for a while after losses.

Three rules, each per symbol or for the whole account:

* **cooldown** - after a stop-out, no new entry for ``minutes``;
* **stop-loss streak** - ``count`` stop-outs within ``window_minutes`` lock for
  ``lock_minutes`` from the last one;
* **drawdown** - equity falling ``fraction`` below its peak within ``window_minutes`` locks
  the account for ``lock_minutes``.

Locks are computed from the recorded events, so they survive a restart when the events are
reloaded. A lock removed by hand stays removed; new events can place a new one.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from quantdesk.trading.money import ZERO

Scope = Literal["symbol", "account"]


@dataclass(frozen=True, slots=True)
class Lock:
    """A block on new entries for ``symbol`` (or the account when None) ``until`` then.

    Maps onto the ``risk_locks`` table (``scope``, ``rule``, ``reason``, ``until``).
    """

    rule: str
    scope: Scope
    symbol: str | None
    until: datetime
    reason: str

    @property
    def subject(self) -> str:
        """Return what the lock blocks, for messages."""
        return "the account" if self.symbol is None else self.symbol

    def applies_to(self, symbol: str, now: datetime) -> bool:
        """Return whether the lock blocks an entry in ``symbol`` at ``now``."""
        return now < self.until and (self.symbol is None or self.symbol == symbol)


class Cooldown(BaseModel):
    """Pause entries after any stop-out."""

    model_config = ConfigDict(frozen=True)
    minutes: float = Field(gt=0)
    scope: Scope = "symbol"


class StopLossStreak(BaseModel):
    """Lock after ``count`` stop-outs within ``window_minutes``."""

    model_config = ConfigDict(frozen=True)
    count: int = Field(ge=1)
    window_minutes: float = Field(gt=0)
    lock_minutes: float = Field(gt=0)
    scope: Scope = "account"


class DrawdownLock(BaseModel):
    """Lock the account when equity falls ``fraction`` below its peak within the window."""

    model_config = ConfigDict(frozen=True)
    fraction: Decimal = Field(gt=0, lt=1)
    window_minutes: float = Field(gt=0)
    lock_minutes: float = Field(gt=0)


class ProtectionRules(BaseModel):
    """The protections in force; a rule left None is off."""

    model_config = ConfigDict(frozen=True)
    cooldown: Cooldown | None = None
    stop_loss_streak: StopLossStreak | None = None
    drawdown: DrawdownLock | None = None


class Protections:
    """Record stop-outs and equity, and answer which locks are active.

    Example::

        guard = Protections(ProtectionRules(cooldown=Cooldown(minutes=30)))
        guard.record_stop_out("AAPL", at=now)
        guard.active_locks(now)   # [Lock(rule="cooldown", symbol="AAPL", ...)]
    """

    def __init__(self, rules: ProtectionRules) -> None:
        self.rules = rules
        self._stop_outs: deque[tuple[datetime, str]] = deque()
        self._equity: deque[tuple[datetime, Decimal]] = deque()
        self._released: set[tuple[str, str | None, datetime]] = set()

    def record_stop_out(self, symbol: str, at: datetime) -> None:
        """Remember that a position in ``symbol`` was closed by its stop at ``at``."""
        self._stop_outs.append((at, symbol))

    def record_equity(self, equity: Decimal, at: datetime) -> None:
        """Remember the account's equity at ``at`` (times in increasing order)."""
        self._equity.append((at, equity))

    def active_locks(self, now: datetime) -> list[Lock]:
        """Return every lock in force at ``now``, without those removed by hand."""
        self._forget(now)
        locks = [*self._cooldowns(), *self._streaks(), *self._drawdowns()]
        return [
            lock
            for lock in locks
            if lock.until > now and (lock.rule, lock.symbol, lock.until) not in self._released
        ]

    def remove(self, lock: Lock) -> None:
        """Lift ``lock`` by hand; later events may still place new locks."""
        self._released.add((lock.rule, lock.symbol, lock.until))

    def _horizon(self) -> timedelta:
        rules, spans = self.rules, [0.0]
        if rules.cooldown:
            spans.append(rules.cooldown.minutes)
        if rules.stop_loss_streak:
            spans.append(
                rules.stop_loss_streak.window_minutes + rules.stop_loss_streak.lock_minutes
            )
        if rules.drawdown:
            spans.append(rules.drawdown.window_minutes + rules.drawdown.lock_minutes)
        return timedelta(minutes=max(spans))

    def _forget(self, now: datetime) -> None:
        oldest = now - self._horizon()
        while self._stop_outs and self._stop_outs[0][0] < oldest:
            self._stop_outs.popleft()
        while len(self._equity) > 1 and self._equity[0][0] < oldest:
            self._equity.popleft()

    def _cooldowns(self) -> list[Lock]:
        rule = self.rules.cooldown
        if rule is None:
            return []
        latest: dict[str | None, datetime] = {}
        for at, symbol in self._stop_outs:
            latest[symbol if rule.scope == "symbol" else None] = at
        span = timedelta(minutes=rule.minutes)
        return [
            Lock("cooldown", rule.scope, key, at + span, f"stop-out at {at.isoformat()}")
            for key, at in latest.items()
        ]

    def _streaks(self) -> list[Lock]:
        rule = self.rules.stop_loss_streak
        if rule is None:
            return []
        window, span = timedelta(minutes=rule.window_minutes), timedelta(minutes=rule.lock_minutes)
        groups: dict[str | None, list[datetime]] = {}
        for at, symbol in self._stop_outs:
            groups.setdefault(symbol if rule.scope == "symbol" else None, []).append(at)
        locks = []
        for key, times in groups.items():
            for start, end in zip(times, times[rule.count - 1 :], strict=False):
                if end - start <= window:
                    reason = (
                        f"{rule.count} stop-outs between {start.isoformat()} and {end.isoformat()}"
                    )
                    locks.append(Lock("stop_loss_streak", rule.scope, key, end + span, reason))
        return _latest_per_subject(locks)

    def _drawdowns(self) -> list[Lock]:
        rule = self.rules.drawdown
        if rule is None:
            return []
        window, span = timedelta(minutes=rule.window_minutes), timedelta(minutes=rule.lock_minutes)
        peaks: deque[tuple[datetime, Decimal]] = deque()
        found: Lock | None = None
        for at, equity in self._equity:
            while peaks and peaks[0][0] < at - window:
                peaks.popleft()
            while peaks and peaks[-1][1] <= equity:
                peaks.pop()
            peaks.append((at, equity))
            peak = peaks[0][1]
            if peak > ZERO and (peak - equity) / peak >= rule.fraction:
                reason = f"equity {equity} is {(peak - equity) / peak:.2%} below the peak {peak}"
                found = Lock("drawdown", "account", None, at + span, reason)
        return [] if found is None else [found]


def _latest_per_subject(locks: list[Lock]) -> list[Lock]:
    latest: dict[str | None, Lock] = {}
    for lock in locks:
        if lock.symbol not in latest or lock.until > latest[lock.symbol].until:
            latest[lock.symbol] = lock
    return list(latest.values())
