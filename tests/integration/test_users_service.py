"""The users and auth services against a real database, without HTTP."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from quantdesk.db.models import RefreshToken, User
from quantdesk.errors import (
    AuthenticationError,
    ConflictError,
    PermissionDeniedError,
    ValidationError,
)
from quantdesk.runtime import Runtime
from quantdesk.services import auth, users
from tests.fixtures.users import DEFAULT_PASSWORD, MakeUser


async def test_create_user_stores_lowercase_email_and_argon2_hash(runtime: Runtime) -> None:
    async with runtime.context() as ctx:
        created = await users.create_user(
            ctx, email="  Ada@Example.COM ", password=DEFAULT_PASSWORD
        )
    async with runtime.context() as ctx:
        stored = await ctx.session.get(User, created.id)
    assert stored is not None
    assert stored.email == "ada@example.com"
    assert stored.hashed_password.startswith("$argon2id$")
    assert DEFAULT_PASSWORD not in stored.hashed_password
    assert (stored.role, stored.is_active, stored.token_version) == ("user", True, 0)


async def test_create_user_duplicate_email_conflicts(runtime: Runtime, make_user: MakeUser) -> None:
    await make_user(email="ada@example.com")
    with pytest.raises(ConflictError, match=r"ada@example\.com already exists"):
        async with runtime.context() as ctx:
            await users.create_user(ctx, email="ADA@example.com", password=DEFAULT_PASSWORD)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b@example.com"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "x" * 129}, "password"),
        ({"role": "root"}, "role"),
    ],
)
async def test_create_user_bad_input_names_the_field(
    runtime: Runtime, changes: dict[str, str], field: str
) -> None:
    options = {"email": "ada@example.com", "password": DEFAULT_PASSWORD} | changes
    with pytest.raises(ValidationError) as caught:
        async with runtime.context() as ctx:
            await users.create_user(ctx, **options)
    assert caught.value.details == {"field": field}
    assert field in caught.value.message


async def test_create_user_special_use_domain_accepted(runtime: Runtime) -> None:
    async with runtime.context() as ctx:
        user = await users.create_user(ctx, email="demo@quantdesk.local", password=DEFAULT_PASSWORD)
    assert user.email == "demo@quantdesk.local"


async def test_register_turned_off_forbidden(runtime: Runtime) -> None:
    runtime.config = dataclasses.replace(runtime.config, allow_registration=False)
    with pytest.raises(PermissionDeniedError, match="Registration is turned off"):
        async with runtime.context() as ctx:
            await users.register(ctx, email="ada@example.com", password=DEFAULT_PASSWORD)


async def test_admin_services_as_plain_user_forbidden(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    async with runtime.context() as ctx:
        ctx.actor = user
        with pytest.raises(PermissionDeniedError):
            await users.list_users(ctx, 10, 0)
        with pytest.raises(PermissionDeniedError):
            await users.admin_update(ctx, user.id, role="admin")


async def test_list_users_counts_all_and_pages(runtime: Runtime, make_user: MakeUser) -> None:
    admin = await make_user(role="admin")
    for _ in range(4):
        await make_user()
    async with runtime.context() as ctx:
        ctx.actor = admin
        page = await users.list_users(ctx, 2, 2)
    assert (page.total, page.limit, page.offset, len(page.items)) == (5, 2, 2, 2)


async def test_login_then_authenticate_sets_actor(runtime: Runtime, make_user: MakeUser) -> None:
    user = await make_user()
    async with runtime.context() as ctx:
        pair = await auth.login(ctx, user.email.upper(), DEFAULT_PASSWORD)
    async with runtime.context() as ctx:
        authenticated = await auth.authenticate(ctx, pair.access_token)
        assert ctx.actor is authenticated
    assert authenticated.id == user.id


async def test_refresh_reuse_revocation_survives_the_error(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    async with runtime.context() as ctx:
        first = await auth.login(ctx, user.email, DEFAULT_PASSWORD)
    async with runtime.context() as ctx:
        await auth.refresh(ctx, first.refresh_token)
    with pytest.raises(AuthenticationError, match="already used"):
        async with runtime.context() as ctx:
            await auth.refresh(ctx, first.refresh_token)
    async with runtime.context() as ctx:
        rows = (await ctx.session.scalars(select(RefreshToken))).all()
    assert len(rows) == 2
    assert all(row.revoked_at is not None for row in rows)
    assert {row.family for row in rows} == {rows[0].family}


async def test_refresh_stores_only_the_jti_never_the_token(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    async with runtime.context(user_agent="pytest-agent", client_address="10.0.0.9") as ctx:
        pair = await auth.login(ctx, user.email, DEFAULT_PASSWORD)
    async with runtime.context() as ctx:
        row = (await ctx.session.scalars(select(RefreshToken))).one()
    assert row.jti == pair.refresh_jti
    assert pair.refresh_token not in {row.jti, row.family, row.replaced_by}
    assert (row.user_agent, row.client_address) == ("pytest-agent", "10.0.0.9")


async def test_change_password_bumps_version_and_revokes_sessions(
    runtime: Runtime, make_user: MakeUser
) -> None:
    user = await make_user()
    async with runtime.context() as ctx:
        pair = await auth.login(ctx, user.email, DEFAULT_PASSWORD)
    async with runtime.context() as ctx:
        ctx.actor = await ctx.session.get(User, user.id)
        await users.change_password(
            ctx, current_password=DEFAULT_PASSWORD, new_password="another passphrase"
        )
    async with runtime.context() as ctx:
        stored = await ctx.session.get(User, user.id)
        row = (await ctx.session.scalars(select(RefreshToken))).one()
    assert stored is not None
    assert stored.token_version == 1
    assert row.revoked_at is not None
    with pytest.raises(AuthenticationError, match="no longer valid"):
        async with runtime.context() as ctx:
            await auth.authenticate(ctx, pair.access_token)
