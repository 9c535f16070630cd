"""Random order flows through the state machine and the portfolio keep the books exact."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from quantdesk.trading.orders import Fill, Order, Side
from quantdesk.trading.portfolio import Portfolio
from quantdesk.trading.state import (
    Accepted,
    Cancelled,
    Filled,
    IllegalTransitionError,
    transition,
)
from tests.fixtures.trading import at, make_order

INITIAL = Decimal(100_000)
quantities = st.integers(1, 50).map(Decimal)
prices = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("500.00"), places=2)
fees = st.decimals(min_value=Decimal(0), max_value=Decimal("5.00"), places=2)


class OrderFlow(RuleBasedStateMachine):
    """Submit, accept, fill (sometimes twice), overfill and cancel orders at random."""

    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.book = Portfolio(INITIAL)
        self.orders: dict[str, Order] = {}
        self.fills: list[Fill] = []
        self.minute = 0.0

    def _now(self) -> float:
        self.minute += 1
        return self.minute

    @rule(
        target=ids,
        symbol=st.sampled_from(["AAPL", "MSFT"]),
        side=st.sampled_from(Side),
        quantity=quantities,
    )
    def submit(self, symbol: str, side: Side, quantity: Decimal) -> str:
        order_id = f"o{len(self.orders)}"
        order = make_order(order_id, symbol=symbol, side=side, quantity=quantity)
        self.orders[order_id] = transition(order, Accepted(at(self._now())))
        return order_id

    @rule(order_id=ids, share=st.floats(0.01, 1.0), price=prices, fee=fees)
    def fill(self, order_id: str, share: float, price: Decimal, fee: Decimal) -> None:
        order = self.orders[order_id]
        if not order.is_working:
            return
        quantity = max(Decimal(1), (order.remaining * Decimal(str(share))).to_integral_value())
        fill = Fill(
            f"f{len(self.fills)}",
            order_id,
            order.symbol,
            order.side,
            quantity,
            price,
            at(self._now()),
            fee,
        )
        self._apply(fill)

    @rule(data=st.data())
    def replay_fill(self, data: st.DataObject) -> None:
        if self.fills:
            self._apply(data.draw(st.sampled_from(self.fills)))

    @rule(order_id=ids, extra=quantities, price=prices)
    def overfill(self, order_id: str, extra: Decimal, price: Decimal) -> None:
        order = self.orders[order_id]
        quantity = order.remaining + extra
        fill = Fill(
            f"x{self.minute}", order_id, order.symbol, order.side, quantity, price, at(self._now())
        )
        try:
            transition(order, Filled(fill))
        except IllegalTransitionError:
            return
        raise AssertionError(
            f"{order_id} accepted a fill of {quantity} with {order.remaining} left"
        )

    @rule(order_id=ids)
    def cancel(self, order_id: str) -> None:
        order = self.orders[order_id]
        if order.is_working:
            self.orders[order_id] = transition(order, Cancelled(at(self._now()), "user"))

    def _apply(self, fill: Fill) -> None:
        order = self.orders[fill.client_order_id]
        try:
            order = transition(order, Filled(fill))
        except IllegalTransitionError:
            assert not order.is_working
            return
        self.orders[fill.client_order_id] = order
        if self.book.apply_fill(fill):
            self.fills.append(fill)

    @invariant()
    def position_is_sum_of_fills(self) -> None:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for fill in self.fills:
            totals[fill.symbol] += fill.side.sign * fill.quantity
        for symbol, position in self.book.positions.items():
            assert position.quantity == totals[symbol]

    @invariant()
    def cash_moves_by_fill_values_and_fees(self) -> None:
        moved = sum((-f.side.sign * f.value - f.commission for f in self.fills), Decimal(0))
        assert self.book.cash == INITIAL + moved
        assert self.book.equity - INITIAL == self.book.realized_pnl + self.book.unrealized_pnl

    @invariant()
    def no_order_fills_beyond_its_quantity(self) -> None:
        for order in self.orders.values():
            assert order.filled_quantity <= order.quantity

    @invariant()
    def nothing_is_counted_twice(self) -> None:
        assert len({f.fill_id for f in self.fills}) == len(self.fills)
        by_order: dict[str, Decimal] = defaultdict(Decimal)
        for fill in self.fills:
            by_order[fill.client_order_id] += fill.quantity
        for order_id, order in self.orders.items():
            assert order.filled_quantity == by_order[order_id]
            assert len(order.fill_ids) == sum(
                1 for f in self.fills if f.client_order_id == order_id
            )
        assert len([e for e in self.book.ledger if e.kind == "trade"]) == len(self.fills)


OrderFlow.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestOrderFlow = OrderFlow.TestCase
