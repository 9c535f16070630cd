import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from quantdesk import __version__
from quantdesk.api.app import create_app
from quantdesk.settings import Settings
from tests.fixtures.apps import (
    UNREACHABLE_DATABASE_URL,
    UNREACHABLE_REDIS_URL,
    log_lines,
    serve,
    settings_with,
)
from tests.fixtures.orders import submit
from tests.fixtures.users import SignIn

HEALTH_PATHS = ("/health", "/health/live", "/health/ready", "/health/metrics")


async def test_health_summary_everything_reachable_reports_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


async def test_health_live_database_unreachable_still_answers(settings: Settings) -> None:
    app = create_app(settings_with(settings, database_url=UNREACHABLE_DATABASE_URL))
    async with serve(app) as http:
        response = await http.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_health_ready_database_and_cache_reachable_reports_components(
    settings: Settings, cache_url: str | None
) -> None:
    app = create_app(settings_with(settings, redis_url=cache_url))
    async with serve(app) as http:
        response = await http.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: item["status"] for name, item in body["components"].items()} == {
        "database": "ok",
        "cache": "ok",
    }
    assert all(item["latency_ms"] >= 0 for item in body["components"].values())


async def test_health_ready_database_unreachable_returns_503_naming_database(
    settings: Settings,
) -> None:
    app = create_app(settings_with(settings, database_url=UNREACHABLE_DATABASE_URL))
    async with serve(app) as http:
        response = await http.get("/health/ready")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert "database" in error["message"]
    assert "DATABASE_URL" in error["message"]
    components = error["details"]["components"]
    assert components["database"]["status"] == "unavailable"
    assert components["database"]["error"].startswith("unreachable (")
    assert components["cache"]["status"] == "ok"
    assert "hunter2" not in response.text
    assert "127.0.0.1" not in response.text


async def test_health_ready_redis_unreachable_returns_503_naming_cache(
    settings: Settings,
) -> None:
    app = create_app(settings_with(settings, redis_url=UNREACHABLE_REDIS_URL))
    async with serve(app) as http:
        response = await http.get("/health/ready")
    assert response.status_code == 503
    components = response.json()["error"]["details"]["components"]
    assert components["cache"]["status"] == "unavailable"
    assert components["database"]["status"] == "ok"
    assert "REDIS_URL" in response.json()["error"]["message"]
    assert "hunter2" not in response.text


async def test_health_summary_database_unreachable_reports_degraded(settings: Settings) -> None:
    app = create_app(settings_with(settings, database_url=UNREACHABLE_DATABASE_URL))
    async with serve(app) as http:
        response = await http.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"


async def test_health_unreachable_database_password_never_logged(settings: Settings) -> None:
    app = create_app(settings_with(settings, database_url=UNREACHABLE_DATABASE_URL))
    async with serve(app) as http:
        await http.get("/health/ready")
    text = (settings.log_dir / "quantdesk.log").read_text(encoding="utf-8")
    assert any(line["status"] == 503 for line in log_lines(settings) if "status" in line)
    assert "hunter2" not in text


async def test_health_metrics_after_requests_label_route_template(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/things/{thing_id}")
    async def read_thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    async with serve(app) as http:
        await http.get("/things/42")
        await http.get("/things/43")
        await http.get("/api/v1/no/such/route")
        response = await http.get("/health/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'http_requests_total{method="GET",route="/things/{thing_id}",status="200"} 2.0' in text
    assert 'http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert 'http_request_duration_seconds_count{method="GET",route="/things/{thing_id}"}' in text
    assert "/things/42" not in text


async def test_health_metrics_report_pool_version_and_process(client: httpx.AsyncClient) -> None:
    await client.get("/health/ready")
    text = (await client.get("/health/metrics")).text
    assert "db_pool_size " in text
    assert "db_pool_checked_out " in text
    assert f'quantdesk_info{{version="{__version__}"}} 1.0' in text
    assert "process_cpu_seconds_total" in text


async def test_health_metrics_separate_apps_keep_separate_counts(settings: Settings) -> None:
    first, second = create_app(settings), create_app(settings)
    async with serve(first) as http:
        await http.get("/health/live")
    async with serve(second) as http:
        text = (await http.get("/health/metrics")).text
    assert 'route="/health/live"' not in text


def test_health_metrics_multiprocess_dir_set_merges_worker_files(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        from quantdesk.api.metrics import Metrics
        metrics = Metrics("9.9.9")
        metrics.observe_request("GET", "/health", 200, 0.01)
        print(metrics.render().decode())
        """
    )
    environment = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    result = subprocess.run(  # noqa: S603  (runs this interpreter on a fixed script)
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    )
    assert 'http_requests_total{method="GET",route="/health",status="200"} 1.0' in result.stdout
    assert 'quantdesk_info{version="9.9.9"} 1.0' in result.stdout
    assert list(tmp_path.glob("*.db"))


@pytest.mark.parametrize("path", HEALTH_PATHS)
async def test_health_routes_no_token_not_refused(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200


async def test_health_openapi_routes_at_root_under_health_tag(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in HEALTH_PATHS:
        assert paths[path]["get"]["tags"] == ["health"]
    assert "503" in paths["/health/ready"]["get"]["responses"]


async def test_health_detailed_without_token_unauthorized(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/detailed")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


async def test_health_detailed_plain_user_forbidden(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in(role="user")
    response = await client.get("/health/detailed", headers=user.headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


async def test_health_detailed_admin_sees_components_versions_and_pool(
    client: httpx.AsyncClient, sign_in: SignIn, settings: Settings, db_backend: str
) -> None:
    admin = await sign_in(role="admin")
    response = await client.get("/health/detailed", headers=admin.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert body["uptime_seconds"] >= 0
    assert {item["status"] for item in body["components"].values()} == {"ok"}
    assert {"python", "quantdesk", "fastapi", "sqlalchemy", "numpy"} <= set(body["versions"])
    assert body["database"]["dialect"] == db_backend.replace("postgres", "postgresql")
    assert body["database"]["server_version"]
    assert body["database"]["pool"]["checkedout"] >= 0
    assert body["cache_backend"] == "memory"
    assert settings.resolved_database_url not in response.text


async def test_metrics_include_trading_engine_figures(client: httpx.AsyncClient) -> None:
    text = (await client.get("/health/metrics")).text
    assert "quantdesk_order_submit_seconds_bucket" in text
    assert "quantdesk_fills_applied_total" in text


async def test_health_detailed_shows_each_broker_and_its_last_reconciliation(
    app: FastAPI, client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    admin = await sign_in(role="admin")
    assert (await submit(client, admin)).status_code == 201
    await app.state.reconciler.run()
    response = await client.get("/health/detailed", headers=admin.headers)
    [broker] = response.json()["brokers"]
    assert {key: broker[key] for key in ("user_id", "mode", "broker", "connection")} == {
        "user_id": admin.id,
        "mode": "paper",
        "broker": "paper",
        "connection": "connected",
    }
    assert (broker["breaker"], broker["differences"], broker["unmatched_orders"]) == (None, 0, 0)
    assert broker["last_reconciliation"] is not None
    assert admin.email not in response.text
    metrics = (await client.get("/health/metrics")).text
    assert "quantdesk_broker_last_reconciliation_timestamp_seconds{" in metrics
    assert (
        f'quantdesk_broker_unmatched_orders{{broker="paper",mode="paper",user_id="{admin.id}"}} 0.0'
        in metrics
    )
