"""The indicator registry endpoint and indicator values on stored bars."""

from __future__ import annotations

import hashlib
import json

import httpx
import numpy as np
import pytest
from sqlalchemy import func, select

from quantdesk.db.models import IndicatorValue
from quantdesk.indicators import registry
from quantdesk.runtime import Runtime
from tests.fixtures.stored_bars import StoreDaily
from tests.fixtures.users import SignIn

pytest_plugins = ["tests.fixtures.users", "tests.fixtures.stored_bars"]

CLOSES = [100, 101, 103, 102, 105, 107, 106, 108, 110, 109, 111, 114, 113, 115, 117, 116, 118]
URL = "/api/v1/market-data/AAPL/indicators"


async def test_list_indicators_shows_registry_with_parameters(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await client.get("/api/v1/indicators", headers=user.headers)
    assert response.status_code == 200
    body = {item["name"]: item for item in response.json()}
    assert set(body) == {spec.name for spec in registry.available()}
    rsi = body["rsi"]
    assert rsi["display"] == "pane"
    assert rsi["inputs"] == ["close"]
    period = next(item for item in rsi["parameters"] if item["name"] == "timeperiod")
    assert period["type"] == "int"
    assert period["default"] == 14
    assert body["sma"]["display"] == "overlay"


async def test_indicators_without_token_are_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/indicators")).status_code == 401
    assert (await client.get(URL, params={"name": "rsi"})).status_code == 401


async def test_compute_rsi_matches_library_and_nulls_warm_up(
    client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    bars = await store_daily("AAPL", CLOSES)
    params = {"name": "rsi", "timeframe": "1d", "period": 5}
    response = await client.get(URL, params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = registry.compute("rsi", bars.columns, timeperiod=5)["value"]
    assert body["params"] == {"timeperiod": 5}
    assert body["values"]["value"][:5] == [None] * 5
    assert body["values"]["value"][5:] == pytest.approx(expected[5:].tolist())
    assert len(body["timestamps"]) == len(CLOSES)
    assert body["timestamps"][0].startswith("2024-01-08T00:00:00")
    assert body["stored"] == 0


async def test_compute_multi_output_registry_parameter_by_name(
    client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("AAPL", CLOSES)
    params = {"name": "bbands", "timeperiod": 5, "limit": 10}
    response = await client.get(URL, params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body["values"]) == set(registry.get("bbands").outputs)
    assert len(body["timestamps"]) == 10


async def test_compute_unknown_parameter_names_it_and_the_valid_ones(
    client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("AAPL", CLOSES)
    params = {"name": "rsi", "window": 3}
    response = await client.get(URL, params=params, headers=user.headers)
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "window" in message
    assert "timeperiod" in message


async def test_compute_out_of_bounds_period_is_422(
    client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("AAPL", CLOSES)
    response = await client.get(URL, params={"name": "rsi", "period": 0}, headers=user.headers)
    assert response.status_code == 422
    assert "timeperiod" in response.json()["error"]["message"]


async def test_compute_unknown_indicator_or_symbol_is_404(
    client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("AAPL", CLOSES)
    unknown_name = await client.get(URL, params={"name": "nope"}, headers=user.headers)
    assert unknown_name.status_code == 404
    unknown_symbol = await client.get(
        "/api/v1/market-data/MSFT/indicators", params={"name": "rsi"}, headers=user.headers
    )
    assert unknown_symbol.status_code == 404


async def test_compute_store_upserts_values_under_params_hash(
    client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily, runtime: Runtime
) -> None:
    user = await sign_in()
    await store_daily("AAPL", CLOSES)
    params = {"name": "rsi", "period": 5, "store": "true"}
    for _ in range(2):
        response = await client.get(URL, params=params, headers=user.headers)
        assert response.json()["stored"] == len(CLOSES)
    digest = hashlib.sha256(json.dumps({"timeperiod": 5}, separators=(",", ":")).encode())
    assert response.json()["params_hash"] == digest.hexdigest()
    async with runtime.context() as ctx:
        count = await ctx.session.scalar(
            select(func.count()).where(IndicatorValue.params_hash == digest.hexdigest())
        )
        rows = (await ctx.session.scalars(select(IndicatorValue).order_by(IndicatorValue.ts))).all()
    assert count == len(CLOSES)
    assert rows[0].values == {"value": None}
    assert np.isfinite(rows[-1].values["value"])
