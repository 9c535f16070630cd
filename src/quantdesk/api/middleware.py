"""Request middleware: request ids, access logs, metrics, security headers and CORS.

Both middlewares are plain ASGI, not ``BaseHTTPMiddleware``: they add no task per request,
leave streaming bodies alone and let WebSocket connections through with their request id.
From the outside in: security headers, then request context, then CORS, then the app; so
CORS preflights are logged and counted, and every response, a 500 included, carries the
request id, the processing time and the security headers.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Collection

import structlog
from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quantdesk import __version__
from quantdesk.api.errors import unexpected_error
from quantdesk.api.metrics import UNMATCHED_ROUTE, DatabasePoolCollector, Metrics
from quantdesk.services import health
from quantdesk.settings import Settings

logger = structlog.get_logger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
PROCESS_TIME_HEADER = "X-Process-Time"
QUIET_PATHS = frozenset({"/health/live", "/health/metrics"})
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

API_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI and ReDoc load from jsDelivr and start with an inline script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https:; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Install CORS, request context (ids, logs, metrics) and security headers.

    Also creates the app's ``Metrics`` as ``app.state.metrics``, because the request
    middleware records into it and ``/health/metrics`` renders it.
    """
    metrics = Metrics(__version__)
    metrics.register(DatabasePoolCollector(lambda: _pool_figures(app)))
    app.state.metrics = metrics
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=settings.cors_allow_credentials,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=[REQUEST_ID_HEADER, PROCESS_TIME_HEADER],
    )
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    docs_paths = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    app.add_middleware(SecurityHeadersMiddleware, docs_paths={path for path in docs_paths if path})


def _pool_figures(app: FastAPI) -> dict[str, object] | None:
    runtime = getattr(app.state, "runtime", None)
    return health.database_pool(runtime.engine) if runtime is not None else None


class RequestContextMiddleware:
    """Give each request an id, time it, log it once and record it in the metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            if scope["type"] == "http":
                await self._handle(scope, receive, send, request_id)
            else:
                await self.app(scope, receive, send)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_context(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                headers[PROCESS_TIME_HEADER] = f"{time.perf_counter() - started:.6f}"
            await send(message)

        try:
            await self.app(scope, receive, send_with_context)
        except Exception as exc:
            if response_started:
                raise
            response = await unexpected_error(Request(scope), exc)
            await response(scope, receive, send_with_context)
        finally:
            self._finish(scope, status, time.perf_counter() - started, request_id)

    def _finish(self, scope: Scope, status: int, seconds: float, request_id: str) -> None:
        route = _route_template(scope)
        self.metrics.observe_request(scope["method"], route, status, seconds)
        path = scope["path"]
        log = logger.debug if path in QUIET_PATHS else logger.info
        client = scope.get("client")
        log(
            "request_finished",
            method=scope["method"],
            path=path,
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 2),
            client=client[0] if client else None,
            request_id=request_id,
        )


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else UNMATCHED_ROUTE


class SecurityHeadersMiddleware:
    """Add browser hardening headers to every HTTP response, with a looser CSP for API docs."""

    def __init__(self, app: ASGIApp, docs_paths: Collection[str]) -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_CSP if scope["path"] in self.docs_paths else API_CSP
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", policy)
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
