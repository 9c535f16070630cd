"""Positions, cash, P&L and a cash ledger, kept exactly from fills.

Cost method: **average cost**. A position keeps its signed cost basis (quantity x price
summed over the fills that opened it; negative for a short). A fill that adds to the
position adds its value to the basis; a fill that reduces it removes the closed share of
the basis and books the difference to realised P&L; a fill that crosses zero closes the
whole position and opens the rest at the fill price. The average price is basis /
quantity. Fees are paid from cash and booked to the position's realised P&L, so at every
moment ``equity - initial cash - deposits == realised + unrealised``, exactly.

Each fill is applied once: a fill id seen before changes nothing. Daily P&L is equity now
minus equity at the start of the current day in the portfolio's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from quantdesk.errors import ValidationError
from quantdesk.trading.money import ZERO, quantize
from quantdesk.trading.orders import Fill


@dataclass(slots=True)
class Position:
    """The net holding of one symbol; ``quantity`` < 0 is short."""

    symbol: str
    quantity: Decimal = ZERO
    cost_basis: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    mark: Decimal | None = None
    opened_at: datetime | None = None

    @property
    def average_price(self) -> Decimal:
        """Return the average cost per unit, rounded to the database's ten places."""
        return ZERO if self.quantity == ZERO else quantize(self.cost_basis / self.quantity)

    @property
    def market_value(self) -> Decimal:
        """Return quantity x mark (the last fill price when never marked)."""
        return ZERO if self.mark is None else self.quantity * self.mark

    @property
    def unrealized_pnl(self) -> Decimal:
        """Return what closing at the mark would book: value minus cost basis."""
        return self.market_value - self.cost_basis

    def apply(self, fill: Fill) -> None:
        """Add the signed fill to the position, booking realised P&L on any closed part."""
        change = fill.side.sign * fill.quantity
        if self.quantity == ZERO or (self.quantity > ZERO) == (change > ZERO):
            self._open(change, fill)
        else:
            closed = min(abs(change), abs(self.quantity)) * fill.side.sign
            self._close(closed, fill.price)
            if abs(change) > abs(closed):
                self._open(change - closed, fill)
        self.realized_pnl -= fill.commission
        self.mark = fill.price

    def _open(self, change: Decimal, fill: Fill) -> None:
        if self.quantity == ZERO:
            self.opened_at = fill.at
        self.quantity += change
        self.cost_basis += change * fill.price

    def _close(self, change: Decimal, price: Decimal) -> None:
        # rounded to the database's places, so every later sum stays exact
        share = -change / self.quantity
        removed = self.cost_basis if share == 1 else quantize(self.cost_basis * share)
        self.realized_pnl += -change * price - removed
        self.cost_basis -= removed
        self.quantity += change
        if self.quantity == ZERO:
            self.cost_basis, self.opened_at = ZERO, None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One movement of cash: a trade's value, its commission, or a deposit (``amount`` > 0 in)."""

    at: datetime
    kind: str
    amount: Decimal
    symbol: str | None = None
    fill_id: str | None = None


class Portfolio:
    """Cash, positions and a ledger, updated from fills and marked to market prices.

    Example::

        book = Portfolio(Decimal(10_000), timezone="America/New_York")
        book.apply_fill(fill)
        book.mark("AAPL", Decimal("190.10"), at=now)
        book.equity, book.daily_pnl(now)
    """

    def __init__(self, cash: Decimal, *, timezone: str = "UTC", at: datetime | None = None) -> None:
        self.initial_cash = cash
        self.cash = cash
        self.positions: dict[str, Position] = {}
        self.ledger: list[LedgerEntry] = []
        self._fill_ids: set[str] = set()
        self._zone = _zone(timezone)
        self._day: date | None = None if at is None else self._local_day(at)
        self._day_start_equity = cash

    def apply_fill(self, fill: Fill) -> bool:
        """Apply ``fill`` once; return False (and change nothing) for a fill id already seen."""
        if fill.fill_id in self._fill_ids:
            return False
        self._roll_day(fill.at)
        self._fill_ids.add(fill.fill_id)
        position = self.positions.get(fill.symbol) or self.positions.setdefault(
            fill.symbol, Position(fill.symbol)
        )
        position.apply(fill)
        value = -fill.side.sign * fill.value
        self.cash += value - fill.commission
        self.ledger.append(LedgerEntry(fill.at, "trade", value, fill.symbol, fill.fill_id))
        if fill.commission:
            entry = LedgerEntry(fill.at, "commission", -fill.commission, fill.symbol, fill.fill_id)
            self.ledger.append(entry)
        return True

    def deposit(self, amount: Decimal, at: datetime) -> None:
        """Add (or with a negative amount withdraw) cash; deposits are not P&L."""
        self._roll_day(at)
        self.cash += amount
        self._day_start_equity += amount
        self.ledger.append(LedgerEntry(at, "deposit", amount))

    def mark(self, symbol: str, price: Decimal, at: datetime) -> None:
        """Value ``symbol`` at ``price`` from now on (a quote or a bar's close)."""
        self._roll_day(at)
        position = self.positions.get(symbol)
        if position is not None:
            position.mark = price

    def has_applied(self, fill_id: str) -> bool:
        """Return whether the fill ``fill_id`` has been applied."""
        return fill_id in self._fill_ids

    def quantity(self, symbol: str) -> Decimal:
        """Return the signed quantity held in ``symbol`` (0 when none)."""
        position = self.positions.get(symbol)
        return ZERO if position is None else position.quantity

    @property
    def equity(self) -> Decimal:
        """Return cash plus the market value of every position."""
        return self.cash + self.net_exposure

    @property
    def net_exposure(self) -> Decimal:
        """Return the sum of signed position values (longs minus shorts)."""
        return sum((p.market_value for p in self.positions.values()), ZERO)

    @property
    def gross_exposure(self) -> Decimal:
        """Return the sum of absolute position values."""
        return sum((abs(p.market_value) for p in self.positions.values()), ZERO)

    @property
    def realized_pnl(self) -> Decimal:
        """Return the P&L booked by closed quantities, net of every fee."""
        return sum((p.realized_pnl for p in self.positions.values()), ZERO)

    @property
    def unrealized_pnl(self) -> Decimal:
        """Return the P&L of open positions at their marks."""
        return sum((p.unrealized_pnl for p in self.positions.values()), ZERO)

    def daily_pnl(self, now: datetime) -> Decimal:
        """Return equity now minus equity when the local day of ``now`` began."""
        self._roll_day(now)
        return self.equity - self._day_start_equity

    def _roll_day(self, at: datetime) -> None:
        day = self._local_day(at)
        if self._day is None or day > self._day:
            if self._day is not None:
                self._day_start_equity = self.equity
            self._day = day

    def _local_day(self, at: datetime) -> date:
        if at.tzinfo is None:
            raise ValidationError(f"time {at.isoformat()} has no time zone; pass an aware datetime")
        return at.astimezone(self._zone).date()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        raise ValidationError(
            f"timezone {name!r} is not a known IANA zone; use e.g. 'UTC' or 'America/New_York'"
        ) from None
