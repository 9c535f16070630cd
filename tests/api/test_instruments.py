"""Instruments over HTTP: shared by every signed-in user, unique per exchange, admins delete."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from tests.fixtures.market_files import bars_csv, daily_bars
from tests.fixtures.users import SignIn

pytest_plugins = ["tests.fixtures.users"]

INSTRUMENTS = "/api/v1/instruments"
IMPORT = "/api/v1/market-data/import"


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], **body: object
) -> httpx.Response:
    return await client.post(INSTRUMENTS, json={"symbol": "aapl", **body}, headers=headers)


async def test_create_instrument_normalised_and_visible_to_others(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    alice, bob = await sign_in(), await sign_in()
    response = await create(
        client, alice.headers, exchange="nasdaq", name="Apple", tick_size="0.01"
    )
    assert response.status_code == 201
    created = response.json()
    assert (created["symbol"], created["exchange"]) == ("AAPL", "NASDAQ")
    assert Decimal(created["tick_size"]) == Decimal("0.01")
    seen = await client.get(f"{INSTRUMENTS}/{created['id']}", headers=bob.headers)
    assert seen.status_code == 200
    assert seen.json()["name"] == "Apple"


async def test_create_instrument_duplicate_on_exchange_conflict(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    assert (await create(client, user.headers, exchange="NASDAQ")).status_code == 201
    duplicate = await create(client, user.headers, symbol=" AAPL ", exchange="nasdaq")
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.json()["error"]["message"]
    assert (await create(client, user.headers, exchange="LSE")).status_code == 201


async def test_list_instruments_filtered_and_paged(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    for symbol, name in (("AAPL", "Apple"), ("MSFT", "Microsoft"), ("AMZN", "Amazon")):
        await create(client, user.headers, symbol=symbol, name=name)
    page = (
        await client.get(INSTRUMENTS, params={"q": "m", "limit": 1}, headers=user.headers)
    ).json()
    assert page["total"] == 2
    assert [item["symbol"] for item in page["items"]] == ["AMZN"]
    by_name = (await client.get(INSTRUMENTS, params={"q": "soft"}, headers=user.headers)).json()
    assert [item["symbol"] for item in by_name["items"]] == ["MSFT"]


async def test_update_instrument_changes_fields_only(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    created = (await create(client, user.headers)).json()
    url = f"{INSTRUMENTS}/{created['id']}"
    response = await client.patch(
        url, json={"asset_class": "etf", "active": False}, headers=user.headers
    )
    assert response.status_code == 200
    assert (response.json()["asset_class"], response.json()["active"]) == ("etf", False)
    renamed = await client.patch(url, json={"symbol": "MSFT"}, headers=user.headers)
    assert renamed.status_code == 422


async def test_delete_instrument_admin_only(client: httpx.AsyncClient, sign_in: SignIn) -> None:
    user, admin = await sign_in(), await sign_in(role="admin")
    created = (await create(client, user.headers)).json()
    url = f"{INSTRUMENTS}/{created['id']}"
    assert (await client.delete(url, headers=user.headers)).status_code == 403
    assert (await client.delete(url, headers=admin.headers)).status_code == 204
    assert (await client.get(url, headers=user.headers)).status_code == 404


async def test_delete_instrument_with_bars_needs_force(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    admin = await sign_in(role="admin")
    files = {"file": ("aapl.csv", bars_csv(daily_bars(5)), "text/csv")}
    imported = await client.post(
        IMPORT, files=files, data={"symbol": "AAPL", "timeframe": "1d"}, headers=admin.headers
    )
    assert imported.status_code == 201
    instrument = (await client.get(INSTRUMENTS, headers=admin.headers)).json()["items"][0]
    url = f"{INSTRUMENTS}/{instrument['id']}"
    refused = await client.delete(url, headers=admin.headers)
    assert refused.status_code == 409
    assert "force=true" in refused.json()["error"]["message"]
    assert (
        await client.delete(url, params={"force": "true"}, headers=admin.headers)
    ).status_code == 204
    bars = await client.get("/api/v1/market-data/AAPL/bars", headers=admin.headers)
    assert bars.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", INSTRUMENTS),
        ("POST", INSTRUMENTS),
        ("GET", f"{INSTRUMENTS}/1"),
        ("PATCH", f"{INSTRUMENTS}/1"),
        ("DELETE", f"{INSTRUMENTS}/1"),
    ],
)
async def test_instruments_anonymous_unauthorized(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, json={"symbol": "X"})
    assert response.status_code == 401
