"""The paper broker: orders rest in memory and fill on the next bar by the backtest's rules.

Every price comes from :mod:`quantdesk.trading.fills`, the facade over the backtest engine's
compiled rules, so replaying history through this broker trades where a backtest trades:

* an order accepted now meets the market on the **next** bar given to :meth:`PaperBroker.on_bar`;
  a market order fills at that bar's open (the engine's next-open rule), limit, stop,
  stop-limit and trailing orders at their level or at the open on a gap;
* the two children of a bracket (a stop and a limit in one OCO group) are priced together by
  ``match_exit``, so a bar that touches both is settled by the intrabar policy; children
  activate once their entry fills (on the entry's own bar when it filled at the open) and
  the first child to fill cancels its sibling;
* ``DAY`` orders expire when a bar of a later session (calendar day in ``timezone``) arrives
  after they have met at least one bar; ``IOC`` keeps what the next bar fills and cancels
  the rest; ``FOK`` fills in full on that bar or is cancelled;
* with ``participation`` (0.1 is 10 %), all orders of a symbol together fill at most that
  share of each bar's volume, the rest waits for later bars (whole units for whole-unit
  orders); without it, or without a volume, orders fill in full;
* slippage and commission come from ``rules``; each fill has a unique id and is applied to a
  :class:`~quantdesk.trading.portfolio.Portfolio` that answers ``positions`` and ``account``.

``submit`` does no I/O: it validates, moves the order to ``accepted`` and queues an event.

Example:
    >>> import asyncio
    >>> from decimal import Decimal
    >>> from quantdesk.trading import Order, Side
    >>> from quantdesk.trading.fills import Bar, FillRules
    >>> async def demo() -> Decimal:
    ...     broker = PaperBroker(FillRules())
    ...     await broker.connect()
    ...     await broker.submit(Order(client_order_id="a", symbol="X", side=Side.BUY,
    ...                               quantity=Decimal(5)))
    ...     broker.on_bar("X", Bar.of(100.0, 101.0, 99.0, 100.5))
    ...     return (await broker.positions())[0].average_price
    >>> asyncio.run(demo())
    Decimal('100.0000000000')
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np

from quantdesk.bars import Bars
from quantdesk.brokers._paper_book import PaperBook, update_of
from quantdesk.brokers._stream import EventStream, utc_now
from quantdesk.errors import NotFoundError, UnavailableError, ValidationError
from quantdesk.ports.broker import (
    BrokerAccount,
    BrokerEvent,
    BrokerPosition,
    ConnectionState,
    OrderUpdate,
)
from quantdesk.trading.fills import Bar, FillRules
from quantdesk.trading.money import ZERO, as_decimal
from quantdesk.trading.orders import Bracket, Fill, Order, OrderStatus, Side
from quantdesk.trading.portfolio import Portfolio
from quantdesk.trading.state import Accepted, transition


class PaperBroker:
    """A ``Broker`` that matches orders against bars in memory, with the backtest's fill rules.

    Args:
        rules: Commission, slippage and the intrabar policy (see ``FillRules``).
        participation: Largest share of a bar's volume the orders of a symbol may take,
            in (0, 1]; None fills in full whatever the volume.
        cash: The account's starting cash.
        timezone: Where a session's calendar day is counted, for ``DAY`` expiry.
        clock: The time of acknowledgements, and of fills when a bar carries no time.
        on_accept: Told the symbol of every accepted order, so that whoever feeds prices
            (the platform's paper market) can start listening to that symbol.
        stream_answers: Whether ``submit``'s own answer is also put on the event stream.
            The platform records each answer where it submits, so its brokers leave it
            off the stream; the stream then carries only what happens later (fills,
            expiries, activations).
    """

    name = "paper"

    def __init__(
        self,
        rules: FillRules,
        *,
        participation: float | None = None,
        cash: Decimal = Decimal(100_000),
        timezone: str = "UTC",
        clock: Callable[[], datetime] = utc_now,
        on_accept: Callable[[str], None] | None = None,
        stream_answers: bool = True,
    ) -> None:
        if participation is not None and not 0.0 < participation <= 1.0:
            raise ValidationError(
                f"participation must be in (0, 1] (0.1 takes 10 % of each bar's volume) "
                f"or None, got {participation!r}"
            )
        self.rules = rules
        self.portfolio = Portfolio(cash, timezone=timezone)
        self._clock = clock
        self._state: ConnectionState = "disconnected"
        self._stream = EventStream()
        share = None if participation is None else as_decimal(participation)
        self._book = PaperBook(rules, share, self.portfolio, self._stream, clock, timezone)
        self._orders = self._book.orders
        self._order_ids = itertools.count(1)
        self.on_accept = on_accept
        self.stream_answers = stream_answers

    @property
    def state(self) -> ConnectionState:
        """Return ``connected`` between ``connect`` and ``close``."""
        return self._state

    async def connect(self) -> None:
        """Open the broker; there is nothing to reach, so it never fails."""
        self._state = "connected"

    async def close(self) -> None:
        """Stop taking orders and end the event stream after the queued events."""
        self._state = "disconnected"
        self._stream.close()

    async def submit(self, order: Order) -> OrderUpdate:
        """Accept ``order`` to rest until the next bar, or reject it with the reason.

        A child (``parent_client_order_id`` set) waits inactive until its entry fills.

        Raises:
            UnavailableError: The broker is not connected.
        """
        self._require_connected()
        now = self._clock()
        problem = self._problem(order)
        if problem is not None:
            update = OrderUpdate(order.client_order_id, OrderStatus.REJECTED, now, reason=problem)
            if self.stream_answers:
                self._stream.update(update)
            return update
        accepted = transition(order, Accepted(now, f"P{next(self._order_ids)}"))
        self._book.add(accepted)
        update = update_of(accepted, now)
        if self.stream_answers:
            self._stream.update(update)
        if self.on_accept is not None:
            self.on_accept(accepted.symbol)
        return update

    async def submit_bracket(self, bracket: Bracket) -> list[OrderUpdate]:
        """Submit a bracket's entry, then its stop-loss and take-profit children."""
        return [await self.submit(order) for order in (bracket.entry, *bracket.children)]

    async def cancel(self, client_order_id: str) -> OrderUpdate:
        """Cancel a working order (and the children still waiting for it).

        Raises:
            NotFoundError: No order has this id.
            ConflictError: The order is already filled, cancelled, rejected or expired.
        """
        self._require_connected()
        now = self._clock()
        return update_of(self._book.cancel(client_order_id, now), now)

    async def modify(
        self,
        client_order_id: str,
        *,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> OrderUpdate:
        """Change a working order's quantity or prices; it keeps its place and its fills.

        Raises:
            ValidationError: The new quantity is not above the filled quantity, or a price
                does not suit the order type.
        """
        self._require_connected()
        resting = self._book.working(client_order_id)
        order = resting.order
        if quantity is not None and quantity <= order.filled_quantity:
            raise ValidationError(
                f"quantity of {client_order_id} must exceed the {order.filled_quantity} "
                f"already filled, got {quantity}"
            )
        resting.order = replace(
            order,
            quantity=quantity or order.quantity,
            limit_price=limit_price or order.limit_price,
            stop_price=stop_price or order.stop_price,
        )
        update = replace(update_of(resting.order, self._clock()), reason="modified")
        self._stream.update(update)
        return update

    async def open_orders(self) -> list[OrderUpdate]:
        """Return every working order, waiting children included."""
        now = self._clock()
        return [update_of(r.order, now) for r in self._orders.values() if r.order.is_working]

    def working_count(self) -> int:
        """Return how many orders may still fill (what ``open_orders`` would list)."""
        return self._book.working_count()

    async def positions(self) -> list[BrokerPosition]:
        """Return the non-zero positions at their average cost."""
        return [
            BrokerPosition(p.symbol, p.quantity, p.average_price)
            for p in self.portfolio.positions.values()
            if p.quantity != ZERO
        ]

    async def account(self) -> BrokerAccount:
        """Return cash and equity, positions marked at the last bar's close."""
        return BrokerAccount(cash=self.portfolio.cash, equity=self.portfolio.equity)

    def events(self) -> AsyncIterator[BrokerEvent]:
        """Return the stream of order updates and fills."""
        return aiter(self._stream)

    def order(self, client_order_id: str) -> Order:
        """Return the broker's copy of an order, with its fills and history."""
        resting = self._orders.get(client_order_id)
        if resting is None:
            raise NotFoundError("Paper order", client_order_id)
        return resting.order

    def working_symbols(self) -> set[str]:
        """Return the symbols that have orders able to meet the next bar."""
        return self._book.symbols()

    def restore_position(
        self,
        symbol: str,
        quantity: Decimal,
        average_price: Decimal,
        *,
        restore_id: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Load a position held before a restart at its average price, cash unchanged.

        The position is booked as a fill (id ``restore_id``, so restoring twice books it
        once) and its value deposited, so the stored cash, which already paid for it, stays
        as it is. Returns False for a ``restore_id`` already booked.
        """
        when = at or self._clock()
        side = Side.BUY if quantity > ZERO else Side.SELL
        fill_id = restore_id or f"restore-{symbol}"
        fill = Fill(fill_id, fill_id, symbol, side, abs(quantity), average_price, when)
        if not self.portfolio.apply_fill(fill):
            return False
        self.portfolio.deposit(side.sign * fill.value, when)
        return True

    async def run(self, bars: AsyncIterator[Bars]) -> None:
        """Match every one-row ``Bars`` of a live feed's ``bars()`` stream, until it ends."""
        async for row in bars:
            for index in range(len(row)):
                bar, volume, at = _bar_at(row, index)
                self.on_bar(row.symbol, bar, volume=volume, at=at)

    def on_bar(
        self, symbol: str, bar: Bar, *, volume: float | None = None, at: datetime | None = None
    ) -> None:
        """Match the working orders of ``symbol`` against one completed bar.

        Fills are stamped ``at`` (the bar's time; the clock when None) and published on the
        event stream; positions are then marked at the bar's close.
        """
        self._book.on_bar(symbol, bar, volume=volume, at=at)

    def end_session(self, at: datetime | None = None) -> None:
        """Expire every ``DAY`` order that has met a bar, as the session's close does."""
        self._book.end_session(at)

    def _problem(self, order: Order) -> str | None:
        if order.client_order_id in self._orders:
            return f"client_order_id {order.client_order_id} is already used; send a new id"
        if order.status is not OrderStatus.NEW:
            return f"order {order.client_order_id} is {order.status}; only new orders are sent"
        parent = order.parent_client_order_id
        if parent is not None and parent not in self._orders:
            return f"parent order {parent} is unknown here; submit the entry before its children"
        status = None if parent is None else self._orders[parent].order.status
        if status is not None and status.is_terminal and status is not OrderStatus.FILLED:
            return f"parent order {parent} is {status}; it can take no children"
        return None

    def _require_connected(self) -> None:
        if self._state != "connected":
            raise UnavailableError("the paper broker is not connected; call connect() first")


def _bar_at(bars: Bars, index: int) -> tuple[Bar, float, datetime]:
    prices = (bars.open[index], bars.high[index], bars.low[index], bars.close[index])
    stamp = np.datetime64(int(bars.timestamps[index]), "ns").astype("datetime64[us]").item()
    return Bar.of(*(float(p) for p in prices)), float(bars.volume[index]), stamp.replace(tzinfo=UTC)
