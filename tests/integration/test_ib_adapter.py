"""The IB adapter against a real ib_async.IB whose TWS answers come from recorded flows."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import ib_async
import pytest

from quantdesk.brokers.ib import BrokerTimeoutError, IbBroker
from quantdesk.errors import UnavailableError
from quantdesk.ports.broker import BrokerEvent
from quantdesk.resilience import CircuitOpenError, RetryPolicy
from quantdesk.trading.orders import Bracket, OrderStatus, OrderType, Side, TimeInForce
from tests.fixtures.ib_tws import FakeTws, flow
from tests.fixtures.trading import make_order

D = Decimal
FAST = RetryPolicy(max_retries=3, base_delay=0.001, max_delay=0.001)


async def _broker(**options: object) -> tuple[IbBroker, FakeTws]:
    ib = ib_async.IB()
    tws = FakeTws(ib)
    broker = IbBroker(ib=ib, account="DU1234567", timeout=0.2, reconnect=FAST, **options)  # type: ignore[arg-type]
    await broker.connect()
    return broker, tws


async def _submit_answered(broker: IbBroker, tws: FakeTws, order, name: str):  # type: ignore[no-untyped-def]
    tws.answers[order.client_order_id] = flow(name)
    task = asyncio.create_task(broker.submit(order))
    await asyncio.sleep(0)
    tws.answer_placed()
    return await task


async def _events(broker: IbBroker) -> list[BrokerEvent]:
    await broker.close()
    return [event async for event in broker.events()]


async def test_connect_syncs_next_order_id_with_req_ids() -> None:
    broker, tws = await _broker()
    assert broker.state == "connected"
    assert [f for f in tws.sent if int(f[0]) == 8]  # reqIds went out
    assert broker.health().next_order_id > 100  # TWS said 101; ib_async shares ids with requests


async def test_market_order_acknowledged_then_fills_carry_exec_id_and_commission() -> None:
    broker, tws = await _broker()
    update = await _submit_answered(broker, tws, make_order("m1", quantity=100), "market_filled")
    assert update.status is OrderStatus.ACCEPTED
    assert int(update.broker_order_id or 0) > 100
    events = await _events(broker)
    fills = [e.fill for e in events if e.fill is not None]
    assert [(f.fill_id, f.quantity, f.price, f.commission) for f in fills] == [
        ("0000e0d5.6553f0c1.01.01", D(60), D("189.51"), D("0.35")),
        ("0000e0d5.6553f0c2.01.01", D(40), D("189.52"), D("0.65")),
    ]
    statuses = [e.update.status for e in events if e.update is not None]
    assert statuses == [OrderStatus.ACCEPTED]  # fills carry the filled status


async def test_rejected_order_answers_rejected_with_ib_reason() -> None:
    broker, tws = await _broker()
    order = make_order("l1", order_type=OrderType.LIMIT, limit_price=189)
    update = await _submit_answered(broker, tws, order, "limit_rejected")
    assert update.status is OrderStatus.REJECTED
    assert "Error 201" in (update.reason or "")
    assert "EQUITY WITH LOAN" in (update.reason or "")


async def test_cancel_resting_limit_reports_cancelled_once() -> None:
    broker, tws = await _broker()
    order = make_order(
        "l1", order_type=OrderType.LIMIT, limit_price=180, time_in_force=TimeInForce.GTC
    )
    update = await _submit_answered(broker, tws, order, "limit_cancelled")
    await broker.cancel("l1")
    assert [str(f[2]) for f in tws.sent if int(f[0]) == 4] == [update.broker_order_id]
    tws.reply("l1", flow("limit_cancelled")["on_cancel"])
    statuses = [e.update.status for e in await _events(broker) if e.update is not None]
    assert statuses == [OrderStatus.ACCEPTED, OrderStatus.CANCELLED]


async def test_inactive_after_acceptance_maps_to_cancelled() -> None:
    broker, tws = await _broker()
    order = make_order("s1", side=Side.SELL, order_type=OrderType.STOP, stop_price=180)
    await _submit_answered(broker, tws, order, "stop_inactive")
    statuses = [e.update.status for e in await _events(broker) if e.update is not None]
    assert statuses == [OrderStatus.ACCEPTED, OrderStatus.CANCELLED]


async def test_unknown_contract_is_rejected_without_sending() -> None:
    broker, tws = await _broker()
    update = await broker.submit(make_order("x1", symbol="NOPE"))
    assert update.status is OrderStatus.REJECTED
    assert "NOPE" in (update.reason or "")
    assert tws.placed() == []


async def test_silent_tws_times_out_and_breaker_opens_after_threshold() -> None:
    broker, tws = await _broker(breaker_failures=2)
    for i in range(2):
        with pytest.raises(BrokerTimeoutError, match="unknown until reconciliation"):
            await broker.submit(make_order(f"t{i}"))
    assert broker.health().breaker.state == "open"
    with pytest.raises(CircuitOpenError):
        await broker.submit(make_order("t2"))
    assert len(tws.placed()) == 2


async def test_bracket_goes_out_with_parent_id_transmit_flags_and_oca_group() -> None:
    broker, tws = await _broker()
    bracket = Bracket.build(
        make_order("b1", order_type=OrderType.LIMIT, limit_price=190),
        stop_price=D(185), take_profit_price=D(200),
    )  # fmt: skip
    task = asyncio.create_task(broker.submit_bracket(bracket))
    await asyncio.sleep(0)
    trades = {t.order.orderRef: t.order for t in broker.ib.trades()}
    for ref in ("b1", "b1:sl", "b1:tp"):
        tws.reply(
            ref,
            [
                {
                    "call": "orderStatus",
                    "status": "PreSubmitted",
                    "filled": 0,
                    "remaining": 1,
                    "avgFillPrice": 0,
                }
            ],
        )
    updates = await task
    assert [u.status for u in updates] == [OrderStatus.ACCEPTED] * 3
    assert [trades[r].transmit for r in ("b1", "b1:sl", "b1:tp")] == [False, False, True]
    assert trades["b1:sl"].parentId == trades["b1:tp"].parentId == trades["b1"].orderId
    assert (trades["b1:sl"].orderType, trades["b1:sl"].auxPrice) == ("STP", 185.0)
    assert trades["b1:tp"].ocaGroup == "b1"
    assert len(tws.placed()) == 3


async def test_bracket_with_one_exit_transmits_with_that_exit() -> None:
    broker, tws = await _broker()
    bracket = Bracket.build(make_order("b1"), stop_price=D(185))
    task = asyncio.create_task(broker.submit_bracket(bracket))
    await asyncio.sleep(0)
    trades = {t.order.orderRef: t.order for t in broker.ib.trades()}
    answer = {"call": "orderStatus", "status": "PreSubmitted", "filled": 0, "remaining": 1}
    for ref in ("b1", "b1:sl"):
        tws.reply(ref, [answer | {"avgFillPrice": 0}])
    updates = await task
    assert [u.status for u in updates] == [OrderStatus.ACCEPTED] * 2
    assert [trades[r].transmit for r in ("b1", "b1:sl")] == [False, True]
    assert trades["b1:sl"].parentId == trades["b1"].orderId


async def test_dropped_connection_reconnects_resyncs_ids_and_replays_missed_fills() -> None:
    broker, tws = await _broker()
    await _submit_answered(broker, tws, make_order("m1", quantity=100), "stop_inactive")
    tws.refuse = 2
    tws.missed_executions = [
        {"execId": "missed.01", "side": "BOT", "shares": 100, "price": 190.0,
         "time": "2024-03-04T14:35:00+00:00", "orderId": 102, "orderRef": "m1"},
    ]  # fmt: skip
    tws.drop()
    assert broker.state == "reconnecting"
    for _ in range(50):
        await asyncio.sleep(0.01)
        if broker.state == "connected":
            break
    assert broker.state == "connected"
    assert tws.connects == 4  # first connect, two refused, then back
    assert len([f for f in tws.sent if int(f[0]) == 8]) == 2  # reqIds after each connect
    fills = [e.fill for e in await _events(broker) if e.fill is not None]
    assert [(f.fill_id, f.client_order_id, f.price) for f in fills] == [("missed.01", "m1", D(190))]


async def test_reconnect_gives_up_after_retries_and_reports_failed() -> None:
    ib = ib_async.IB()
    tws = FakeTws(ib)
    tws.refuse = 10
    broker = IbBroker(ib=ib, timeout=0.2, reconnect=FAST)
    with pytest.raises(UnavailableError, match="7497"):
        await broker.connect()
    assert broker.state == "failed"
    assert tws.connects == 4


async def test_submit_while_reconnecting_raises_unavailable() -> None:
    broker, tws = await _broker()
    tws.refuse = 100
    tws.drop()
    with pytest.raises(UnavailableError, match="reconnecting"):
        await broker.submit(make_order("m1"))
    await broker.close()


async def test_execution_without_commission_report_goes_out_after_wait_once() -> None:
    broker, tws = await _broker(commission_wait=0.01)
    messages = [m for m in flow("market_filled")["messages"] if m["call"] != "commissionReport"]
    tws.answers["m1"] = {"messages": messages}
    task = asyncio.create_task(broker.submit(make_order("m1", quantity=100)))
    await asyncio.sleep(0)
    tws.answer_placed()
    await task
    await asyncio.sleep(0.05)
    tws.reply(
        "m1", [{"call": "commissionReport", "execId": "0000e0d5.6553f0c1.01.01", "commission": 9.0}]
    )
    fills = [e.fill for e in await _events(broker) if e.fill is not None]
    assert [(f.quantity, f.commission) for f in fills] == [(D(60), D(0)), (D(40), D(0))]
