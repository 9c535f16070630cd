"""The paper broker's order book: which orders rest, and how a bar fills them.

Prices come only from :mod:`quantdesk.trading.fills`; this module decides which orders meet
a bar, in what quantity, and what follows a fill (bracket children, OCO cancels, time in
force). See :mod:`quantdesk.brokers.paper` for the rules as a user sees them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from quantdesk.brokers._stream import EventStream
from quantdesk.errors import ConflictError, NotFoundError
from quantdesk.ports.broker import OrderUpdate
from quantdesk.trading.fills import (
    Bar,
    BarFill,
    FillRules,
    as_triggered,
    is_triggered,
    match,
    match_exit,
    next_extreme,
)
from quantdesk.trading.money import ZERO, as_decimal, quantize
from quantdesk.trading.orders import Fill, Order, OrderStatus, OrderType, TimeInForce
from quantdesk.trading.portfolio import Portfolio
from quantdesk.trading.state import Cancelled, Expired, Filled, transition

_IMMEDIATE = (TimeInForce.IOC, TimeInForce.FOK)


@dataclass(slots=True)
class Resting:
    """An accepted order as the book holds it; ``active`` once it may meet bars."""

    order: Order
    active: bool
    extreme: Decimal | None = None
    session: date | None = None


class PaperBook:
    """Accepted orders by symbol, matched bar by bar; fills go to ``portfolio`` and ``stream``."""

    def __init__(
        self,
        rules: FillRules,
        participation: Decimal | None,
        portfolio: Portfolio,
        stream: EventStream,
        clock: Callable[[], datetime],
        timezone: str,
    ) -> None:
        self.rules = rules
        self.participation = participation
        self.portfolio = portfolio
        self.orders: dict[str, Resting] = {}
        self._stream = stream
        self._clock = clock
        self._zone = ZoneInfo(timezone)
        self._book: dict[str, dict[str, None]] = {}  # insertion-ordered, O(1) removal
        self._children: dict[str, list[str]] = {}
        self._groups: dict[str, list[str]] = {}
        self._last_close: dict[str, Decimal] = {}
        self._fill_ids = itertools.count(1)

    def add(self, order: Order) -> None:
        """Take an accepted order; a child waits until its entry has filled."""
        self.orders[order.client_order_id] = Resting(order, active=False)
        if order.oco_group is not None:
            self._groups.setdefault(order.oco_group, []).append(order.client_order_id)
        parent = order.parent_client_order_id
        if parent is None or self.orders[parent].order.status is OrderStatus.FILLED:
            self._activate(order.client_order_id)
        else:
            self._children.setdefault(parent, []).append(order.client_order_id)

    def cancel(self, client_order_id: str, at: datetime) -> Order:
        """Cancel a working order (and the children still waiting for it)."""
        resting = self.working(client_order_id)
        self._end(resting, Cancelled(at, "cancelled on request"))
        return resting.order

    def on_bar(
        self, symbol: str, bar: Bar, *, volume: float | None = None, at: datetime | None = None
    ) -> None:
        """Match the working orders of ``symbol`` against one completed bar.

        Fills are stamped ``at`` (the bar's time; the clock when None) and published on the
        event stream; positions are then marked at the bar's close.
        """
        when = at or self._clock()
        self._expire_sessions(symbol, when)
        budget = self._budget(volume)
        pending = list(self._book.get(symbol, ()))
        while pending:
            pending = self._match_round(pending, bar, when, budget)
        self._last_close[symbol] = bar.close
        self.portfolio.mark(symbol, bar.close, when)

    def end_session(self, at: datetime | None = None) -> None:
        """Expire every ``DAY`` order that has met a bar, as the session's close does."""
        when = at or self._clock()
        for resting in list(self.orders.values()):
            if resting.active and resting.session is not None and _is_day(resting.order):
                self._end(resting, Expired(when, "DAY order expired at the session's end"))

    def symbols(self) -> set[str]:
        """Return the symbols with active orders resting in the book."""
        return {symbol for symbol, ids in self._book.items() if ids}

    def working_count(self) -> int:
        """Return how many orders may still fill, children waiting for their entry included."""
        active = sum(len(ids) for ids in self._book.values())
        waiting = sum(
            1
            for ids in self._children.values()
            for child in ids
            if self.orders[child].order.is_working
        )
        return active + waiting

    def working(self, client_order_id: str) -> Resting:
        """Return a working order, or raise why it cannot change."""
        resting = self.orders.get(client_order_id)
        if resting is None:
            raise NotFoundError("Paper order", client_order_id)
        if not resting.order.is_working:
            raise ConflictError(
                f"order {client_order_id} is {resting.order.status} and can no longer change",
                details={"client_order_id": client_order_id, "status": resting.order.status},
            )
        return resting

    def _activate(self, client_order_id: str) -> None:
        resting = self.orders[client_order_id]
        resting.active = True
        resting.extreme = self._last_close.get(resting.order.symbol)
        self._book.setdefault(resting.order.symbol, {})[client_order_id] = None

    def _budget(self, volume: float | None) -> list[Decimal | None]:
        if self.participation is None or volume is None:
            return [None]
        return [self.participation * as_decimal(volume)]

    def _expire_sessions(self, symbol: str, when: datetime) -> None:
        day = when.astimezone(self._zone).date()
        for client_order_id in list(self._book.get(symbol, ())):
            resting = self.orders[client_order_id]
            if _is_day(resting.order) and resting.session is not None and resting.session < day:
                self._end(resting, Expired(when, "DAY order expired at the session's end"))
            elif resting.session is None:
                resting.session = day

    def _match_round(
        self, ids: list[str], bar: Bar, when: datetime, budget: list[Decimal | None]
    ) -> list[str]:
        # one pass over the book; returns children released at the open, to match on this bar
        released: list[str] = []
        for client_order_id in ids:
            resting = self.orders[client_order_id]
            if not resting.order.is_working or not resting.active:
                continue
            found, target = self._price(resting, bar)
            if found is not None:
                released += self._execute(target, found, when, budget)
            if resting.order.is_working and resting.order.time_in_force in _IMMEDIATE:
                self._end(resting, Cancelled(when, f"{resting.order.time_in_force}: unfilled rest"))
            self._advance(resting, bar)
        return released

    def _price(self, resting: Resting, bar: Bar) -> tuple[BarFill | None, Resting]:
        order = resting.order
        pair = self._bracket_pair(order)
        if pair is not None:
            return self._price_pair(pair, bar)
        if order.type is OrderType.TRAILING_STOP and resting.extreme is None:
            resting.extreme = bar.open
        found = match(order, bar, self.rules, extreme=resting.extreme)
        if found is None and is_triggered(order, bar):
            resting.order = as_triggered(order)
        return found, resting

    def _bracket_pair(self, order: Order) -> tuple[Resting, Resting] | None:
        if order.oco_group is None:
            return None
        group = [r for r in self._group(order.oco_group) if r.active]
        kinds = sorted(group, key=lambda r: r.order.type is OrderType.LIMIT)
        if len(kinds) != 2 or [r.order.type for r in kinds] != [OrderType.STOP, OrderType.LIMIT]:
            return None
        stop, target = kinds
        return (stop, target) if stop.order.side is target.order.side else None

    def _price_pair(
        self, pair: tuple[Resting, Resting], bar: Bar
    ) -> tuple[BarFill | None, Resting]:
        stop, target = pair
        found = match_exit(
            stop.order.side.opposite,
            bar,
            self.rules,
            stop=stop.order.stop_price,
            target=target.order.limit_price,
        )
        return found, (target if found is not None and found.reason == "take_profit" else stop)

    def _execute(
        self, resting: Resting, found: BarFill, when: datetime, budget: list[Decimal | None]
    ) -> list[str]:
        order = resting.order
        quantity = _capped(order, budget[0])
        if quantity <= ZERO or (
            order.time_in_force is TimeInForce.FOK and quantity < order.remaining
        ):
            return []
        if budget[0] is not None:
            budget[0] -= quantity
        fill = Fill(
            fill_id=f"PF{next(self._fill_ids)}",
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            quantity=quantity,
            price=found.price,
            at=when,
            commission=quantize(self.rules.fees(quantity, found.price)),
        )
        resting.order = transition(order, Filled(fill, reason=found.reason))
        self.portfolio.apply_fill(fill)
        self._stream.fill(fill, reason=found.reason, ambiguous=found.ambiguous)
        self._cancel_group(resting, when)
        if resting.order.status is OrderStatus.FILLED:
            self._remove(resting)
            return self._release(resting.order, at_open=found.reason == "market")
        return []

    def _advance(self, resting: Resting, bar: Bar) -> None:
        order = resting.order
        if (
            order.is_working
            and order.type is OrderType.TRAILING_STOP
            and resting.extreme is not None
        ):
            resting.extreme = next_extreme(order, resting.extreme, bar)

    def _end(self, resting: Resting, event: Cancelled | Expired) -> None:
        resting.order = transition(resting.order, event)
        self._remove(resting)
        self._stream.update(update_of(resting.order, event.at))
        self._release(resting.order, at_open=False)

    def _remove(self, resting: Resting) -> None:
        if resting.active:
            self._book[resting.order.symbol].pop(resting.order.client_order_id, None)

    def _release(self, parent: Order, *, at_open: bool) -> list[str]:
        # children follow their entry's filled quantity; an entry that never filled takes them along
        released: list[str] = []
        for child_id in self._children.pop(parent.client_order_id, ()):
            child = self.orders[child_id]
            if not child.order.is_working:  # cancelled on its own while it waited
                continue
            if parent.filled_quantity == ZERO:
                self._end(
                    child, Cancelled(parent.cancelled_at or self._clock(), "entry not filled")
                )
                continue
            child.order = replace(child.order, quantity=parent.filled_quantity)
            self._activate(child_id)
            released.append(child_id)
        return released if at_open else []

    def _cancel_group(self, resting: Resting, when: datetime) -> None:
        if resting.order.oco_group is None:
            return
        reason = f"OCO: {resting.order.client_order_id} filled"
        for other in self._group(resting.order.oco_group):
            if other is not resting:
                self._end(other, Cancelled(when, reason))

    def _group(self, oco_group: str) -> list[Resting]:
        members = (self.orders[i] for i in self._groups.get(oco_group, ()))
        return [member for member in members if member.order.is_working]


def _capped(order: Order, budget: Decimal | None) -> Decimal:
    if budget is None or budget >= order.remaining:
        return order.remaining
    if order.quantity == order.quantity.to_integral_value():
        return budget.to_integral_value(rounding=ROUND_FLOOR)
    return quantize(budget)


def _is_day(order: Order) -> bool:
    return order.time_in_force is TimeInForce.DAY


def update_of(order: Order, at: datetime) -> OrderUpdate:
    reason = order.reason or order.rejection_reason
    return OrderUpdate(order.client_order_id, order.status, at, order.broker_order_id, reason)
