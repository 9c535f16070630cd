"""Health response bodies: what probes, load balancers and operators read."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from quantdesk.api.schemas.providers import ProviderStateRead


class HealthRead(BaseModel):
    """A one-glance summary: "degraded" while the database or cache is unreachable."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "ok", "version": "0.1.0"}]}
    )

    status: Literal["ok", "degraded"]
    version: str


class LivenessRead(BaseModel):
    """The process answers; nothing else is checked."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok"] = "ok"


class ComponentRead(BaseModel):
    """One dependency's check. ``error`` names the failure kind, never a driver message."""

    status: Literal["ok", "unavailable"]
    latency_ms: float = Field(description="How long the check took, in milliseconds.")
    error: str | None = None


class ReadinessRead(BaseModel):
    """Every dependency answered; the process can take traffic."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "components": {
                        "database": {"status": "ok", "latency_ms": 1.8, "error": None},
                        "cache": {"status": "ok", "latency_ms": 0.4, "error": None},
                    },
                }
            ]
        }
    )

    status: Literal["ok"] = "ok"
    components: dict[str, ComponentRead]


class DatabaseRead(BaseModel):
    """The database as this process sees it; the URL is never included."""

    dialect: str
    server_version: str | None
    pool: dict[str, int | str] = Field(
        description="Pool class and figures: size, checkedin, checkedout, overflow."
    )


class BrokerHealthRead(BaseModel):
    """One user's broker: its connection, breaker and last reconciliation; no secrets."""

    model_config = ConfigDict(from_attributes=True)

    user_id: int
    mode: str
    broker: str = Field(description='The adapter, e.g. "paper" or "ib".')
    connection: str = Field(description="disconnected, connecting, connected, reconnecting, failed")
    breaker: str | None = Field(description="closed, open or half-open; None without a breaker.")
    last_reconciliation: datetime | None
    differences: int = Field(description="Differences the last reconciliation found.")
    unmatched_orders: int = Field(
        description="Stored orders still new or unknown, and broker orders not stored here."
    )


class HealthDetailRead(BaseModel):
    """Everything an operator needs to judge this process at a glance."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "version": "0.1.0",
                    "uptime_seconds": 3600.5,
                    "components": {
                        "database": {"status": "ok", "latency_ms": 1.8, "error": None},
                        "cache": {"status": "ok", "latency_ms": 0.4, "error": None},
                    },
                    "versions": {
                        "python": "3.11.9",
                        "quantdesk": "0.1.0",
                        "fastapi": "0.115.0",
                        "sqlalchemy": "2.0.36",
                        "numpy": "2.1.0",
                    },
                    "database": {
                        "dialect": "postgresql",
                        "server_version": "16.4",
                        "pool": {"class": "AsyncAdaptedQueuePool", "size": 10, "checkedout": 1},
                    },
                    "cache_backend": "redis",
                }
            ]
        }
    )

    status: Literal["ok", "degraded"]
    version: str
    uptime_seconds: float
    components: dict[str, ComponentRead]
    versions: dict[str, str]
    database: DatabaseRead
    cache_backend: str = Field(description='"memory" or "redis"; never the connection URL.')
    providers: list[ProviderStateRead] = Field(
        default_factory=list, description="Each data provider's circuit breaker."
    )
    brokers: list[BrokerHealthRead] = Field(
        default_factory=list, description="Each connected broker and its last reconciliation."
    )
