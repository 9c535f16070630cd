"""The kill switch across accounts: the default one, each deployment's, and their deployments.

Left without ``account``, it blocks and cancels in every account of the mode and stops the
mode's running deployments; with ``account`` it touches that account only. Lifting it lets
orders through again; stopped deployments stay stopped until started.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fixtures.deployments import DEPLOYMENTS_URL, create_deployment
from tests.fixtures.orders import ORDERS_URL, submit
from tests.fixtures.users import SignedInUser, SignIn

pytestmark = pytest.mark.asyncio(loop_scope="session")

KILL_URL = "/api/v1/trading/kill-switch"
SLOW_SYNTHETIC = {"kind": "synthetic", "speed": 1.0}  # one 1d bar a day: nothing trades


async def _running_deployment(client: httpx.AsyncClient, user: SignedInUser) -> dict[str, Any]:
    created = await create_deployment(client, user, feed=SLOW_SYNTHETIC)
    assert created.status_code == 201, created.text
    url = f"{DEPLOYMENTS_URL}/{created.json()['id']}"
    started = await client.post(f"{url}/start", headers=user.headers)
    assert started.status_code == 200, started.text
    body: dict[str, Any] = started.json()
    return body


async def _resting(
    client: httpx.AsyncClient, user: SignedInUser, client_order_id: str, account: str
) -> int:
    response = await submit(
        client, user, client_order_id, type="limit", limit_price="90", account=account
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _status(client: httpx.AsyncClient, user: SignedInUser, path: str) -> str:
    status: str = (await client.get(path, headers=user.headers)).json()["status"]
    return status


async def test_kill_switch_without_account_covers_every_account_and_stops_deployments(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    deployment = await _running_deployment(client, user)
    own = deployment["account"]
    manual = await _resting(client, user, "manual", "default")
    deployed = await _resting(client, user, "deployed", own)

    killed = await client.post(KILL_URL, json={}, headers=user.headers)

    assert killed.status_code == 200, killed.text
    assert killed.json() == {
        "on": True,
        "cancelled": 2,
        "accounts": sorted(["default", own]),
        "stopped_deployments": [deployment["id"]],
    }
    for order_id in (manual, deployed):
        assert await _status(client, user, f"{ORDERS_URL}/{order_id}") == "cancelled"
    url = f"{DEPLOYMENTS_URL}/{deployment['id']}"
    assert await _status(client, user, url) == "stopped"
    events = (await client.get(f"{url}/events", headers=user.headers)).json()
    assert "deployment_halted" in [event["type"] for event in events]
    for client_order_id, account in (("again1", "default"), ("again2", own)):
        blocked = await submit(client, user, client_order_id, account=account)
        assert blocked.json()["error"]["details"]["rule"] == "kill_switch"
    restart = await client.post(f"{url}/start", headers=user.headers)
    assert restart.status_code == 409
    assert "kill switch" in restart.json()["error"]["message"]


async def test_kill_switch_lifted_lets_every_account_trade_and_deployments_start(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    deployment = await _running_deployment(client, user)
    await client.post(KILL_URL, json={}, headers=user.headers)

    lifted = await client.post(KILL_URL, json={"on": False}, headers=user.headers)

    assert lifted.json()["accounts"] == sorted(["default", deployment["account"]])
    for client_order_id, account in (("a1", "default"), ("a2", deployment["account"])):
        assert (await submit(client, user, client_order_id, account=account)).status_code == 201
    url = f"{DEPLOYMENTS_URL}/{deployment['id']}"
    assert (await client.post(f"{url}/start", headers=user.headers)).status_code == 200
    await client.post(f"{url}/stop", headers=user.headers)


async def test_kill_switch_for_one_account_leaves_the_others_and_their_deployments(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    deployment = await _running_deployment(client, user)
    manual = await _resting(client, user, "manual", "default")
    deployed = await _resting(client, user, "deployed", deployment["account"])

    body = {"account": deployment["account"]}
    killed = await client.post(KILL_URL, json=body, headers=user.headers)

    assert killed.json()["accounts"] == [deployment["account"]]
    assert killed.json()["cancelled"] == 1
    assert killed.json()["stopped_deployments"] == [deployment["id"]]
    assert await _status(client, user, f"{ORDERS_URL}/{manual}") == "accepted"
    assert await _status(client, user, f"{ORDERS_URL}/{deployed}") == "cancelled"
    assert (await submit(client, user, "manual2")).status_code == 201


async def test_kill_switch_other_mode_is_untouched(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    manual = await _resting(client, user, "manual", "default")
    config = await client.get("/api/v1/trading/config?mode=live", headers=user.headers)
    assert config.json()["limits"]["kill_switch"] is False

    await client.post(KILL_URL, json={"mode": "paper"}, headers=user.headers)

    live = await client.get("/api/v1/trading/config?mode=live", headers=user.headers)
    assert live.json()["limits"]["kill_switch"] is False
    assert await _status(client, user, f"{ORDERS_URL}/{manual}") == "cancelled"
