"""The signed-in user's profile, password change and sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from quantdesk.services.tokens import encode_token
from tests.conftest import TEST_SECRET
from tests.fixtures.users import SignIn, bearer, log_in

ME = "/api/v1/users/me"
PASSWORD = "/api/v1/users/me/password"
SESSIONS = "/api/v1/users/me/sessions"
REFRESH = "/api/v1/auth/refresh"
NEW_PASSWORD = "a brand new passphrase"


async def test_me_signed_in_returns_profile_without_hash(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await client.get(ME, headers=user.headers)
    assert response.status_code == 200
    profile = response.json()
    assert profile["id"] == user.id
    assert profile["email"] == user.email
    assert profile["timezone"] == "UTC"
    assert "hashed_password" not in profile


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["none", "garbage", "basic"],
)
async def test_me_without_valid_bearer_unauthorized(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get(ME, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "authentication_failed"


async def test_me_refresh_token_as_bearer_unauthorized(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await client.get(ME, headers=bearer(user.refresh_token))
    assert response.status_code == 401
    assert "not an access token" in response.json()["error"]["message"]


async def test_me_expired_access_token_unauthorized(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    expired = encode_token(
        TEST_SECRET,
        user_id=user.id,
        token_type="access",
        version=0,
        lifetime=timedelta(minutes=15),
        now=datetime.now(UTC) - timedelta(minutes=16),
    )
    response = await client.get(ME, headers=bearer(expired))
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]
    assert (await client.get(ME, headers=user.headers)).status_code == 200


async def test_patch_me_name_and_timezone_saved(client: httpx.AsyncClient, sign_in: SignIn) -> None:
    user = await sign_in()
    body = {"full_name": "Ada Lovelace", "timezone": "Europe/London"}
    response = await client.patch(ME, json=body, headers=user.headers)
    assert response.status_code == 200
    again = (await client.get(ME, headers=user.headers)).json()
    assert again["full_name"] == "Ada Lovelace"
    assert again["timezone"] == "Europe/London"
    cleared = await client.patch(ME, json={"full_name": ""}, headers=user.headers)
    assert cleared.json()["full_name"] is None
    assert cleared.json()["timezone"] == "Europe/London"


async def test_patch_me_unknown_timezone_rejected(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    response = await client.patch(ME, json={"timezone": "Mars/Olympus"}, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"field": "timezone"}
    assert "IANA" in response.json()["error"]["message"]


@pytest.mark.parametrize("field", [{"role": "admin"}, {"is_active": False}, {"email": "x@y.io"}])
async def test_patch_me_privileged_field_rejected(
    client: httpx.AsyncClient, sign_in: SignIn, field: dict[str, object]
) -> None:
    user = await sign_in()
    response = await client.patch(ME, json=field, headers=user.headers)
    assert response.status_code == 422
    profile = (await client.get(ME, headers=user.headers)).json()
    assert (profile["role"], profile["is_active"], profile["email"]) == ("user", True, user.email)


async def test_change_password_old_tokens_and_password_stop_working(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    body = {"current_password": user.password, "new_password": NEW_PASSWORD}
    response = await client.post(PASSWORD, json=body, headers=user.headers)
    assert response.status_code == 204
    assert (await client.get(ME, headers=user.headers)).status_code == 401
    stale = await client.post(REFRESH, json={"refresh_token": user.refresh_token})
    assert stale.status_code == 401
    assert (await log_in(client, user.email, user.password)).status_code == 401
    fresh = await log_in(client, user.email, NEW_PASSWORD)
    assert fresh.status_code == 200
    assert (await client.get(ME, headers=bearer(fresh.json()["access_token"]))).status_code == 200


async def test_change_password_wrong_current_rejected(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    body = {"current_password": "not my password", "new_password": NEW_PASSWORD}
    response = await client.post(PASSWORD, json=body, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"field": "current_password"}
    assert (await client.get(ME, headers=user.headers)).status_code == 200


async def test_sessions_list_shows_each_login_and_revoke_ends_one(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    second = (await log_in(client, user.email, user.password)).json()
    page = (await client.get(SESSIONS, headers=user.headers)).json()
    assert page["total"] == 2
    assert page["limit"] == 50
    assert page["offset"] == 0
    newest = page["items"][0]
    assert "jti" not in newest
    assert "refresh_token" not in newest
    revoked = await client.delete(f"{SESSIONS}/{newest['id']}", headers=user.headers)
    assert revoked.status_code == 204
    client.cookies.clear()
    ended = await client.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    assert ended.status_code == 401
    kept = await client.post(REFRESH, json={"refresh_token": user.refresh_token})
    assert kept.status_code == 200


async def test_sessions_list_paginates(client: httpx.AsyncClient, sign_in: SignIn) -> None:
    user = await sign_in()
    for _ in range(2):
        await log_in(client, user.email, user.password)
    page = (
        await client.get(SESSIONS, params={"limit": 2, "offset": 1}, headers=user.headers)
    ).json()
    assert page["total"] == 3
    assert len(page["items"]) == 2
    too_big = await client.get(SESSIONS, params={"limit": 1000}, headers=user.headers)
    assert too_big.status_code == 422
