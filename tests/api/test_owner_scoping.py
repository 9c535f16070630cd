"""Every user-owned resource is its owner's alone: another user's id answers 404, never data.

Each area that adds an owned resource appends an ``OwnedResource`` to ``OWNED_RESOURCES``:
how user A creates one (returning its id), where its list and items live, and which item
methods exist. The tests then prove, for every entry, that user B can neither read, change
nor delete A's item, and that neither list shows the other's items.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.fixtures.deployments import create_owned_deployment
from tests.fixtures.jobs import create_owned_job
from tests.fixtures.users import SignedInUser, SignIn, log_in

Create = Callable[[httpx.AsyncClient, SignedInUser], Awaitable[int]]


@dataclass(frozen=True)
class OwnedResource:
    """One kind of owned item, described well enough to attack it as another user."""

    name: str
    list_url: str
    item_url: str  # with an ``{id}`` placeholder
    create: Create
    methods: tuple[str, ...] = ("GET", "PATCH", "DELETE")
    patch_body: dict[str, Any] = field(default_factory=dict)

    def url(self, item_id: int) -> str:
        return self.item_url.format(id=item_id)


async def _ids(client: httpx.AsyncClient, resource: OwnedResource, owner: SignedInUser) -> set[int]:
    response = await client.get(resource.list_url, params={"limit": 200}, headers=owner.headers)
    assert response.status_code == 200
    return {item["id"] for item in response.json()["items"]}


async def _create_session(client: httpx.AsyncClient, owner: SignedInUser) -> int:
    before = await _ids(client, SESSIONS, owner)
    assert (await log_in(client, owner.email, owner.password)).status_code == 200
    (created,) = await _ids(client, SESSIONS, owner) - before
    return created


SESSIONS = OwnedResource(
    name="sessions",
    list_url="/api/v1/users/me/sessions",
    item_url="/api/v1/users/me/sessions/{id}",
    create=_create_session,
    methods=("GET", "DELETE"),
)


async def _create_strategy(client: httpx.AsyncClient, owner: SignedInUser) -> int:
    body = {"name": f"trend {owner.id}", "type": "sma_cross", "symbols": ["SPY"]}
    response = await client.post("/api/v1/strategies", json=body, headers=owner.headers)
    assert response.status_code == 201
    return int(response.json()["id"])


async def _store_synthetic(client: httpx.AsyncClient, owner: SignedInUser) -> None:
    body = {"symbol": "OWNED", "timeframe": "1d", "start": "2024-01-01T00:00:00Z", "bars": 60}
    response = await client.post("/api/v1/market-data/synthetic", json=body, headers=owner.headers)
    assert response.status_code in (200, 201)


def _create_run(url: str, extra: dict[str, Any]) -> Create:
    async def create(client: httpx.AsyncClient, owner: SignedInUser) -> int:
        await _store_synthetic(client, owner)
        body = {"strategy_type": "sma_cross", "parameters": {"fast": 3, "slow": 10}}
        body |= {"symbols": ["OWNED"], "timeframe": "1d", **extra}
        response = await client.post(url, json=body, headers=owner.headers)
        assert response.status_code == 202
        return int(response.json()["id"])

    return create


STRATEGIES = OwnedResource(
    name="strategies",
    list_url="/api/v1/strategies",
    item_url="/api/v1/strategies/{id}",
    create=_create_strategy,
    patch_body={"description": "taken over"},
)
BACKTESTS = OwnedResource(
    name="backtests",
    list_url="/api/v1/backtests",
    item_url="/api/v1/backtests/{id}",
    create=_create_run("/api/v1/backtests", {}),
    methods=("GET", "DELETE"),
)
OPTIMIZATIONS = OwnedResource(
    name="optimizations",
    list_url="/api/v1/optimizations",
    item_url="/api/v1/optimizations/{id}",
    create=_create_run("/api/v1/optimizations", {"grid": {"fast": [2, 3], "slow": [10]}}),
    methods=("GET", "DELETE"),
)

OWNED_RESOURCES = [SESSIONS, STRATEGIES, BACKTESTS, OPTIMIZATIONS]

JOBS = OwnedResource(
    name="jobs",
    list_url="/api/v1/jobs",
    item_url="/api/v1/jobs/{id}",
    create=create_owned_job,
    methods=("GET", "DELETE"),
)
OWNED_RESOURCES.append(JOBS)

DEPLOYMENTS = OwnedResource(
    name="deployments",
    list_url="/api/v1/deployments",
    item_url="/api/v1/deployments/{id}",
    create=create_owned_deployment,
    patch_body={"risk_profile": {"quantity": "5"}},
)
OWNED_RESOURCES.append(DEPLOYMENTS)

CASES = [
    pytest.param(resource, method, id=f"{resource.name}-{method}")
    for resource in OWNED_RESOURCES
    for method in resource.methods
]


@pytest.mark.parametrize(("resource", "method"), CASES)
async def test_owned_item_other_users_request_not_found(
    client: httpx.AsyncClient, sign_in: SignIn, resource: OwnedResource, method: str
) -> None:
    owner, intruder = await sign_in(), await sign_in()
    item_id = await resource.create(client, owner)
    body = resource.patch_body if method == "PATCH" else None
    response = await client.request(
        method, resource.url(item_id), json=body, headers=intruder.headers
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert owner.email not in response.text
    assert item_id in await _ids(client, resource, owner)


@pytest.mark.parametrize("resource", OWNED_RESOURCES, ids=lambda resource: resource.name)
async def test_owned_item_owner_request_succeeds(
    client: httpx.AsyncClient, sign_in: SignIn, resource: OwnedResource
) -> None:
    owner = await sign_in()
    item_id = await resource.create(client, owner)
    response = await client.get(resource.url(item_id), headers=owner.headers)
    assert response.status_code == 200
    assert response.json()["id"] == item_id


@pytest.mark.parametrize("resource", OWNED_RESOURCES, ids=lambda resource: resource.name)
async def test_owned_list_shows_only_own_items(
    client: httpx.AsyncClient, sign_in: SignIn, resource: OwnedResource
) -> None:
    first, second = await sign_in(), await sign_in()
    first_item = await resource.create(client, first)
    second_item = await resource.create(client, second)
    first_ids, second_ids = (
        await _ids(client, resource, first),
        await _ids(client, resource, second),
    )
    assert first_item in first_ids
    assert second_item in second_ids
    assert not first_ids & second_ids


async def test_profile_me_is_always_the_callers_own(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    owner, other = await sign_in(), await sign_in()
    await client.patch("/api/v1/users/me", json={"full_name": "Other"}, headers=other.headers)
    mine = (await client.get("/api/v1/users/me", headers=owner.headers)).json()
    assert (mine["id"], mine["full_name"]) == (owner.id, None)


async def test_logout_other_users_refresh_token_not_found(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    owner, intruder = await sign_in(), await sign_in()
    response = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": owner.refresh_token}, headers=intruder.headers
    )
    assert response.status_code == 404
    still_valid = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token}
    )
    assert still_valid.status_code == 200
