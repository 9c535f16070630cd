"""The Interactive Brokers adapter of the ``Broker`` port, over ib_async.

It talks to TWS or IB Gateway (``host``, ``port`` 7497/7496 for TWS paper/live, 4002/4001
for the Gateway, a ``client_id`` no other connection uses). What it adds to ib_async:

* **acknowledgement:** ``submit`` places the order and waits up to ``timeout`` seconds for
  IB's first answer (``PreSubmitted``/``Submitted``: accepted; ``Cancelled``/``Inactive``
  before that: rejected, with IB's message). No answer raises :class:`BrokerTimeoutError`
  and the order stays ``unknown`` until reconciliation;
* **a circuit breaker** on submits: after ``breaker_failures`` timeouts or lost connections
  in a row, submits fail at once with ``CircuitOpenError`` (the order was not sent) until
  ``breaker_reset_seconds`` have passed; :meth:`IbBroker.health` shows it;
* **reconnection:** a dropped connection is retried with exponential backoff and full
  jitter; once back, order ids are synchronised (``reqIds``), open orders are matched to
  client order ids again by ``orderRef``, and executions missed while away are replayed;
* **one stream** of events: status changes (never ``filled``/``partially_filled``, which
  follow from fills) and fills keyed by IB's ``execId``, each with its commission once IB's
  commission report arrives (or zero after ``commission_wait`` seconds).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import ib_async

from quantdesk.brokers._ib_fills import FillRelay
from quantdesk.brokers._stream import EventStream, utc_now
from quantdesk.brokers.ib_mapping import contract_for, fill_of, ib_order_of, status_of, symbol_of
from quantdesk.errors import NotFoundError, UnavailableError
from quantdesk.ports.broker import (
    BrokerAccount,
    BrokerEvent,
    BrokerPosition,
    ConnectionState,
    OrderUpdate,
)
from quantdesk.resilience import (
    BreakerSnapshot,
    CircuitBreaker,
    CircuitOpenError,
    RetryPolicy,
    TransientError,
    retry,
)
from quantdesk.trading.money import as_decimal
from quantdesk.trading.orders import Bracket, Order, OrderStatus

logger = logging.getLogger(__name__)
_QUIET = (OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED)
RECONNECT = RetryPolicy(max_retries=10, base_delay=1.0, max_delay=60.0)
"""Reconnection backoff: full jitter under a ceiling doubling from 1 s to 60 s, 10 retries."""


class BrokerTimeoutError(UnavailableError):
    """The broker did not answer in time; the order's fate is unknown until reconciliation."""

    code = "broker_timeout"


@dataclass(frozen=True, slots=True)
class IbHealth:
    """What /health/detailed shows of the IB connection."""

    state: ConnectionState
    breaker: BreakerSnapshot
    next_order_id: int
    pending_acknowledgements: int


def _counts(error: BaseException) -> bool:
    return isinstance(error, UnavailableError) and not isinstance(error, CircuitOpenError)


