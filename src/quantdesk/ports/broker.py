"""Broker port: where orders go and where fills come from, paper or live."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

from quantdesk.trading.orders import Bracket, Fill, Order, OrderStatus

ConnectionState = Literal["disconnected", "connecting", "connected", "reconnecting", "failed"]


@dataclass(frozen=True, slots=True)
class BrokerPosition:
    """A position as the broker reports it, for reconciliation."""

    symbol: str
    quantity: Decimal
    average_price: Decimal


@dataclass(frozen=True, slots=True)
class BrokerAccount:
    """Cash and equity as the broker reports them."""

    cash: Decimal
    equity: Decimal
    currency: str = "USD"


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """A status change the broker reports for one order (by client order id)."""

    client_order_id: str
    status: OrderStatus
    at: datetime
    broker_order_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class BrokerEvent:
    """One item of the broker's event stream: an order update or a fill."""

    update: OrderUpdate | None = None
    fill: Fill | None = None
    details: dict[str, object] = field(default_factory=dict)


class Broker(Protocol):
    """What the trading service needs from a broker; the paper broker and IB implement it.

    ``submit`` returns once the broker has acknowledged the order (accepted or rejected);
    a timeout raises ``UnavailableError`` and the service marks the order ``unknown`` until
    reconciliation settles it. Fills arrive only through ``events``, each with a broker fill
    id, so a fill reported twice is recognised.
    """

    name: str

    @property
    def state(self) -> ConnectionState:
        """The connection state, shown in /health/detailed."""
        ...

    async def connect(self) -> None:
        """Connect (or reconnect with backoff); raise ``UnavailableError`` when it cannot."""
        ...

    async def close(self) -> None:
        """Disconnect and stop the event stream."""
        ...

    async def submit(self, order: Order) -> OrderUpdate:
        """Send a new order; answer with its acknowledgement."""
        ...

    async def cancel(self, client_order_id: str) -> OrderUpdate:
        """Ask to cancel a working order."""
        ...

    async def modify(
        self,
        client_order_id: str,
        *,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> OrderUpdate:
        """Change a working order's quantity or prices."""
        ...

    async def open_orders(self) -> list[OrderUpdate]:
        """The orders the broker still holds as working, for reconciliation."""
        ...

    async def positions(self) -> list[BrokerPosition]:
        """The broker's positions, for reconciliation."""
        ...

    async def account(self) -> BrokerAccount:
        """The broker's cash and equity."""
        ...

    def events(self) -> AsyncIterator[BrokerEvent]:
        """Order updates and fills, in the order the broker reports them."""
        ...


@runtime_checkable
class BracketBroker(Broker, Protocol):
    """A broker that takes an entry and its exits as one bracket (the paper broker, IB).

    The broker holds the children until the entry fills and cancels the other child when
    one fills; the answer lists the acknowledgements of the entry, then of each child.
    """

    async def submit_bracket(self, bracket: Bracket) -> list[OrderUpdate]:
        """Send the entry and its children; answer with their acknowledgements in order."""
        ...
