"""File imports over HTTP: all or nothing, with 413, 415 and 422 answers that say what to fix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from fastapi import FastAPI

from quantdesk.api.app import create_app
from quantdesk.errors import NotFoundError
from quantdesk.runtime import Runtime
from quantdesk.services import market_data
from tests.fixtures.apps import serve
from tests.fixtures.market_files import bars_csv, bars_parquet, csv_bytes, daily_bars, hourly_bars
from tests.fixtures.users import SignIn

pytest_plugins = ["tests.fixtures.users"]

IMPORT = "/api/v1/market-data/import"
SYNTHETIC = "/api/v1/market-data/synthetic"


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    data: bytes,
    *,
    filename: str = "bars.csv",
    **fields: str,
) -> httpx.Response:
    form = {"symbol": "TEST", "timeframe": "1d", **fields}
    return await client.post(
        IMPORT, files={"file": (filename, data, "text/csv")}, data=form, headers=headers
    )


async def stored(runtime: Runtime, symbol: str = "TEST", timeframe: str = "1d") -> int:
    async with runtime.context() as ctx:
        try:
            return len(await market_data.load_bars(ctx, symbol, timeframe))
        except NotFoundError:
            return 0


async def test_import_csv_twice_second_changes_nothing(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    data = bars_csv(daily_bars(30), date_only=True)
    first = await upload(client, user.headers, data)
    assert first.status_code == 201
    assert (first.json()["inserted"], first.json()["unchanged"]) == (30, 0)
    second = await upload(client, user.headers, data)
    assert (second.json()["rows"], second.json()["inserted"], second.json()["unchanged"]) == (
        30,
        0,
        30,
    )


async def test_import_parquet_stored(
    client: httpx.AsyncClient, sign_in: SignIn, runtime: Runtime
) -> None:
    user = await sign_in()
    response = await upload(
        client, user.headers, bars_parquet(hourly_bars(24)), filename="h.parquet", timeframe="1h"
    )
    assert response.status_code == 201
    assert await stored(runtime, timeframe="1h") == 24


async def test_import_naive_times_in_given_timezone(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    data = csv_bytes([("2024-07-01 09:30", 1, 2, 0.5, 1.5, 10)])
    response = await upload(client, user.headers, data, timeframe="1m", timezone="America/New_York")
    assert response.json()["first"] == "2024-07-01T13:30:00Z"


async def test_import_malformed_file_422_names_rows_and_writes_nothing(
    client: httpx.AsyncClient, sign_in: SignIn, runtime: Runtime
) -> None:
    user = await sign_in()
    rows = [
        ("2024-01-02", 1, 2, 0.5, 1.5, 1),
        ("2024-01-03", 1, 2, 0.5, "oops", 1),
        ("2024-01-04", 1, 0.1, 0.5, 1, 1),
    ]
    response = await upload(client, user.headers, csv_bytes(rows))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"] == [
        {"row": 3, "column": "close", "problem": error["details"][0]["problem"]}
    ]
    assert "nothing was stored" in error["message"]
    assert await stored(runtime) == 0


async def test_import_inconsistent_ohlc_422(
    client: httpx.AsyncClient, sign_in: SignIn, runtime: Runtime
) -> None:
    user = await sign_in()
    rows = [("2024-01-02", 1, 2, 0.5, 1.5, 1), ("2024-01-03", 1, 0.9, 0.5, 0.8, 1)]
    response = await upload(client, user.headers, csv_bytes(rows))
    assert response.status_code == 422
    assert response.json()["error"]["details"][0] == {
        "row": 3,
        "column": "high",
        "problem": "high is below open",
    }
    assert await stored(runtime) == 0


async def test_import_unknown_file_type_415(client: httpx.AsyncClient, sign_in: SignIn) -> None:
    user = await sign_in()
    response = await upload(client, user.headers, b"PK\x03\x04 not a sheet", filename="bars.xlsx")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


async def test_import_json_body_415(client: httpx.AsyncClient, sign_in: SignIn) -> None:
    user = await sign_in()
    response = await client.post(IMPORT, json={"symbol": "X"}, headers=user.headers)
    assert response.status_code == 415


async def test_import_missing_form_field_422(client: httpx.AsyncClient, sign_in: SignIn) -> None:
    user = await sign_in()
    files = {"file": ("a.csv", bars_csv(daily_bars(2)), "text/csv")}
    response = await client.post(IMPORT, files=files, data={"symbol": "X"}, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "body.timeframe"


async def test_import_past_size_limit_413(app: FastAPI, runtime: Runtime, sign_in: SignIn) -> None:
    user = await sign_in()
    limited = replace(runtime, config=replace(runtime.config, max_upload_bytes=1024 * 1024))
    big = bars_csv(daily_bars(1)) + b"#" * (2 * 1024 * 1024)
    async with serve(create_app(app.state.settings, runtime=limited)) as client:
        declared = await upload(client, user.headers, big)
        streamed = await client.post(
            IMPORT,
            content=_chunked_form(big),
            headers={**user.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
        )
    assert declared.status_code == 413
    assert "1 MB upload limit" in declared.json()["error"]["message"]
    assert streamed.status_code == 413
    assert streamed.json()["error"]["code"] == "payload_too_large"


async def _chunked_form(data: bytes) -> AsyncIterator[bytes]:
    """A multipart body sent without Content-Length, so only streaming can catch its size."""
    yield b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
    for start in range(0, len(data), 65_536):
        yield data[start : start + 65_536]
    yield b"\r\n--xyz--\r\n"


async def test_synthetic_same_seed_same_bars(client: httpx.AsyncClient, sign_in: SignIn) -> None:
    user = await sign_in()
    body = {
        "symbol": "syn",
        "timeframe": "1h",
        "start": "2024-01-01T00:00:00Z",
        "bars": 200,
        "seed": 3,
    }
    created = await client.post(SYNTHETIC, json=body, headers=user.headers)
    assert created.status_code == 201
    assert (created.json()["symbol"], created.json()["inserted"]) == ("SYN", 200)
    again = await client.post(SYNTHETIC, json=body, headers=user.headers)
    assert again.json()["unchanged"] == 200
    other = await client.post(SYNTHETIC, json=body | {"seed": 4}, headers=user.headers)
    assert other.json()["updated"] == 200


@pytest.mark.parametrize("path", [IMPORT, SYNTHETIC])
async def test_market_data_writes_anonymous_unauthorized(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.post(path, files={"file": ("a.csv", b"x", "text/csv")})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("field", "value"),
    [("initial_price", 1e-7), ("volatility", 6.0), ("drift", -6.0), ("regimes", [1.0, 11.0])],
)
async def test_synthetic_out_of_bounds_422_names_field(
    client: httpx.AsyncClient, sign_in: SignIn, field: str, value: object
) -> None:
    user = await sign_in()
    body = {"symbol": "syn", "timeframe": "1h", "start": "2024-01-01T00:00:00Z", field: value}
    response = await client.post(SYNTHETIC, json=body, headers=user.headers)
    assert response.status_code == 422
    assert field in str(response.json()["error"]["details"])


async def test_synthetic_overflowing_prices_422_names_field(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    body = {
        "symbol": "syn",
        "timeframe": "1d",
        "start": "1800-01-01T00:00:00Z",
        "bars": 100_000,
        "drift": 5.0,
        "volatility": 0.01,
    }
    response = await client.post(SYNTHETIC, json=body, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"field": "drift"}
