"""The order state machine: legal paths, illegal ones, fills, duplicates and brackets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quantdesk.errors import ValidationError
from quantdesk.trading.orders import Bracket, OrderStatus, OrderType, Side, TimeInForce
from quantdesk.trading.state import (
    ALLOWED,
    Accepted,
    Cancelled,
    Expired,
    Filled,
    IllegalTransitionError,
    Rejected,
    TimedOut,
    transition,
)
from tests.fixtures.trading import at, make_fill, make_order


def test_order_accept_then_fill_reaches_filled_with_history() -> None:
    order = transition(make_order(), Accepted(at=at(0), broker_order_id="B1"))
    order = transition(order, Filled(make_fill(order, 4, "100.10", fill_id="f1")))
    order = transition(order, Filled(make_fill(order, 6, "100.20", fill_id="f2", minutes=2)))

    assert order.status is OrderStatus.FILLED
    assert order.filled_quantity == Decimal(10)
    assert order.average_fill_price == Decimal("100.16")
    assert order.broker_order_id == "B1"
    assert order.filled_at == at(2)
    assert [(e.from_status, e.to_status) for e in order.history] == [
        ("new", "accepted"),
        ("accepted", "partially_filled"),
        ("partially_filled", "filled"),
    ]


def test_order_same_fill_twice_counts_once() -> None:
    order = transition(make_order(), Accepted(at=at(0)))
    fill = make_fill(order, 4, 100)
    once = transition(order, Filled(fill))

    assert transition(once, Filled(fill)) is once
    assert once.filled_quantity == Decimal(4)


def test_order_fill_beyond_quantity_raises() -> None:
    order = transition(make_order(quantity=5), Accepted(at=at(0)))

    with pytest.raises(IllegalTransitionError, match="exceeds the remaining 5"):
        transition(order, Filled(make_fill(order, 6, 100)))


def test_fok_order_partial_fill_raises() -> None:
    order = make_order(time_in_force=TimeInForce.FOK)
    order = transition(order, Accepted(at=at(0)))

    with pytest.raises(IllegalTransitionError, match="fill-or-kill"):
        transition(order, Filled(make_fill(order, 3, 100)))


def test_fill_for_another_order_raises() -> None:
    order = transition(make_order(), Accepted(at=at(0)))
    other = make_order("o2")

    with pytest.raises(IllegalTransitionError, match="it is for o2"):
        transition(order, Filled(make_fill(other, 1, 100)))


@pytest.mark.parametrize("status", [s for s in OrderStatus if s.is_terminal])
def test_terminal_order_any_event_raises(status: OrderStatus) -> None:
    order = make_order(status=status)

    for event in (Accepted(at(1)), Cancelled(at(1), "user"), Expired(at(1)), TimedOut(at(1))):
        with pytest.raises(IllegalTransitionError) as info:
            transition(order, event)
        assert info.value.code == "illegal_transition"
        assert "it is final" in info.value.message


def test_new_order_fill_before_acceptance_raises() -> None:
    order = make_order()

    with pytest.raises(IllegalTransitionError, match="cannot go from new to filled"):
        transition(order, Filled(make_fill(order, 10, 100)))


def test_timed_out_submit_is_unknown_then_reconciled_to_filled() -> None:
    order = transition(make_order(), TimedOut(at(0)))
    assert order.status is OrderStatus.UNKNOWN
    assert order.is_working

    order = transition(order, Filled(make_fill(order, 10, 100)))
    assert order.status is OrderStatus.FILLED


def test_transitions_set_timestamps_and_reasons() -> None:
    rejected = transition(make_order(), Rejected(at(1), "max_order_value"))
    cancelled = transition(
        transition(make_order(), Accepted(at(0))), Cancelled(at(2), "kill switch")
    )

    assert rejected.rejection_reason == "max_order_value"
    assert rejected.history[-1].reason == "max_order_value"
    assert cancelled.cancelled_at == at(2)
    assert cancelled.reason == "kill switch"
    assert cancelled.submitted_at == at(0)


def test_allowed_table_covers_every_status() -> None:
    assert set(ALLOWED) == set(OrderStatus)
    assert all(not ALLOWED[s] for s in OrderStatus if s.is_terminal)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"order_type": OrderType.LIMIT}, "needs limit_price"),
        ({"order_type": OrderType.STOP_LIMIT, "stop_price": 10}, "needs limit_price"),
        ({"order_type": OrderType.TRAILING_STOP}, "exactly one of trail_amount"),
        ({"order_type": OrderType.TRAILING_STOP, "trail_percent": "1.5"}, "below 1"),
        ({"quantity": 0}, "quantity must be a Decimal above 0"),
        ({"limit_price": 10}, "market order takes no limit_price"),
    ],
)
def test_order_malformed_raises_naming_field(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make_order(**fields)  # type: ignore[arg-type]


def test_bracket_children_oppose_entry_and_cancel_each_other() -> None:
    entry = make_order("e1", order_type=OrderType.LIMIT, limit_price=100)
    bracket = Bracket.build(entry, stop_price=Decimal(95), take_profit_price=Decimal(110))

    assert {c.side for c in bracket.children} == {Side.SELL}
    assert bracket.stop_loss.type is OrderType.STOP
    assert bracket.take_profit.limit_price == Decimal(110)
    assert {c.oco_group for c in bracket.children} == {"e1"}
    assert bracket.sibling("e1:sl") is bracket.take_profit
    assert bracket.sibling("e1:tp") is bracket.stop_loss


def test_bracket_with_one_level_has_one_child_and_no_sibling() -> None:
    entry = make_order("e1", order_type=OrderType.LIMIT, limit_price=100)
    bracket = Bracket.build(entry, take_profit_price=Decimal(110))

    assert bracket.stop_loss is None
    assert [c.client_order_id for c in bracket.children] == ["e1:tp"]
    assert bracket.sibling("e1:tp") is None
    with pytest.raises(ValidationError, match="not a child"):
        bracket.sibling("e1:sl")


def test_bracket_without_levels_or_with_long_id_raises() -> None:
    with pytest.raises(ValidationError, match="a stop_price, a take_profit_price or both"):
        Bracket.build(make_order("e1"))
    with pytest.raises(ValidationError, match="at most 61 characters"):
        Bracket.build(make_order("e" * 62), stop_price=Decimal(95))


def test_bracket_short_levels_wrong_way_raises() -> None:
    entry = make_order("e1", side=Side.SELL, order_type=OrderType.LIMIT, limit_price=100)

    with pytest.raises(ValidationError, match="take profit < entry < stop"):
        Bracket.build(entry, stop_price=Decimal(95), take_profit_price=Decimal(90))
