"""The paper broker: each order type, brackets, time in force, participation and the account."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest

from quantdesk.backtest import Commission, Slippage
from quantdesk.bars import Bars
from quantdesk.brokers.paper import PaperBroker
from quantdesk.errors import ConflictError, NotFoundError, UnavailableError, ValidationError
from quantdesk.marketdata.feeds.replay import ReplayFeed
from quantdesk.trading.fills import FillRules
from quantdesk.trading.orders import Bracket, OrderStatus, OrderType, Side, TimeInForce
from tests.fixtures.brokers import bar, collect, paper_broker
from tests.fixtures.trading import at, make_order

D = Decimal


async def test_market_order_next_bar_fills_at_open_with_slippage_and_fees() -> None:
    rules = FillRules(commission=Commission(fraction=0.001, fixed=1.0), slippage=Slippage(bps=10))
    broker = await paper_broker(rules)
    update = await broker.submit(make_order("m1", quantity=10))
    assert update.status is OrderStatus.ACCEPTED
    assert update.broker_order_id
    broker.on_bar("AAPL", bar(100.0, 102.0, 99.0, 101.0), at=at(1))
    events = await collect(broker)
    fill = events[1].fill
    assert events[0].update is not None
    assert fill is not None
    assert (fill.price, fill.quantity, fill.at) == (D("100.1"), D(10), at(1))
    assert fill.commission == D("2.001")
    assert broker.order("m1").status is OrderStatus.FILLED


async def test_fill_ids_unique_across_orders() -> None:
    broker = await paper_broker()
    for i in range(5):
        await broker.submit(make_order(f"m{i}", quantity=1))
    broker.on_bar("AAPL", bar(100.0, 100.0, 100.0, 100.0))
    fills = [e.fill.fill_id for e in await collect(broker) if e.fill is not None]
    assert len(fills) == len(set(fills)) == 5


@pytest.mark.parametrize(
    ("bars", "price"),
    [
        ([(101.0, 102.0, 100.5, 101.0), (101.0, 101.0, 99.5, 100.0)], D(100)),  # touched later
        ([(98.0, 99.0, 97.0, 98.5)], D(98)),  # gap below the limit fills at the open
    ],
)
async def test_limit_buy_fills_at_limit_or_gap_open(
    bars: list[tuple[float, float, float, float]], price: Decimal
) -> None:
    broker = await paper_broker()
    await broker.submit(
        make_order("l1", order_type=OrderType.LIMIT, limit_price=100, time_in_force=TimeInForce.GTC)
    )
    for prices in bars:
        broker.on_bar("AAPL", bar(*prices))
    assert broker.order("l1").average_fill_price == price


async def test_stop_limit_triggered_without_fill_rests_as_limit() -> None:
    broker = await paper_broker()
    order = make_order(
        "sl", order_type=OrderType.STOP_LIMIT, stop_price=105, limit_price=104,
        time_in_force=TimeInForce.GTC,
    )  # fmt: skip
    await broker.submit(order)
    broker.on_bar("AAPL", bar(106.0, 107.0, 105.5, 106.5))  # gaps above the limit
    assert broker.order("sl").type is OrderType.LIMIT
    assert broker.order("sl").is_working
    broker.on_bar("AAPL", bar(105.0, 105.0, 103.0, 104.0))
    assert broker.order("sl").average_fill_price == D(104)


async def test_trailing_sell_stop_follows_the_high_then_fills() -> None:
    broker = await paper_broker()
    broker.on_bar("AAPL", bar(100.0, 100.0, 100.0, 100.0))
    await broker.submit(make_order("pos", quantity=1))
    trail = make_order(
        "tr", side=Side.SELL, quantity=1, order_type=OrderType.TRAILING_STOP, trail_amount=2,
        time_in_force=TimeInForce.GTC,
    )  # fmt: skip
    await broker.submit(trail)
    broker.on_bar("AAPL", bar(100.0, 110.0, 99.0, 109.0))  # 100 - 2 = 98 not reached
    assert broker.order("tr").is_working
    broker.on_bar("AAPL", bar(109.0, 109.5, 107.0, 107.5))  # 110 - 2 = 108 is hit
    assert broker.order("tr").average_fill_price == D(108)


async def test_bracket_children_wait_for_entry_then_stop_cancels_target() -> None:
    broker = await paper_broker()
    entry = make_order("b1", quantity=5)
    bracket = Bracket.build(entry, stop_price=D(95), take_profit_price=D(110))
    await broker.submit_bracket(bracket)
    assert {u.client_order_id for u in await broker.open_orders()} == {"b1", "b1:sl", "b1:tp"}
    broker.on_bar("AAPL", bar(100.0, 101.0, 94.0, 96.0))  # entry at the open, stop same bar
    assert broker.order("b1:sl").average_fill_price == D(95)
    assert broker.order("b1:tp").status is OrderStatus.CANCELLED
    assert await broker.positions() == []


@pytest.mark.parametrize(
    ("intrabar", "filled"), [("pessimistic", "b1:sl"), ("optimistic", "b1:tp")]
)
async def test_bracket_bar_touching_both_levels_follows_intrabar_policy(
    intrabar: str, filled: str
) -> None:
    broker = await paper_broker(FillRules(intrabar=intrabar))  # type: ignore[arg-type]
    await broker.submit_bracket(
        Bracket.build(make_order("b1"), stop_price=D(95), take_profit_price=D(110))
    )
    broker.on_bar("AAPL", bar(100.0, 100.0, 100.0, 100.0))
    broker.on_bar("AAPL", bar(100.0, 111.0, 94.0, 100.0))
    assert broker.order(filled).status is OrderStatus.FILLED
    events = await collect(broker)
    assert [e.details.get("ambiguous") for e in events if e.fill is not None] == [False, True]


async def test_bracket_entry_cancelled_cancels_waiting_children() -> None:
    broker = await paper_broker()
    entry = make_order("b1", order_type=OrderType.LIMIT, limit_price=90)
    await broker.submit_bracket(Bracket.build(entry, stop_price=D(85), take_profit_price=D(99)))
    await broker.cancel("b1")
    assert [broker.order(i).status for i in ("b1:sl", "b1:tp")] == [OrderStatus.CANCELLED] * 2


async def test_bracket_child_cancelled_while_waiting_then_entry_cancelled_stays_cancelled() -> None:
    broker = await paper_broker()
    entry = make_order("b1", order_type=OrderType.LIMIT, limit_price=90)
    await broker.submit_bracket(Bracket.build(entry, stop_price=D(85), take_profit_price=D(99)))
    await broker.cancel("b1:sl")
    await broker.cancel("b1")
    assert [broker.order(i).status for i in ("b1", "b1:sl", "b1:tp")] == [OrderStatus.CANCELLED] * 3
    assert broker.order("b1:sl").reason == "cancelled on request"


async def test_bracket_with_stop_only_guards_the_short_it_opens() -> None:
    broker = await paper_broker()
    await broker.submit_bracket(Bracket.build(make_order("s1", side=Side.SELL), stop_price=D(104)))
    assert {u.client_order_id for u in await broker.open_orders()} == {"s1", "s1:sl"}
    broker.on_bar("AAPL", bar(100.0, 101.0, 99.0, 100.0))
    broker.on_bar("AAPL", bar(102.0, 106.0, 101.0, 105.0))
    assert broker.order("s1:sl").average_fill_price == D(104)
    assert await broker.positions() == []


async def test_day_order_expires_when_next_session_starts_and_gtc_stays() -> None:
    broker = await paper_broker()
    await broker.submit(make_order("day", order_type=OrderType.LIMIT, limit_price=50))
    gtc = make_order(
        "gtc", order_type=OrderType.LIMIT, limit_price=50, time_in_force=TimeInForce.GTC
    )
    await broker.submit(gtc)
    broker.on_bar("AAPL", bar(100.0, 101.0, 99.0, 100.0), at=at(1))
    assert broker.order("day").is_working
    broker.on_bar("AAPL", bar(100.0, 101.0, 99.0, 100.0), at=at(1) + timedelta(days=1))
    assert broker.order("day").status is OrderStatus.EXPIRED
    assert broker.order("gtc").is_working


async def test_day_market_order_placed_after_close_fills_next_session_open() -> None:
    broker = await paper_broker()
    broker.on_bar("AAPL", bar(100.0, 101.0, 99.0, 100.0), at=at(0))
    await broker.submit(make_order("m1"))
    broker.on_bar("AAPL", bar(103.0, 104.0, 102.0, 103.0), at=at(0) + timedelta(days=1))
    assert broker.order("m1").average_fill_price == D(103)


async def test_ioc_with_participation_fills_share_of_volume_and_cancels_rest() -> None:
    broker = await paper_broker(participation=0.1)
    await broker.submit(make_order("ioc", quantity=100, time_in_force=TimeInForce.IOC))
    broker.on_bar("AAPL", bar(100.0, 101.0, 99.0, 100.0), volume=255)
    order = broker.order("ioc")
    assert (order.status, order.filled_quantity) == (OrderStatus.CANCELLED, D(25))


async def test_fok_without_enough_volume_is_cancelled_unfilled() -> None:
    broker = await paper_broker(participation=0.1)
    await broker.submit(make_order("fok", quantity=100, time_in_force=TimeInForce.FOK))
    broker.on_bar("AAPL", bar(100.0, 101.0, 99.0, 100.0), volume=500)
    order = broker.order("fok")
    assert (order.status, order.filled_quantity) == (OrderStatus.CANCELLED, D(0))


async def test_participation_spreads_market_order_over_bars_shared_by_orders() -> None:
    broker = await paper_broker(participation=0.5)
    await broker.submit(make_order("a", quantity=60, time_in_force=TimeInForce.GTC))
    await broker.submit(make_order("b", quantity=10, time_in_force=TimeInForce.GTC))
    broker.on_bar("AAPL", bar(100.0, 100.0, 100.0, 100.0), volume=100)
    assert (broker.order("a").filled_quantity, broker.order("b").filled_quantity) == (D(50), D(0))
    broker.on_bar("AAPL", bar(101.0, 101.0, 101.0, 101.0), volume=100)
    assert broker.order("a").average_fill_price == D("100.1666666667")
    assert broker.order("b").status is OrderStatus.FILLED


async def test_round_trip_account_books_pnl_net_of_fees() -> None:
    broker = await paper_broker(FillRules(commission=Commission(fixed=1.0)), cash=10_000)
    await broker.submit(make_order("buy", quantity=10))
    broker.on_bar("AAPL", bar(100.0, 100.0, 100.0, 100.0))
    positions = await broker.positions()
    assert (positions[0].quantity, positions[0].average_price) == (D(10), D(100))
    await broker.submit(make_order("sell", side=Side.SELL, quantity=10))
    broker.on_bar("AAPL", bar(105.0, 105.0, 105.0, 105.0))
    account = await broker.account()
    assert account.cash == account.equity == D(10_048)


async def test_modify_limit_price_moves_where_it_fills() -> None:
    broker = await paper_broker()
    await broker.submit(make_order("l1", order_type=OrderType.LIMIT, limit_price=95))
    update = await broker.modify("l1", limit_price=D(99))
    assert update.reason == "modified"
    broker.on_bar("AAPL", bar(100.0, 100.0, 98.0, 99.0))
    assert broker.order("l1").average_fill_price == D(99)


async def test_modify_quantity_below_filled_is_refused() -> None:
    broker = await paper_broker(participation=0.5)
    await broker.submit(make_order("a", quantity=60, time_in_force=TimeInForce.GTC))
    broker.on_bar("AAPL", bar(100.0, 100.0, 100.0, 100.0), volume=100)
    with pytest.raises(ValidationError, match="already filled"):
        await broker.modify("a", quantity=D(40))


async def test_duplicate_client_order_id_is_rejected_with_reason() -> None:
    broker = await paper_broker()
    await broker.submit(make_order("dup"))
    update = await broker.submit(make_order("dup"))
    assert update.status is OrderStatus.REJECTED
    assert "already used" in (update.reason or "")


async def test_child_of_unknown_entry_is_rejected() -> None:
    broker = await paper_broker()
    update = await broker.submit(make_order("c", parent_client_order_id="nope"))
    assert update.status is OrderStatus.REJECTED
    assert "submit the entry" in (update.reason or "")


async def test_submit_before_connect_raises_unavailable() -> None:
    broker = PaperBroker(FillRules())
    with pytest.raises(UnavailableError, match="connect"):
        await broker.submit(make_order())


async def test_cancel_filled_order_conflicts_and_unknown_is_not_found() -> None:
    broker = await paper_broker()
    await broker.submit(make_order("m1"))
    broker.on_bar("AAPL", bar(100.0, 100.0, 100.0, 100.0))
    with pytest.raises(ConflictError, match="filled"):
        await broker.cancel("m1")
    with pytest.raises(NotFoundError):
        await broker.cancel("missing")


def test_participation_outside_unit_interval_is_refused() -> None:
    with pytest.raises(ValidationError, match="participation"):
        PaperBroker(FillRules(), participation=1.5)


async def test_run_consumes_replay_feed_stream_with_bar_times_and_volume() -> None:
    stamps = np.array([0, 60, 120], dtype=np.int64) * 1_000_000_000 + 1_700_000_000 * 10**9
    prices = np.array([100.0, 102.0, 104.0])
    history = Bars.from_arrays(
        stamps, prices, prices + 1, prices - 1, prices, [10, 10, 10], symbol="AAPL", timeframe="1m"
    )
    feed = ReplayFeed({"AAPL": history}, live_time=False, sleep=_no_sleep)
    broker = await paper_broker(participation=0.5)
    await broker.submit(make_order("m1", quantity=8, time_in_force=TimeInForce.GTC))
    await broker.run(feed.bars(["AAPL"], "1m"))
    fills = [e.fill for e in await collect(broker) if e.fill is not None]
    assert [(f.quantity, f.price) for f in fills] == [(D(5), D(100)), (D(3), D(102))]
    assert fills[0].at.timestamp() == 1_700_000_000


async def _no_sleep(_: float) -> None:
    return None
