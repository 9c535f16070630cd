"""The API serves the built dashboard at / and leaves its own paths alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from quantdesk.api.app import create_app
from quantdesk.api.static import IMMUTABLE, REVALIDATE, install_static

INDEX = "<!doctype html><title>QuantDesk</title>"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path.parent / "secret.txt").write_text("outside")
    return tmp_path


def _app(dist: Path) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    install_static(app, dist)

    @app.get("/api/v1/later")
    async def later() -> dict[str, str]:
        return {"registered": "after"}

    return app


@pytest_asyncio.fixture
async def client(dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(dist))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_static_root_serves_index_without_cache(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["cache-control"] == REVALIDATE


async def test_static_client_route_falls_back_to_index(client: httpx.AsyncClient) -> None:
    response = await client.get("/backtests/12?tab=trades")
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")


async def test_static_hashed_asset_cached_for_a_year(client: httpx.AsyncClient) -> None:
    response = await client.get("/assets/index-abc123.js")
    assert response.text == "console.log(1)"
    assert response.headers["cache-control"] == IMMUTABLE


async def test_static_unhashed_file_revalidated(client: httpx.AsyncClient) -> None:
    response = await client.get("/favicon.svg")
    assert response.text == "<svg/>"
    assert response.headers["cache-control"] == REVALIDATE


@pytest.mark.parametrize("path", ["/api/v1/missing", "/api", "/docs/x", "/health/nope", "/redoc/x"])
async def test_static_api_paths_keep_their_404(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 404


async def test_static_routes_before_and_after_install_still_answer(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/api/v1/ping")).json() == {"pong": "yes"}
    assert (await client.get("/api/v1/later")).json() == {"registered": "after"}


async def test_static_post_to_unknown_path_is_not_the_app(client: httpx.AsyncClient) -> None:
    assert (await client.post("/backtests")).status_code in (404, 405)


async def test_static_path_escaping_dist_serves_index(client: httpx.AsyncClient) -> None:
    response = await client.get("/..%2Fsecret.txt")
    assert response.text == INDEX


def test_static_without_build_leaves_app_unchanged(tmp_path: Path) -> None:
    app = FastAPI()
    default = app.router.default
    install_static(app, tmp_path / "missing")
    assert app.router.default is default


async def test_static_real_app_serves_dashboard_with_csp(
    dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("quantdesk.api.static.DEFAULT_DIST", dist)
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        page = await client.get("/strategies")
        missing = await client.get("/api/v1/nothing-here")
    assert page.text == INDEX
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert missing.json()["error"]["code"] == "not_found"
