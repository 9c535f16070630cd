"""Registration, login, refresh rotation with reuse detection, logout and login rate limits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from quantdesk.api.app import create_app
from quantdesk.runtime import build_runtime
from quantdesk.services.tokens import encode_token
from quantdesk.settings import Settings
from tests.conftest import TEST_SECRET
from tests.fixtures.apps import serve, settings_with
from tests.fixtures.users import DEFAULT_PASSWORD, MakeUser, SignIn, bearer, log_in

REGISTER = "/api/v1/auth/register"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/users/me"
COOKIE = "quantdesk_refresh"

ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def error_code(response: httpx.Response) -> str:
    body: dict[str, Any] = response.json()
    assert set(body["error"]) == {"code", "message", "details"}
    return str(body["error"]["code"])


@pytest.fixture
def app_with(settings: Settings, cache_url: str | None) -> ClientFactory:
    """A client for an app built with changed settings, on the memory cache or Redis."""

    @asynccontextmanager
    async def build(**changes: Any) -> AsyncIterator[httpx.AsyncClient]:
        changed = settings_with(settings, redis_url=cache_url, **changes)
        runtime = build_runtime(changed)
        try:
            async with serve(create_app(changed, runtime=runtime)) as client:
                yield client
        finally:
            await runtime.close()

    return build


async def test_register_new_email_creates_user_without_hash(client: httpx.AsyncClient) -> None:
    body = {"email": "Ada@Example.com", "password": DEFAULT_PASSWORD, "full_name": "Ada"}
    response = await client.post(REGISTER, json=body)
    assert response.status_code == 201
    user = response.json()
    assert user["email"] == "ada@example.com"
    assert user["role"] == "user"
    assert user["is_active"] is True
    assert "hashed_password" not in user
    assert DEFAULT_PASSWORD not in response.text


async def test_register_duplicate_email_any_case_conflicts(client: httpx.AsyncClient) -> None:
    body = {"email": "ada@example.com", "password": DEFAULT_PASSWORD}
    assert (await client.post(REGISTER, json=body)).status_code == 201
    response = await client.post(REGISTER, json=body | {"email": "ADA@example.com"})
    assert response.status_code == 409
    assert error_code(response) == "conflict"


@pytest.mark.parametrize("password", ["short", "x" * 129])
async def test_register_password_out_of_bounds_rejected(
    client: httpx.AsyncClient, password: str
) -> None:
    response = await client.post(REGISTER, json={"email": "a@example.com", "password": password})
    assert response.status_code == 422
    assert error_code(response) == "validation_error"
    assert response.json()["error"]["details"][0]["field"] == "body.password"


async def test_register_turned_off_forbidden(app_with: ClientFactory) -> None:
    async with app_with(allow_registration=False) as client:
        body = {"email": "a@example.com", "password": DEFAULT_PASSWORD}
        response = await client.post(REGISTER, json=body)
    assert response.status_code == 403
    assert "Registration is turned off" in response.json()["error"]["message"]


async def test_login_valid_credentials_returns_pair_and_cookie(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user(email="ada@example.com")
    response = await log_in(client, "ADA@example.com", DEFAULT_PASSWORD)
    assert response.status_code == 200
    pair = response.json()
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 15 * 60
    assert pair["refresh_expires_in"] == 14 * 24 * 3600
    cookie = response.headers["set-cookie"]
    assert f"{COOKIE}={pair['refresh_token']}" in cookie
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/api/v1/auth"):
        assert attribute.lower() in cookie.lower()
    me = await client.get(ME, headers=bearer(pair["access_token"]))
    assert me.json()["id"] == user.id
    assert me.json()["last_login_at"] is not None


async def test_login_wrong_password_and_unknown_email_answer_alike(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    await make_user(email="ada@example.com")
    wrong = await log_in(client, "ada@example.com", "not the password")
    unknown = await log_in(client, "nobody@example.com", DEFAULT_PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert "nobody@example.com" not in unknown.text


async def test_refresh_body_token_rotates_and_old_stops_working(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    first = await client.post(REFRESH, json={"refresh_token": user.refresh_token})
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != user.refresh_token
    assert (await client.get(ME, headers=bearer(rotated["access_token"]))).status_code == 200
    client.cookies.clear()
    again = await client.post(REFRESH, json={"refresh_token": user.refresh_token})
    assert again.status_code == 401


async def test_refresh_reused_token_revokes_its_whole_family(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    other_login = (await log_in(client, user.email, user.password)).json()
    client.cookies.clear()
    second = (await client.post(REFRESH, json={"refresh_token": user.refresh_token})).json()
    reuse = await client.post(REFRESH, json={"refresh_token": user.refresh_token})
    assert reuse.status_code == 401
    assert "already used" in reuse.json()["error"]["message"]
    descendant = await client.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    assert descendant.status_code == 401
    unrelated = await client.post(REFRESH, json={"refresh_token": other_login["refresh_token"]})
    assert unrelated.status_code == 200


async def test_refresh_access_token_wrong_type_rejected(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await client.post(REFRESH, json={"refresh_token": user.access_token})
    assert response.status_code == 401
    assert "not a refresh token" in response.json()["error"]["message"]


async def test_refresh_expired_token_rejected(client: httpx.AsyncClient, sign_in: SignIn) -> None:
    user = await sign_in()
    expired = encode_token(
        TEST_SECRET,
        user_id=user.id,
        token_type="refresh",
        version=0,
        lifetime=timedelta(days=14),
        now=datetime.now(UTC) - timedelta(days=15),
    )
    response = await client.post(REFRESH, json={"refresh_token": expired})
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


async def test_refresh_no_token_anywhere_asks_for_one(client: httpx.AsyncClient) -> None:
    response = await client.post(REFRESH)
    assert response.status_code == 401
    assert response.json()["error"]["details"] == {"field": "refresh_token"}


async def test_refresh_cookie_only_rotates_cookie(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    issued = (await log_in(client, user.email, DEFAULT_PASSWORD)).json()
    assert client.cookies[COOKIE] == issued["refresh_token"]
    response = await client.post(REFRESH)
    assert response.status_code == 200
    assert client.cookies[COOKIE] == response.json()["refresh_token"] != issued["refresh_token"]
    assert (await client.post(REFRESH)).status_code == 200


async def test_logout_body_token_revokes_session_and_clears_cookie(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await client.post(
        LOGOUT, json={"refresh_token": user.refresh_token}, headers=user.headers
    )
    assert response.status_code == 204
    assert f'{COOKIE}=""' in response.headers["set-cookie"]
    refreshed = await client.post(REFRESH, json={"refresh_token": user.refresh_token})
    assert refreshed.status_code == 401


async def test_logout_cookie_only_revokes_session(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    issued = (await log_in(client, user.email, DEFAULT_PASSWORD)).json()
    response = await client.post(LOGOUT, headers=bearer(issued["access_token"]))
    assert response.status_code == 204
    assert COOKIE not in client.cookies
    refreshed = await client.post(REFRESH, json={"refresh_token": issued["refresh_token"]})
    assert refreshed.status_code == 401


async def test_logout_without_access_token_unauthorized(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await client.post(LOGOUT, json={"refresh_token": user.refresh_token})
    assert response.status_code == 401
    refreshed = await client.post(REFRESH, json={"refresh_token": user.refresh_token})
    assert refreshed.status_code == 200


async def test_login_per_address_excess_answers_429_with_retry_after(
    app_with: ClientFactory, make_user: MakeUser
) -> None:
    async with app_with(login_attempts_per_address=3, login_window_seconds=60) as client:
        await make_user(email="ada@example.com")
        for number in range(3):
            assert (await log_in(client, f"x{number}@example.com", "wrong pass")).status_code == 401
        limited = await log_in(client, "ada@example.com", DEFAULT_PASSWORD)
    assert limited.status_code == 429
    assert error_code(limited) == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.json()["error"]["details"] == {
        "retry_after": int(limited.headers["retry-after"])
    }


async def test_login_per_account_failures_lock_even_right_password(
    app_with: ClientFactory, make_user: MakeUser
) -> None:
    async with app_with(login_attempts_per_account=2, login_window_seconds=30) as client:
        await make_user(email="ada@example.com")
        other = await make_user(email="bob@example.com")
        for _ in range(2):
            assert (await log_in(client, "ada@example.com", "wrong pass")).status_code == 401
        locked = await log_in(client, "ADA@example.com", DEFAULT_PASSWORD)
        unaffected = await log_in(client, other.email, DEFAULT_PASSWORD)
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["retry-after"]) <= 30
    assert unaffected.status_code == 200


async def test_login_success_clears_account_failures(
    app_with: ClientFactory, make_user: MakeUser
) -> None:
    async with app_with(login_attempts_per_account=2) as client:
        await make_user(email="ada@example.com")
        assert (await log_in(client, "ada@example.com", "wrong pass")).status_code == 401
        assert (await log_in(client, "ada@example.com", DEFAULT_PASSWORD)).status_code == 200
        assert (await log_in(client, "ada@example.com", "wrong pass")).status_code == 401
        assert (await log_in(client, "ada@example.com", DEFAULT_PASSWORD)).status_code == 200