class IbBroker:
    """A ``Broker`` backed by TWS or IB Gateway through an ``ib_async.IB`` connection."""

    name = "ib"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 7497,
        client_id: int = 1,
        account: str = "",
        ib: ib_async.IB | None = None,
        timeout: float = 5.0,
        reconnect: RetryPolicy = RECONNECT,
        breaker_failures: int = 3,
        breaker_reset_seconds: float = 30.0,
        commission_wait: float = 2.0,
        contracts: Mapping[str, ib_async.Contract] | None = None,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.host, self.port, self.client_id, self.account_id = host, port, client_id, account
        self.ib = ib or ib_async.IB()
        self.timeout = timeout
        self.reconnect_policy = reconnect
        self.commission_wait = commission_wait
        self.breaker = CircuitBreaker(
            "ib", failure_threshold=breaker_failures, reset_seconds=breaker_reset_seconds,
            counts=_counts,
        )  # fmt: skip
        self._clock, self._sleep, self._draw = clock, sleep or asyncio.sleep, draw
        self._state: ConnectionState = "disconnected"
        self._stream = EventStream()
        self._contracts: dict[str, ib_async.Contract] = dict(contracts or {})
        self._by_id: dict[int, str] = {}
        self._orders: dict[str, Order] = {}
        self._ib_ids: dict[str, int] = {}
        self._accepted: set[str] = set()
        self._reported: dict[str, OrderStatus] = {}
        self._waiters: dict[str, asyncio.Future[OrderUpdate]] = {}
        self._fills = FillRelay(self._stream, commission_wait)
        self._ids_synced = asyncio.Event()
        self._closing = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._subscribe()

    @property
    def state(self) -> ConnectionState:
        """Return the connection state, shown in /health/detailed."""
        return self._state

    def health(self) -> IbHealth:
        """Return the connection state, the submit breaker and the order id sequence."""
        return IbHealth(
            self._state, self.breaker.snapshot(), self.ib.client._reqIdSeq, len(self._waiters)
        )

    async def connect(self) -> None:
        """Connect, retrying with backoff and jitter; raise ``UnavailableError`` on giving up."""
        self._closing = False
        self._state = "connecting"
        await self._connect_with_retries()
        if self.state != "connected":
            raise UnavailableError(
                f"cannot reach TWS/IB Gateway at {self.host}:{self.port} (client id "
                f"{self.client_id}); check that it runs with the API enabled on that port"
            )

    async def close(self) -> None:
        """Disconnect for good and end the event stream."""
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        self.ib.disconnect()
        self._state = "disconnected"
        self._fills.flush_all()
        self._stream.close()

    async def submit(self, order: Order) -> OrderUpdate:
        """Place ``order`` and return IB's acknowledgement.

        Raises:
            BrokerTimeoutError: IB did not answer within ``timeout`` seconds.
            CircuitOpenError: Submits are paused after repeated failures; nothing was sent.
            UnavailableError: Not connected.
        """
        return await self.breaker.call(lambda: self._place(order, transmit=True))

    async def submit_bracket(self, bracket: Bracket) -> list[OrderUpdate]:
        """Place an entry and its children so IB activates them only together.

        Every order but the last child goes with ``transmit=False`` and the last with
        ``transmit=True``, IB's way of sending a bracket as one unit.
        """
        *held, last = (bracket.entry, *bracket.children)
        updates = [await self._hold(order) for order in held]
        updates.append(await self.submit(last))
        return [await self._acknowledged(u) for u in updates]

    async def cancel(self, client_order_id: str) -> OrderUpdate:
        """Ask IB to cancel; the outcome arrives on the event stream."""
        self._require_connected()
        trade = self._trade(client_order_id)
        self.ib.cancelOrder(trade.order)
        return self._update(client_order_id, self._current(client_order_id), "cancel requested")

    async def modify(
        self,
        client_order_id: str,
        *,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> OrderUpdate:
        """Send a modified order under the same IB order id."""
        self._require_connected()
        trade = self._trade(client_order_id)
        if quantity is not None:
            trade.order.totalQuantity = float(quantity)
        if limit_price is not None:
            trade.order.lmtPrice = float(limit_price)
        if stop_price is not None:
            trade.order.auxPrice = float(stop_price)
        self.ib.placeOrder(trade.contract, trade.order)
        return self._update(client_order_id, self._current(client_order_id), "modified")

    async def open_orders(self) -> list[OrderUpdate]:
        """Return IB's open orders that carry a client order id (``orderRef``)."""
        updates = []
        for trade in self.ib.openTrades():
            client_order_id = trade.order.orderRef or self._by_id.get(trade.order.orderId)
            status = self._status_of(trade, client_order_id or "")
            if client_order_id and status is not None:
                updates.append(self._update(client_order_id, status))
        return updates

    async def positions(self) -> list[BrokerPosition]:
        """Return the account's positions as IB reports them."""
        return [
            BrokerPosition(symbol_of(p.contract), as_decimal(p.position), as_decimal(p.avgCost))
            for p in self.ib.positions(self.account_id)
            if p.position
        ]

    async def account(self) -> BrokerAccount:
        """Return cash (``TotalCashValue``) and equity (``NetLiquidation``) in the base currency."""
        values = {
            v.tag: v
            for v in self.ib.accountValues(self.account_id)
            if v.currency not in ("", "BASE")
        }
        cash, equity = values.get("TotalCashValue"), values.get("NetLiquidation")
        if cash is None or equity is None:
            raise UnavailableError("IB has not sent account values yet; retry in a few seconds")
        return BrokerAccount(as_decimal(cash.value), as_decimal(equity.value), equity.currency)

    def events(self) -> AsyncIterator[BrokerEvent]:
        """Return the stream of order updates and fills."""
        return aiter(self._stream)

    async def _connect_with_retries(self) -> None:
        try:
            await retry(
                self._connect_once, self.reconnect_policy, sleep=self._sleep, draw=self._draw
            )
        except TransientError as error:
            self._state = "failed"
            logger.error("ib_connect_failed", extra={"error": str(error)})

    async def _connect_once(self) -> None:
        try:
            await self.ib.connectAsync(
                self.host, self.port, clientId=self.client_id, timeout=self.timeout,
                account=self.account_id,
            )  # fmt: skip
        except (OSError, TimeoutError, ConnectionError) as error:
            raise TransientError(
                f"TWS/IB Gateway did not connect: {type(error).__name__}"
            ) from None
        await self._resync()
        self._state = "connected"

    async def _resync(self) -> None:
        await self._sync_order_ids()
        for trade in self.ib.trades():
            if trade.order.orderRef:
                self._by_id[trade.order.orderId] = trade.order.orderRef
                self._ib_ids[trade.order.orderRef] = trade.order.orderId
        for fill in await self.ib.reqExecutionsAsync():
            self._on_execution(None, fill)

    async def _sync_order_ids(self) -> None:
        self._ids_synced.clear()
        self.ib.client.reqIds(-1)  # type: ignore[no-untyped-call]  # ib_async's client is unannotated
        try:
            async with asyncio.timeout(self.timeout):
                await self._ids_synced.wait()
        except TimeoutError:
            logger.warning("ib_next_valid_id_missing")
        known = [trade.order.orderId for trade in self.ib.trades()]
        self.ib.client.updateReqId(max(known, default=0) + 1)  # type: ignore[no-untyped-call]

    def _subscribe(self) -> None:
        self.ib.orderStatusEvent += self._on_status
        self.ib.execDetailsEvent += self._on_execution
        self.ib.commissionReportEvent += self._on_commission
        self.ib.disconnectedEvent += self._on_disconnected
        original = self.ib.wrapper.nextValidId

        def next_valid_id(order_id: int) -> None:
            original(order_id)
            self.ib.client.updateReqId(order_id)  # type: ignore[no-untyped-call]
            self._ids_synced.set()

        # ib_async ignores nextValidId after the handshake; chain it so reqIds syncs the ids
        self.ib.wrapper.nextValidId = next_valid_id  # type: ignore[method-assign,assignment]

    async def _hold(self, order: Order) -> OrderUpdate:
        return await self.breaker.call(lambda: self._place(order, transmit=False, wait=False))

    async def _place(self, order: Order, *, transmit: bool, wait: bool = True) -> OrderUpdate:
        self._require_connected()
        contract = await self._contract(order.symbol)
        if contract is None:
            return self._reject(order, f"IB knows no contract for {order.symbol}; check the symbol")
        parent = order.parent_client_order_id
        ib_order = ib_order_of(
            order, account=self.account_id, parent_id=self._ib_ids.get(parent or "", 0)
        )
        ib_order.transmit = transmit
        waiter = asyncio.get_running_loop().create_future()
        self._waiters[order.client_order_id] = waiter
        self._orders[order.client_order_id] = order
        try:
            trade = self.ib.placeOrder(contract, ib_order)
        except ConnectionError:
            self._waiters.pop(order.client_order_id, None)
            raise UnavailableError(
                "not connected to TWS/IB Gateway; retry once reconnected"
            ) from None
        self._by_id[trade.order.orderId] = order.client_order_id
        self._ib_ids[order.client_order_id] = trade.order.orderId
        pending = self._update(order.client_order_id, OrderStatus.NEW, "sent")
        return await self._acknowledged(pending) if wait else pending

    async def _acknowledged(self, pending: OrderUpdate) -> OrderUpdate:
        waiter = self._waiters.get(pending.client_order_id)
        if waiter is None:
            return pending
        try:
            async with asyncio.timeout(self.timeout):
                return await asyncio.shield(waiter)
        except TimeoutError:
            raise BrokerTimeoutError(
                f"IB did not acknowledge order {pending.client_order_id} within {self.timeout} s; "
                "it stays unknown until reconciliation",
                details={"client_order_id": pending.client_order_id},
            ) from None
        finally:
            self._waiters.pop(pending.client_order_id, None)

    async def _contract(self, symbol: str) -> ib_async.Contract | None:
        contract = self._contracts.get(symbol)
        if contract is not None and contract.conId:
            return contract
        qualified = await self.ib.qualifyContractsAsync(contract or contract_for(symbol))
        found = next((c for c in qualified if isinstance(c, ib_async.Contract) and c.conId), None)
        if found is not None:
            self._contracts[symbol] = found
        return found

    def _on_status(self, trade: ib_async.Trade) -> None:
        client_order_id = trade.order.orderRef or self._by_id.get(trade.order.orderId)
        if not client_order_id:
            return
        status = self._status_of(trade, client_order_id)
        if status is None:
            return
        reason = trade.log[-1].message if trade.log and trade.log[-1].message else None
        self._acknowledge(client_order_id, status, reason)
        if status not in _QUIET and self._reported.get(client_order_id) is not status:
            self._reported[client_order_id] = status
            self._stream.update(self._update(client_order_id, status, reason))

    def _status_of(self, trade: ib_async.Trade, client_order_id: str) -> OrderStatus | None:
        accepted = client_order_id in self._accepted
        return status_of(trade.orderStatus.status, trade.orderStatus.filled, accepted=accepted)

    def _acknowledge(self, client_order_id: str, status: OrderStatus, reason: str | None) -> None:
        if status is not OrderStatus.REJECTED:
            self._accepted.add(client_order_id)
        waiter = self._waiters.get(client_order_id)
        if waiter is not None and not waiter.done():
            answer = (
                OrderStatus.REJECTED if status is OrderStatus.REJECTED else OrderStatus.ACCEPTED
            )
            waiter.set_result(self._update(client_order_id, answer, reason))

    def _on_execution(self, trade: ib_async.Trade | None, fill: ib_async.Fill) -> None:
        execution = fill.execution
        client_order_id = execution.orderRef or self._by_id.get(execution.orderId)
        if not client_order_id or self._fills.seen(execution.execId):
            return
        symbol = self._symbol(client_order_id, fill.contract)
        commission = fill.commissionReport.commission
        ours = fill_of(execution, client_order_id, symbol, commission, execution.time)
        if trade is None or commission:
            self._fills.publish(ours)
        else:
            self._fills.hold(ours)

    def _on_commission(
        self, trade: ib_async.Trade, fill: ib_async.Fill, report: ib_async.CommissionReport
    ) -> None:
        self._fills.commission(report.execId, report.commission)

    def _on_disconnected(self) -> None:
        if self._closing or self._state in ("connecting", "disconnected"):
            return
        self._state = "reconnecting"
        logger.warning("ib_disconnected", extra={"host": self.host, "port": self.port})
        task = asyncio.get_running_loop().create_task(self._connect_with_retries())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _require_connected(self) -> None:
        if self._state != "connected":
            raise UnavailableError(
                f"the IB connection is {self._state}; orders resume once it is connected"
            )

    def _trade(self, client_order_id: str) -> ib_async.Trade:
        order_id = self._ib_ids.get(client_order_id)
        for trade in self.ib.trades():
            if order_id is not None and trade.order.orderId == order_id:
                return trade
        raise NotFoundError("IB order", client_order_id)

    def _current(self, client_order_id: str) -> OrderStatus:
        return self._reported.get(client_order_id, OrderStatus.ACCEPTED)

    def _reject(self, order: Order, reason: str) -> OrderUpdate:
        update = self._update(order.client_order_id, OrderStatus.REJECTED, reason)
        self._stream.update(update)
        return update

    def _update(
        self, client_order_id: str, status: OrderStatus, reason: str | None = None
    ) -> OrderUpdate:
        order_id = self._ib_ids.get(client_order_id)
        broker_id = None if order_id is None else str(order_id)
        return OrderUpdate(client_order_id, status, self._clock(), broker_id, reason)

    def _symbol(self, client_order_id: str, contract: ib_async.Contract) -> str:
        order = self._orders.get(client_order_id)
        return order.symbol if order is not None else symbol_of(contract)
