"""Deployments on the WebSocket hub: each status change reaches the owner's ``events`` channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from quantdesk.api.app import create_app
from quantdesk.runtime import Runtime
from quantdesk.settings import Settings
from tests.fixtures.apps import settings_with
from tests.fixtures.deployments import DEPLOYMENTS_URL, deployment_body
from tests.fixtures.users import SignIn
from tests.fixtures.websocket import WsClient, http_base, serving, ws_client

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings_with(settings, ws_flush_ms=10, run_jobs_in_api=False)


@pytest_asyncio.fixture(loop_scope="session")
async def ws_url(settings: Settings, runtime: Runtime) -> AsyncIterator[str]:
    async with serving(create_app(settings, runtime=runtime)) as url:
        yield url


async def _strategy_events(socket: WsClient, count: int) -> list[dict[str, Any]]:
    """The next ``count`` strategy events, skipping other notices on ``events``."""
    found: list[dict[str, Any]] = []
    while len(found) < count:
        found += [e for e in await socket.events(1) if e["kind"] == "strategy_event"]
    return found


async def test_deployment_start_and_stop_reach_events_channel_with_status(
    ws_url: str, sign_in: SignIn
) -> None:
    user, stranger = await sign_in(), await sign_in()
    body = deployment_body(feed={"kind": "synthetic", "speed": 1}, timeframe="1m")
    async with (
        ws_client(ws_url, "msgpack", token=user.access_token) as socket,
        ws_client(ws_url, token=stranger.access_token) as other,
        http_base(ws_url) as http,
    ):
        assert (await socket.subscribe("events"))["type"] == "subscribed"
        await other.subscribe("events")
        created = await http.post(DEPLOYMENTS_URL, json=body, headers=user.headers)
        url = f"{DEPLOYMENTS_URL}/{created.json()['id']}"
        assert (await http.post(f"{url}/start", headers=user.headers)).status_code == 200
        assert (await http.post(f"{url}/stop", headers=user.headers)).status_code == 200
        started, stopped = await _strategy_events(socket, 2)
        with pytest.raises(TimeoutError):
            await other.events(1, wait=0.3)
    assert started["data"] == {
        "deployment_id": created.json()["id"],
        "status": "running",
        "type": "deployment_started",
        "severity": "info",
        "message": "started on new bars",
        "details": {},
    }
    assert (stopped["data"]["type"], stopped["data"]["status"]) == ("deployment_stopped", "stopped")
