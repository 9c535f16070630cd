"""Health: liveness, readiness, operator details and Prometheus metrics, at the root path.

Probes and scrapers call these without a token; only ``/health/detailed`` needs an admin,
because versions and pool figures help an attacker as much as an operator.
"""

from __future__ import annotations

import time
from typing import Literal

from fastapi import APIRouter, Request, Response

from quantdesk import __version__
from quantdesk.api.deps import AdminUser, RuntimeDep
from quantdesk.api.errors import documented
from quantdesk.api.metrics import CONTENT_TYPE, Metrics
from quantdesk.api.schemas.health import (
    BrokerHealthRead,
    ComponentRead,
    DatabaseRead,
    HealthDetailRead,
    HealthRead,
    LivenessRead,
    ReadinessRead,
)
from quantdesk.api.schemas.providers import ProviderStateRead
from quantdesk.services import health, providers
from quantdesk.services.reconciler import BrokerHealth, Reconciler

router = APIRouter(prefix="/health", tags=["health"])


@router.get("", response_model=HealthRead)
async def summary(runtime: RuntimeDep) -> HealthRead:
    """Report "ok", or "degraded" while the database or cache is unreachable."""
    components = await health.check_components(runtime.engine, runtime.cache)
    return HealthRead(status=_overall(components), version=__version__)


@router.get("/live", response_model=LivenessRead)
async def live() -> LivenessRead:
    """Answer while the process runs, without touching the database."""
    return LivenessRead()


@router.get("/ready", response_model=ReadinessRead, responses=documented(503))
async def ready(runtime: RuntimeDep) -> ReadinessRead:
    """Answer 200 when the database and cache respond within 2 s, else 503."""
    components = await health.ensure_ready(runtime.engine, runtime.cache)
    return ReadinessRead(components=_components(components))


@router.get("/detailed", response_model=HealthDetailRead, responses=documented(401, 403))
async def detailed(request: Request, runtime: RuntimeDep, _admin: AdminUser) -> HealthDetailRead:
    """Show component checks, versions, uptime, pools, cache, provider breakers and brokers."""
    components = await health.check_components(runtime.engine, runtime.cache)
    return HealthDetailRead(
        status=_overall(components),
        version=__version__,
        uptime_seconds=round(time.time() - runtime.started_at, 3),
        components=_components(components),
        versions=health.package_versions(),
        database=DatabaseRead(
            **health.database_server(runtime.engine), pool=health.database_pool(runtime.engine)
        ),
        cache_backend=health.cache_backend(runtime.cache),
        providers=[
            ProviderStateRead.model_validate(state)
            for state in providers.breaker_states(runtime.providers)
        ],
        brokers=[BrokerHealthRead.model_validate(state) for state in _brokers(request)],
    )


def _brokers(request: Request) -> list[BrokerHealth]:
    reconciler: Reconciler | None = getattr(request.app.state, "reconciler", None)
    return reconciler.brokers() if reconciler is not None else []


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format."}},
)
async def metrics(request: Request) -> Response:
    """Expose request counts, latency histograms and pool gauges for Prometheus."""
    registry: Metrics = request.app.state.metrics
    return Response(registry.render(), media_type=CONTENT_TYPE)


def _components(components: list[health.ComponentHealth]) -> dict[str, ComponentRead]:
    return {
        item.name: ComponentRead(status=item.status, latency_ms=item.latency_ms, error=item.error)
        for item in components
    }


def _overall(components: list[health.ComponentHealth]) -> Literal["ok", "degraded"]:
    return "ok" if all(item.ok for item in components) else "degraded"
