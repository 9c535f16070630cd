"""Reading bars over HTTP: columnar JSON for charts, CSV and Arrow that parse back, resampling."""

from __future__ import annotations

import io

import httpx
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from quantdesk.bars import Bars
from quantdesk.runtime import Runtime
from quantdesk.services import market_data
from tests.fixtures.market_files import hourly_bars
from tests.fixtures.users import SignedInUser, SignIn

pytest_plugins = ["tests.fixtures.users"]

BARS = "/api/v1/market-data/TEST/bars"


@pytest.fixture
async def stored(runtime: Runtime) -> Bars:
    bars = hourly_bars(72)
    async with runtime.context() as ctx:
        await market_data.store_bars(ctx, "TEST", bars)
    return bars


async def get(client: httpx.AsyncClient, user: SignedInUser, **params: object) -> httpx.Response:
    headers = user.headers | ({"Accept": str(params.pop("accept"))} if "accept" in params else {})
    return await client.get(BARS, params=params, headers=headers)


async def test_bars_json_columns_for_charts(
    client: httpx.AsyncClient, sign_in: SignIn, stored: Bars
) -> None:
    user = await sign_in()
    response = await get(client, user, timeframe="1h", limit=5)
    assert response.status_code == 200
    body = response.json()
    assert (body["symbol"], body["timeframe"], body["count"]) == ("TEST", "1h", 5)
    assert body["time"] == (stored.timestamps[-5:] // 10**9).tolist()
    assert body["timestamps"][0] == "2024-01-03T19:00:00Z"
    assert body["close"] == stored.close[-5:].tolist()


async def test_bars_range_inclusive(
    client: httpx.AsyncClient, sign_in: SignIn, stored: Bars
) -> None:
    user = await sign_in()
    body = (
        await get(
            client, user, timeframe="1h", start="2024-01-02T00:00:00Z", end="2024-01-02T03:00:00"
        )
    ).json()
    assert body["timestamps"] == [f"2024-01-02T0{hour}:00:00Z" for hour in range(4)]


async def test_bars_coarser_timeframe_resampled(
    client: httpx.AsyncClient, sign_in: SignIn, stored: Bars
) -> None:
    user = await sign_in()
    body = (await get(client, user, timeframe="1d")).json()
    daily = stored.resample("1d")
    assert body["count"] == 3
    assert (body["open"], body["high"], body["volume"]) == (
        daily.open.tolist(),
        daily.high.tolist(),
        daily.volume.tolist(),
    )


async def test_bars_csv_parses_back(
    client: httpx.AsyncClient, sign_in: SignIn, stored: Bars
) -> None:
    user = await sign_in()
    response = await get(client, user, timeframe="4h", format="csv")
    assert response.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(response.text))
    expected = stored.resample("4h")
    assert list(frame.columns) == ["timestamp", "open", "high", "low", "close", "volume"]
    np.testing.assert_array_equal(frame["close"].to_numpy(), expected.close)
    parsed = pd.to_datetime(frame["timestamp"], utc=True).to_numpy(dtype="datetime64[ns]")
    np.testing.assert_array_equal(parsed.view(np.int64), expected.timestamps)


async def test_bars_arrow_by_accept_parses_back(
    client: httpx.AsyncClient, sign_in: SignIn, stored: Bars
) -> None:
    user = await sign_in()
    response = await get(client, user, timeframe="1h", accept="application/vnd.apache.arrow.stream")
    assert response.headers["content-type"] == "application/vnd.apache.arrow.stream"
    table = pa.ipc.open_stream(response.content).read_all()
    assert table.schema.metadata[b"symbol"] == b"TEST"
    np.testing.assert_array_equal(table["timestamp"].to_numpy().view(np.int64), stored.timestamps)
    np.testing.assert_array_equal(table["volume"].to_numpy(), stored.volume)


async def test_bars_unknown_symbol_404(client: httpx.AsyncClient, sign_in: SignIn) -> None:
    user = await sign_in()
    response = await client.get("/api/v1/market-data/NOPE/bars", headers=user.headers)
    assert response.status_code == 404
    assert "NOPE" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "params",
    [
        {"timeframe": "2h"},
        {"limit": 0},
        {"limit": 100_001},
        {"start": "yesterday"},
        {"format": "xml"},
    ],
)
async def test_bars_bad_query_422(
    client: httpx.AsyncClient, sign_in: SignIn, params: dict[str, object]
) -> None:
    user = await sign_in()
    assert (await client.get(BARS, params=params, headers=user.headers)).status_code == 422


async def test_bars_start_after_end_422(
    client: httpx.AsyncClient, sign_in: SignIn, stored: Bars
) -> None:
    user = await sign_in()
    response = await get(client, user, start="2024-01-03", end="2024-01-02")
    assert response.status_code == 422
    assert "swap" in response.json()["error"]["message"]


async def test_bars_anonymous_unauthorized(client: httpx.AsyncClient) -> None:
    assert (await client.get(BARS)).status_code == 401
