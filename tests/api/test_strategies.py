"""Saved strategies over HTTP: CRUD, unique names, parameter checks, and the type registry."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.users import SignIn

URL = "/api/v1/strategies"


def strategy(**changes: Any) -> dict[str, Any]:
    return {
        "name": "trend",
        "type": "sma_cross",
        "parameters": {"fast": 10, "slow": 50},
        "symbols": [" spy", "qqq", "SPY"],
        "timeframe": "1d",
    } | changes


async def test_strategy_created_normalised_with_defaults(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await client.post(URL, json=strategy(parameters={"fast": 5}), headers=user.headers)
    assert response.status_code == 201
    created = response.json()
    assert created["symbols"] == ["SPY", "QQQ"]
    assert created["parameters"]["fast"] == 5
    assert created["parameters"]["slow"] > 5
    read = await client.get(f"{URL}/{created['id']}", headers=user.headers)
    assert read.json() == created


async def test_strategy_duplicate_name_conflicts(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user, other = await sign_in(), await sign_in()
    assert (await client.post(URL, json=strategy(), headers=user.headers)).status_code == 201
    again = await client.post(URL, json=strategy(), headers=user.headers)
    assert again.status_code == 409
    assert "trend" in again.json()["error"]["message"]
    assert (await client.post(URL, json=strategy(), headers=other.headers)).status_code == 201


async def test_strategy_bad_parameters_name_them(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    sent = strategy(parameters={"fast": 60, "slow": 50})
    response = await client.post(URL, json=sent, headers=user.headers)
    assert response.status_code == 422
    assert "fast" in response.json()["error"]["message"]
    unknown = await client.post(URL, json=strategy(parameters={"speed": 3}), headers=user.headers)
    assert unknown.json()["error"]["details"]["parameter"] == "speed"


async def test_strategy_rules_bad_expression_names_it(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    sent = strategy(type="rules", parameters={"entry": "rsi(14) <", "exit": "rsi(14) > 70"})
    response = await client.post(URL, json=sent, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["parameter"] == "entry"


async def test_strategy_unknown_type_lists_known(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await client.post(URL, json=strategy(type="nope"), headers=user.headers)
    assert response.status_code == 422
    assert "sma_cross" in response.json()["error"]["message"]


async def test_strategy_patch_revalidates_and_delete_removes(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    created = (await client.post(URL, json=strategy(), headers=user.headers)).json()
    item = f"{URL}/{created['id']}"
    patched = await client.patch(item, json={"parameters": {"fast": 20}}, headers=user.headers)
    assert patched.status_code == 200
    assert patched.json()["parameters"]["fast"] == 20
    assert patched.json()["parameters"]["slow"] == 50
    refused = await client.patch(item, json={"parameters": {"fast": 80}}, headers=user.headers)
    assert refused.status_code == 422
    assert (await client.delete(item, headers=user.headers)).status_code == 204
    assert (await client.get(item, headers=user.headers)).status_code == 404


async def test_strategy_rename_to_taken_name_conflicts(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    await client.post(URL, json=strategy(name="one"), headers=user.headers)
    two = (await client.post(URL, json=strategy(name="two"), headers=user.headers)).json()
    response = await client.patch(f"{URL}/{two['id']}", json={"name": "one"}, headers=user.headers)
    assert response.status_code == 409


async def test_strategy_types_list_schemas_and_defaults(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await client.get("/api/v1/strategy-types", headers=user.headers)
    assert response.status_code == 200
    types = {item["name"]: item for item in response.json()}
    assert {"sma_cross", "rules"} <= set(types)
    assert "fast" in types["sma_cross"]["parameters"]["properties"]
    assert types["sma_cross"]["defaults"]["fast"] < types["sma_cross"]["defaults"]["slow"]
