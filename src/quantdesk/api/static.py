"""Serve the built dashboard (web/dist) at ``/``, with client-side routes falling back to it.

The files are served from the router's default handler, which runs only when no API route
matched: routers included after this one still win, and API paths keep their JSON 404.
Hashed assets are cached for a year; ``index.html`` is revalidated on every load so a new
build is picked up at once. Without a build the app starts as before, API only.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse
from starlette.types import ASGIApp, Receive, Scope, Send

DEFAULT_DIST = Path(__file__).resolve().parents[3] / "web" / "dist"
API_PREFIXES = ("/api/", "/docs", "/redoc", "/openapi.json", "/health")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def install_static(app: FastAPI, dist: Path | None = None) -> None:
    """Serve ``dist`` for every GET or HEAD that no API route answers; no-op without a build."""
    dist = dist or DEFAULT_DIST
    if not (dist / "index.html").is_file():
        return
    app.router.default = DashboardFiles(dist.resolve(), fallback=app.router.default)


def _is_api(path: str) -> bool:
    return path == "/api" or any(path.startswith(prefix) for prefix in API_PREFIXES)


class DashboardFiles:
    """Answer with a file of the build, or ``index.html`` for a client-side route."""

    def __init__(self, dist: Path, fallback: ASGIApp) -> None:
        self.dist = dist
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "/")
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or _is_api(path):
            await self.fallback(scope, receive, send)
            return
        await self._response(path)(scope, receive, send)

    def _response(self, path: str) -> FileResponse:
        file = self._file(path)
        if file is None:
            return FileResponse(self.dist / "index.html", headers={"Cache-Control": REVALIDATE})
        hashed = file.parent.name == "assets"
        return FileResponse(file, headers={"Cache-Control": IMMUTABLE if hashed else REVALIDATE})

    def _file(self, path: str) -> Path | None:
        candidate = (self.dist / path.lstrip("/")).resolve()
        inside = candidate.is_relative_to(self.dist) and candidate != self.dist
        return candidate if inside and candidate.is_file() else None
