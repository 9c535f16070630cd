"""Register, log in, rotate refresh tokens and log out.

API clients send the refresh token in the JSON body. The dashboard cannot keep it safely in
script-readable storage, so login and refresh also set it in an httpOnly, SameSite=Strict
cookie scoped to these routes, which refresh and logout read when the body carries none.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.auth import RefreshTokenBody, TokenPairRead, UserRegister
from quantdesk.api.schemas.users import UserRead
from quantdesk.services import auth, users
from quantdesk.services.tokens import TokenPair

router = APIRouter(prefix="/auth", tags=["auth"])

REFRESH_COOKIE = "quantdesk_refresh"
REFRESH_COOKIE_PATH = "/api/v1/auth"

RefreshCookie = Annotated[
    str | None,
    Cookie(alias=REFRESH_COOKIE, description="Refresh token set by login, for the dashboard."),
]


@router.post(
    "/register",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=documented(403, 409, 422),
)
async def register(ctx: ContextDep, body: UserRegister) -> UserRead:
    """Create an account with the user role, unless registration is turned off."""
    user = await users.register(
        ctx, email=body.email, password=body.password, full_name=body.full_name
    )
    return UserRead.model_validate(user)


@router.post(
    "/login",
    response_model=TokenPairRead,
    status_code=status.HTTP_200_OK,
    responses=documented(401, 422, 429),
)
async def login(
    ctx: ContextDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    response: Response,
) -> TokenPairRead:
    """Exchange an email (as username) and password for an access and a refresh token."""
    pair = await auth.login(ctx, form.username, form.password)
    return _issue(pair, request, response)


@router.post(
    "/refresh",
    response_model=TokenPairRead,
    status_code=status.HTTP_200_OK,
    responses=documented(401, 422),
)
async def refresh(
    ctx: ContextDep,
    request: Request,
    response: Response,
    cookie: RefreshCookie = None,
    body: RefreshTokenBody | None = None,
) -> TokenPairRead:
    """Trade a refresh token (body or cookie) for a new pair; the old one stops working."""
    pair = await auth.refresh(ctx, _presented(body, cookie))
    return _issue(pair, request, response)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=documented(401, 404, 422),
)
async def logout(
    ctx: ContextDep,
    _user: CurrentUser,
    request: Request,
    response: Response,
    cookie: RefreshCookie = None,
    body: RefreshTokenBody | None = None,
) -> None:
    """End the session of a refresh token (body or cookie) and clear the cookie."""
    await auth.logout(ctx, _presented(body, cookie))
    response.delete_cookie(
        REFRESH_COOKIE,
        path=REFRESH_COOKIE_PATH,
        secure=_is_https(request),
        httponly=True,
        samesite="strict",
    )


def _presented(body: RefreshTokenBody | None, cookie: str | None) -> str | None:
    return body.refresh_token if body and body.refresh_token else cookie


def _issue(pair: TokenPair, request: Request, response: Response) -> TokenPairRead:
    response.set_cookie(
        REFRESH_COOKIE,
        pair.refresh_token,
        max_age=pair.refresh_expires_in,
        path=REFRESH_COOKIE_PATH,
        secure=_is_https(request),
        httponly=True,
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"
    return TokenPairRead(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        refresh_expires_in=pair.refresh_expires_in,
    )


def _is_https(request: Request) -> bool:
    # Behind a TLS proxy the scheme is https once the proxy headers are trusted.
    return request.url.scheme == "https"
