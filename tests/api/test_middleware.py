import re
from pathlib import Path

import httpx
import pytest
import structlog
from fastapi import FastAPI, WebSocket
from starlette.types import Message

from quantdesk.api.app import create_app
from quantdesk.settings import Settings
from tests.fixtures.apps import local_settings, log_lines, serve, settings_with


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """These behaviours do not depend on the database, so SQLite alone covers them."""
    return local_settings(tmp_path)


ALLOWED_ORIGIN = "https://desk.example.com"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
}


def app_with_routes(settings: Settings) -> FastAPI:
    app = create_app(settings)
    logger = structlog.get_logger("tests.handler")

    @app.get("/speak")
    async def speak() -> dict[str, str]:
        logger.info("handler_spoke", password="hunter2-in-handler")
        return {"said": "hello"}

    @app.get("/explode")
    async def explode() -> None:
        raise RuntimeError("boom")

    @app.websocket("/echo")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        logger.info("socket_echoed")
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    return app


async def test_request_id_absent_generates_hex_id(client: httpx.AsyncClient) -> None:
    first = await client.get("/health/live")
    second = await client.get("/health/live")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_request_id_sane_incoming_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "edge-1.abc_DEF"})
    assert response.headers["x-request-id"] == "edge-1.abc_DEF"


@pytest.mark.parametrize("incoming", ["a" * 129, "has space", "semi;colon", "ünïcode"])
async def test_request_id_insane_incoming_is_replaced(
    client: httpx.AsyncClient, incoming: str
) -> None:
    response = await client.get(
        "/health/live", headers=[(b"x-request-id", incoming.encode("utf-8"))]
    )
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_process_time_header_is_decimal_seconds(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert re.fullmatch(r"\d+\.\d+", response.headers["x-process-time"])
    assert 0 <= float(response.headers["x-process-time"]) < 10


async def test_request_log_lines_carry_request_id(settings: Settings) -> None:
    async with serve(app_with_routes(settings)) as http:
        await http.get("/speak", headers={"X-Request-ID": "trace-me-42"})
    lines = [line for line in log_lines(settings) if line.get("request_id") == "trace-me-42"]
    assert [line["event"] for line in lines] == ["handler_spoke", "request_finished"]
    finished = lines[-1]
    assert finished["method"] == "GET"
    assert finished["path"] == "/speak"
    assert finished["route"] == "/speak"
    assert finished["status"] == 200
    assert finished["client"] == "127.0.0.1"
    assert finished["duration_ms"] >= 0
    assert lines[0]["password"] == "[redacted]"


async def test_request_log_after_request_unbinds_request_id(settings: Settings) -> None:
    async with serve(app_with_routes(settings)) as http:
        await http.get("/speak", headers={"X-Request-ID": "short-lived"})
    structlog.get_logger("tests.after").warning("after_request")
    after = [line for line in log_lines(settings) if line["event"] == "after_request"]
    assert "request_id" not in after[0]


@pytest.mark.parametrize(
    ("level", "logged"), [("INFO", False), ("DEBUG", True)], ids=["info", "debug"]
)
async def test_request_log_probe_paths_only_at_debug(
    settings: Settings, level: str, logged: bool
) -> None:
    settings = settings_with(settings, log_level=level)
    async with serve(create_app(settings)) as http:
        await http.get("/health/live")
        await http.get("/health/metrics")
        await http.get("/health")
    finished = {
        line["path"]: line["level"]
        for line in log_lines(settings)
        if line["event"] == "request_finished"
    }
    assert finished["/health"] == "info"
    assert ("/health/live" in finished) is logged
    assert ("/health/metrics" in finished) is logged


@pytest.mark.parametrize(
    ("path", "status"), [("/speak", 200), ("/api/v1/missing", 404), ("/explode", 500)]
)
async def test_security_headers_on_success_and_error_responses(
    settings: Settings, path: str, status: int
) -> None:
    async with serve(app_with_routes(settings), raise_app_exceptions=False) as http:
        response = await http.get(path)
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "camera=()" in response.headers["permissions-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "x-request-id" in response.headers
    assert "x-process-time" in response.headers
    assert "strict-transport-security" not in response.headers


async def test_security_headers_https_request_adds_hsts(settings: Settings) -> None:
    async with serve(create_app(settings), base_url="https://testserver") as http:
        response = await http.get("/health/live")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_security_headers_api_csp_refuses_cdn_scripts(client: httpx.AsyncClient) -> None:
    policy = (await client.get("/health")).headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "cdn.jsdelivr.net" not in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_security_headers_docs_csp_allows_its_cdn(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert "https://cdn.jsdelivr.net" in response.headers["content-security-policy"]
    assert "cdn.jsdelivr.net" in response.text


async def test_cors_preflight_configured_origin_allowed(settings: Settings) -> None:
    settings = settings_with(settings, cors_origins=[ALLOWED_ORIGIN])
    async with serve(create_app(settings)) as http:
        response = await http.options("/health", headers=_preflight(ALLOWED_ORIGIN))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "x-request-id" in response.headers


async def test_cors_preflight_other_origin_refused(settings: Settings) -> None:
    settings = settings_with(settings, cors_origins=[ALLOWED_ORIGIN])
    async with serve(create_app(settings)) as http:
        response = await http.options("/health", headers=_preflight("https://evil.example.net"))
        simple = await http.get("/health", headers={"Origin": "https://evil.example.net"})
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in simple.headers


async def test_cors_simple_request_exposes_request_id(settings: Settings) -> None:
    settings = settings_with(settings, cors_origins=[ALLOWED_ORIGIN])
    async with serve(create_app(settings)) as http:
        response = await http.get("/health", headers={"Origin": ALLOWED_ORIGIN})
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed


async def test_websocket_passes_through_with_request_id(settings: Settings) -> None:
    incoming: list[Message] = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "ping"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    app = app_with_routes(settings)
    async with serve(app):
        await app(_websocket_scope("/echo", request_id="socket-7"), receive, send)
    assert [message["type"] for message in sent] == [
        "websocket.accept",
        "websocket.send",
        "websocket.close",
    ]
    assert sent[1]["text"] == "ping"
    echoed = [line for line in log_lines(settings) if line["event"] == "socket_echoed"]
    assert echoed[0]["request_id"] == "socket-7"


def _websocket_scope(path: str, request_id: str) -> dict[str, object]:
    return {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"x-request-id", request_id.encode())],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "subprotocols": [],
        "state": {},
    }


def _preflight(origin: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "GET"}
