"""User administration: listing, activation, roles, and what it refuses."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.users import SignIn, bearer, log_in

USERS = "/api/v1/admin/users"
ME = "/api/v1/users/me"
REFRESH = "/api/v1/auth/refresh"


@pytest.mark.parametrize(
    ("method", "path"), [("GET", USERS), ("PATCH", f"{USERS}/1")], ids=["list", "update"]
)
async def test_admin_routes_as_plain_user_forbidden(
    client: httpx.AsyncClient, sign_in: SignIn, method: str, path: str
) -> None:
    user = await sign_in()
    response = await client.request(method, path, json={"role": "admin"}, headers=user.headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert (await client.get(ME, headers=user.headers)).json()["role"] == "user"


async def test_admin_routes_anonymous_unauthorized(client: httpx.AsyncClient) -> None:
    assert (await client.get(USERS)).status_code == 401


async def test_admin_list_users_pages_oldest_first(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    admin = await sign_in(role="admin")
    others = [await sign_in() for _ in range(2)]
    page = (await client.get(USERS, params={"limit": 2, "offset": 1}, headers=admin.headers)).json()
    assert page["total"] == 3
    assert (page["limit"], page["offset"]) == (2, 1)
    assert [item["id"] for item in page["items"]] == [user.id for user in others]
    assert all("hashed_password" not in item for item in page["items"])


async def test_admin_deactivate_user_tokens_and_login_stop_working(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    admin = await sign_in(role="admin")
    user = await sign_in()
    response = await client.patch(
        f"{USERS}/{user.id}", json={"is_active": False}, headers=admin.headers
    )
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert (await client.get(ME, headers=user.headers)).status_code == 401
    stale = await client.post(REFRESH, json={"refresh_token": user.refresh_token})
    assert stale.status_code == 401
    denied = await log_in(client, user.email, user.password)
    assert denied.status_code == 401
    assert "deactivated" in denied.json()["error"]["message"]


async def test_admin_reactivate_user_can_log_in_again(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    admin = await sign_in(role="admin")
    user = await sign_in()
    url = f"{USERS}/{user.id}"
    await client.patch(url, json={"is_active": False}, headers=admin.headers)
    await client.patch(url, json={"is_active": True}, headers=admin.headers)
    again = await log_in(client, user.email, user.password)
    assert again.status_code == 200
    assert (await client.get(ME, headers=bearer(again.json()["access_token"]))).status_code == 200


async def test_admin_promote_user_gains_admin_access(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    admin = await sign_in(role="admin")
    user = await sign_in()
    response = await client.patch(
        f"{USERS}/{user.id}", json={"role": "admin"}, headers=admin.headers
    )
    assert response.json()["role"] == "admin"
    assert (await client.get(USERS, headers=user.headers)).status_code == 200


@pytest.mark.parametrize(
    "change", [{"is_active": False}, {"role": "user"}], ids=["deactivate", "demote"]
)
async def test_admin_change_to_self_conflicts(
    client: httpx.AsyncClient, sign_in: SignIn, change: dict[str, object]
) -> None:
    admin = await sign_in(role="admin")
    response = await client.patch(f"{USERS}/{admin.id}", json=change, headers=admin.headers)
    assert response.status_code == 409
    assert "ask another admin" in response.json()["error"]["message"]
    profile = (await client.get(ME, headers=admin.headers)).json()
    assert (profile["role"], profile["is_active"]) == ("admin", True)


async def test_admin_update_unknown_user_not_found(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    admin = await sign_in(role="admin")
    response = await client.patch(f"{USERS}/999999", json={"role": "admin"}, headers=admin.headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_admin_update_unknown_role_rejected(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    admin = await sign_in(role="admin")
    user = await sign_in()
    response = await client.patch(
        f"{USERS}/{user.id}", json={"role": "root"}, headers=admin.headers
    )
    assert response.status_code == 422
