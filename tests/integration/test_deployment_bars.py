"""Bars a synthetic feed generated: kept per deployment, replaced by time, deleted with it."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from quantdesk.bars import Bars
from quantdesk.db.models import Deployment, User
from quantdesk.db.repositories.deployment_bars import DeploymentBarRepository
from quantdesk.errors import ValidationError
from quantdesk.runtime import Runtime
from quantdesk.services import deployment_bars, deployments
from quantdesk.services.deployments import DeploymentRequest, FeedSpec, SizingSpec
from tests.fixtures.users import MakeUser

pytestmark = pytest.mark.asyncio(loop_scope="session")

MINUTE_NS = 60 * 10**9
START_NS = 1_700_000_000 * 10**9 + 123_456_000  # microseconds survive the round trip


def _bar(minute: int, close: float) -> Bars:
    stamp = np.array([START_NS + minute * MINUTE_NS], dtype=np.int64)
    return Bars.from_arrays(
        stamp, [100.0], [max(100.0, close)], [min(100.0, close)], [close], [7.0],
        symbol="WALK", timeframe="1m",
    )  # fmt: skip


async def _deployment(runtime: Runtime, user: User) -> Deployment:
    request = DeploymentRequest(
        symbols=["WALK"], timeframe="1m", strategy_type="sma_cross",
        parameters={"fast": 2, "slow": 4}, feed=FeedSpec("synthetic", 60.0),
        sizing=SizingSpec(quantity=Decimal(1)),
    )  # fmt: skip
    async with runtime.context() as ctx:
        ctx.actor = user
        return await deployments.create_deployment(ctx, request)


async def test_kept_bars_load_in_time_order_and_a_bar_at_a_kept_time_replaces_it(
    runtime: Runtime, make_user: MakeUser
) -> None:
    row = await _deployment(runtime, await make_user())
    async with runtime.context() as ctx:
        for minute, close in ((1, 101.0), (0, 99.0), (2, 102.0), (1, 103.5)):
            await deployment_bars.keep_bar(ctx, row.id, _bar(minute, close))

    async with runtime.context() as ctx:
        (bars,) = (await deployment_bars.load_series(ctx, row, None)).values()

    assert list(bars.close) == [99.0, 103.5, 102.0]
    assert list(bars.timestamps) == [START_NS + m * MINUTE_NS for m in range(3)]
    assert (bars.symbol, bars.timeframe, bars.volume[0]) == ("WALK", "1m", 7.0)


async def test_deleting_the_deployment_deletes_its_bars(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    row = await _deployment(runtime, user)
    async with runtime.context() as ctx:
        await deployment_bars.keep_bar(ctx, row.id, _bar(0, 101.0))
    async with runtime.context() as ctx:
        ctx.actor = user
        await deployments.delete_deployment(ctx, row.id)

    async with runtime.context() as ctx:
        kept = await DeploymentBarRepository(ctx.session).load(row.id, "WALK", "1m", None)
    assert len(kept) == 0


async def test_fewer_than_two_kept_bars_is_refused_naming_the_symbol(
    runtime: Runtime, make_user: MakeUser
) -> None:
    row = await _deployment(runtime, await make_user())
    async with runtime.context() as ctx:
        await deployment_bars.keep_bar(ctx, row.id, _bar(0, 101.0))
        with pytest.raises(ValidationError) as info:
            await deployment_bars.load_series(ctx, row, None)
    assert info.value.details["symbol"] == "WALK"
