"""Health checks: can this process reach its database and cache, and how is it doing.

The checks take the engine and cache as arguments so the API, the worker and the CLI can all
ask the same questions. Failures are described by component and exception class only: the
exception text of a driver can contain the connection URL, password included.
"""

from __future__ import annotations

import asyncio
import platform
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from quantdesk.db.engine import pool_status
from quantdesk.errors import UnavailableError
from quantdesk.ports.cache import Cache

CHECK_TIMEOUT_SECONDS = 2.0
VERSIONED_PACKAGES = ("quantdesk", "fastapi", "sqlalchemy", "numpy")
FIXES = {
    "database": "check DATABASE_URL and that the database server is running",
    "cache": "check REDIS_URL and that Redis is running",
}


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    """The outcome of one check; ``error`` names the failure, never the driver's message."""

    name: str
    status: Literal["ok", "unavailable"]
    latency_ms: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


async def check_database(
    engine: AsyncEngine, limit_seconds: float = CHECK_TIMEOUT_SECONDS
) -> ComponentHealth:
    """Run ``SELECT 1`` on a pooled connection within ``limit_seconds``."""

    async def select_one() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    return await _timed("database", select_one, limit_seconds)


async def check_cache(
    cache: Cache, limit_seconds: float = CHECK_TIMEOUT_SECONDS
) -> ComponentHealth:
    """Ping the cache within ``limit_seconds``."""
    return await _timed("cache", cache.ping, limit_seconds)


async def check_components(
    engine: AsyncEngine, cache: Cache, limit_seconds: float = CHECK_TIMEOUT_SECONDS
) -> list[ComponentHealth]:
    """Check the database and the cache concurrently, so a slow one costs one timeout."""
    database, cache_health = await asyncio.gather(
        check_database(engine, limit_seconds), check_cache(cache, limit_seconds)
    )
    return [database, cache_health]


async def ensure_ready(
    engine: AsyncEngine, cache: Cache, limit_seconds: float = CHECK_TIMEOUT_SECONDS
) -> list[ComponentHealth]:
    """Return the component checks, or raise ``UnavailableError`` naming each failing one.

    Raises:
        UnavailableError: A component is unreachable; ``details["components"]`` holds every
            component's status so a probe's log shows which one.
    """
    components = await check_components(engine, cache, limit_seconds)
    failing = [component for component in components if not component.ok]
    if failing:
        reasons = "; ".join(f"{item.name} {item.error}: {FIXES[item.name]}" for item in failing)
        raise UnavailableError(
            f"Not ready: {reasons}",
            details={"components": {item.name: component_figures(item) for item in components}},
        )
    return components


def component_figures(component: ComponentHealth) -> dict[str, Any]:
    """A component as plain data for a response body or a log line."""
    figures: dict[str, Any] = {"status": component.status, "latency_ms": component.latency_ms}
    if component.error is not None:
        figures["error"] = component.error
    return figures


def database_pool(engine: AsyncEngine) -> dict[str, Any]:
    """Pool size, connections checked in and out, and overflow, for metrics and details."""
    return pool_status(engine)


def database_server(engine: AsyncEngine) -> dict[str, str | None]:
    """The dialect and, once a connection has been made, the server version."""
    info = engine.dialect.server_version_info
    server_version = ".".join(str(part) for part in info) if info else None
    return {"dialect": engine.dialect.name, "server_version": server_version}


def cache_backend(cache: Cache) -> str:
    """A short backend name ("memory", "redis"), never the connection URL."""
    return type(cache).__name__.removesuffix("Cache").lower() or "unknown"


@cache
def package_versions() -> dict[str, str]:
    """Python's and the main packages' versions, for bug reports and upgrade checks."""
    versions = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "unknown"
    return versions


async def _timed(
    name: str, probe: Callable[[], Awaitable[None]], limit_seconds: float
) -> ComponentHealth:
    started = time.perf_counter()
    error: str | None = None
    try:
        async with asyncio.timeout(limit_seconds):
            await probe()
    except TimeoutError:
        error = f"timed out after {limit_seconds:g} s"
    except Exception as exc:  # any driver failure means "unreachable" to a probe
        error = f"unreachable ({type(exc).__name__})"
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    return ComponentHealth(name, "unavailable" if error else "ok", latency_ms, error)
