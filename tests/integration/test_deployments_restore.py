"""Start-up restore: a fresh process puts stored orders and positions back into its broker.

The first process leaves a running deployment with a filled entry (an open position) and a
working order; a second process over the same database restores both into a new paper
broker, restarts the deployment, and records each difference as a strategy event.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from quantdesk.backtest import Commission, Slippage
from quantdesk.brokers.paper import PaperBroker
from quantdesk.db.models import Deployment, User
from quantdesk.db.repositories.deployments import DeploymentRepository
from quantdesk.runtime import Runtime
from quantdesk.services import deployments, fills, orders
from quantdesk.services.deployments import DeploymentRequest, FeedSpec, SizingSpec
from quantdesk.trading.fills import FillRules
from quantdesk.trading.orders import Fill, Side
from tests.fixtures.deployment_runs import Desk
from tests.fixtures.users import MakeUser

pytestmark = pytest.mark.asyncio(loop_scope="session")

AT = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)


async def _first_process(runtime: Runtime, user: User) -> Deployment:
    request = DeploymentRequest(
        symbols=["AAPL"],
        timeframe="1m",
        strategy_type="sma_cross",
        parameters={"fast": 2, "slow": 4},
        feed=FeedSpec("synthetic", 1.0),
        sizing=SizingSpec(quantity=Decimal(10)),
    )
    broker = PaperBroker(FillRules())
    await broker.connect()
    async with runtime.context() as ctx:
        ctx.actor = user
        row = await deployments.create_deployment(ctx, request)
        await deployments.mark_running(ctx, row)
        for client_order_id, quantity in (("entry", 10), ("working", 5)):
            order = orders.OrderRequest(
                client_order_id, "AAPL", "buy", Decimal(quantity), account=row.account,
                deployment_id=row.id,
            )  # fmt: skip
            await orders.submit_order(ctx, broker, order)
    fill = Fill("F1", "entry", "AAPL", Side.BUY, Decimal(10), Decimal("101.5"), AT)
    async with runtime.context() as ctx:
        await fills.apply_fill(ctx, user.id, fill)
    return row


async def test_restart_restores_orders_positions_and_running_deployment(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    row = await _first_process(runtime, user)
    desk = Desk(runtime, Commission(), Slippage())
    try:
        assert await desk.runner.restore() == 1
        broker = await desk.engine.broker(user.id, "paper")
        open_orders = await broker.open_orders()
        positions = await broker.positions()
        assert desk.runner.running() == [row.id]
    finally:
        await desk.close()
    assert [(o.client_order_id, o.status.value) for o in open_orders] == [("working", "accepted")]
    assert [(p.symbol, p.quantity, p.average_price) for p in positions] == [
        ("AAPL", Decimal(10), Decimal("101.5"))
    ]
    async with runtime.context() as ctx:
        kinds = [event.type for event in await DeploymentRepository(ctx.session).events_for(row.id)]
    assert kinds == [
        "deployment_started",
        "order_restored",
        "position_restored",
        "deployment_restored",
    ]


async def test_restart_with_matching_broker_reports_no_difference(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    row = await _first_process(runtime, user)
    desk = Desk(runtime, Commission(), Slippage())
    try:
        await desk.runner.restore()
        await desk.runner.close()
        assert await desk.runner.restore() == 1
    finally:
        await desk.close()
    async with runtime.context() as ctx:
        kinds = [event.type for event in await DeploymentRepository(ctx.session).events_for(row.id)]
    assert kinds.count("order_restored") == 1
    assert kinds.count("position_restored") == 1
    assert kinds.count("deployment_restored") == 2


async def test_restart_replay_without_bars_marks_deployment_failed_naming_symbol(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    request = DeploymentRequest(
        symbols=["GONE"], timeframe="1m", strategy_type="sma_cross", feed=FeedSpec("replay", 1e9)
    )
    async with runtime.context() as ctx:
        ctx.actor = user
        row = await deployments.create_deployment(ctx, request)
        await deployments.mark_running(ctx, row)
    desk = Desk(runtime, Commission(), Slippage())
    try:
        assert await desk.runner.restore() == 0
        assert desk.runner.running() == []
    finally:
        await desk.close()
    async with runtime.context() as ctx:
        stored = await DeploymentRepository(ctx.session).get(row.id)
    assert stored is not None
    assert stored.status == "failed"
    assert "GONE" in (stored.last_error or "")
