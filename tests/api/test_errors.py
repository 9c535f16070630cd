from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError

from quantdesk import errors
from quantdesk.api.app import create_app
from quantdesk.settings import Settings
from tests.fixtures.apps import local_settings, log_lines, serve


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """These behaviours do not depend on the database, so SQLite alone covers them."""
    return local_settings(tmp_path)


LEAKED_SQL = "SELECT hashed_password FROM users WHERE email = 'a@b.c'"
DOMAIN_ERRORS: list[tuple[errors.QuantDeskError, int, str]] = [
    (errors.ValidationError("quantity must be positive"), 422, "validation_error"),
    (errors.AuthenticationError("token expired; log in again"), 401, "authentication_failed"),
    (errors.PermissionDeniedError("admins only"), 403, "permission_denied"),
    (errors.NotFoundError("strategy", 7), 404, "not_found"),
    (errors.ConflictError("a strategy named 'Trend' exists; pick another name"), 409, "conflict"),
    (errors.RateLimitedError("too many login attempts", retry_after=30), 429, "rate_limited"),
    (errors.UnavailableError("broker unreachable"), 503, "service_unavailable"),
]


class StrategyCreate(BaseModel):
    name: str = Field(min_length=1)
    capital: float = Field(gt=0)


def app_raising(settings: Settings, error: Exception | None = None) -> FastAPI:
    app = create_app(settings)

    @app.post("/strategies")
    async def create_strategy(payload: StrategyCreate) -> dict[str, Any]:
        if error is not None:
            raise error
        return payload.model_dump()

    return app


def assert_error_shape(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


async def test_error_unknown_route_returns_404_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/no-such-thing")
    assert_error_shape(response, 404, "not_found")


async def test_error_wrong_method_returns_405_shape_with_allow(
    client: httpx.AsyncClient,
) -> None:
    response = await client.delete("/health/live")
    assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


async def test_error_invalid_body_returns_422_naming_fields(settings: Settings) -> None:
    async with serve(app_raising(settings)) as http:
        response = await http.post(
            "/strategies", json={"name": "", "capital": -5, "password": "hunter2"}
        )
    error = assert_error_shape(response, 422, "validation_error")
    assert {detail["field"] for detail in error["details"]} == {"body.name", "body.capital"}
    assert "body.name" in error["message"]
    assert "hunter2" not in response.text


async def test_error_malformed_json_returns_422_shape(settings: Settings) -> None:
    async with serve(app_raising(settings)) as http:
        response = await http.post(
            "/strategies", content=b"{not json", headers={"content-type": "application/json"}
        )
    assert_error_shape(response, 422, "validation_error")


async def test_error_body_not_utf8_returns_422_shape(settings: Settings) -> None:
    async with serve(app_raising(settings)) as http:
        response = await http.post(
            "/strategies", content=b"\xff\xfe{", headers={"content-type": "application/json"}
        )
    error = assert_error_shape(response, 422, "validation_error")
    assert error["details"][0]["field"] == "body"


@pytest.mark.parametrize(
    ("error", "status", "code"), DOMAIN_ERRORS, ids=[item[2] for item in DOMAIN_ERRORS]
)
async def test_error_domain_error_maps_to_status_and_code(
    settings: Settings, error: errors.QuantDeskError, status: int, code: str
) -> None:
    async with serve(app_raising(settings, error)) as http:
        response = await http.post("/strategies", json={"name": "Trend", "capital": 1000})
    body = assert_error_shape(response, status, code)
    assert body["message"] == error.message
    assert body["details"] == error.details


async def test_error_rate_limited_sets_retry_after(settings: Settings) -> None:
    error = errors.RateLimitedError("too many login attempts", retry_after=30)
    async with serve(app_raising(settings, error)) as http:
        response = await http.post("/strategies", json={"name": "Trend", "capital": 1000})
    assert response.headers["retry-after"] == "30"


async def test_error_authentication_asks_for_bearer(settings: Settings) -> None:
    error = errors.AuthenticationError("token expired; log in again")
    async with serve(app_raising(settings, error)) as http:
        response = await http.post("/strategies", json={"name": "Trend", "capital": 1000})
    assert response.headers["www-authenticate"] == "Bearer"


async def test_error_unexpected_exception_returns_500_without_trace_or_sql(
    settings: Settings,
) -> None:
    failure = OperationalError(LEAKED_SQL, {"email": "a@b.c"}, Exception("connection reset"))
    async with serve(app_raising(settings, failure)) as http:
        response = await http.post(
            "/strategies",
            json={"name": "Trend", "capital": 1000},
            headers={"X-Request-ID": "r-500"},
        )
    error = assert_error_shape(response, 500, "internal_error")
    assert error["details"] is None
    for leak in ("SELECT", "hashed_password", "Traceback", "OperationalError", "connection reset"):
        assert leak not in response.text
    assert response.headers["x-request-id"] == "r-500"


async def test_error_unexpected_exception_logged_with_trace_and_request_id(
    settings: Settings,
) -> None:
    async with serve(app_raising(settings, RuntimeError("disk on fire"))) as http:
        await http.post(
            "/strategies",
            json={"name": "Trend", "capital": 1000},
            headers={"X-Request-ID": "r-log"},
        )
    lines = [line for line in log_lines(settings) if line.get("request_id") == "r-log"]
    unhandled = next(line for line in lines if line["event"] == "unhandled_error")
    assert unhandled["error_type"] == "RuntimeError"
    assert "disk on fire" in unhandled["exception"]
    assert lines[-1]["event"] == "request_finished"
    assert lines[-1]["status"] == 500
