"""Deployments: a strategy with symbols, timeframe, feed and risk profile, run on new bars.

A deployment names a saved strategy, or a strategy type with parameters that is saved for
it. Its ``feed`` is where new bars come from; its ``risk_profile`` holds how entries are
sized (a fixed ``quantity``, ``risk_fraction`` of equity lost at the strategy's stop, or
``all_in``: all the cash; see :mod:`quantdesk.services.deployment_sizing`) and risk-limit
overrides for its own account. ``start`` and ``stop`` only mark it; the
:class:`~quantdesk.services.deployment_runner.DeploymentRunner` does the running.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import structlog
from pydantic import ValidationError as PydanticValidationError

from quantdesk.bars import timeframe_ns
from quantdesk.db.models import Deployment, StrategyEvent
from quantdesk.db.repositories.base import Paged
from quantdesk.db.repositories.deployments import DeploymentRepository
from quantdesk.errors import ConflictError, NotFoundError, ValidationError
from quantdesk.services import broker_settings, events, strategies, trading_config
from quantdesk.services.context import ServiceContext
from quantdesk.services.users import require_actor
from quantdesk.trading.risk import RiskLimits

__all__ = [
    "LIVE_NOT_CONFIGURED",
    "DeploymentChanges",
    "DeploymentRequest",
    "FeedSpec",
    "SizingSpec",
    "create_deployment",
    "delete_deployment",
    "get_deployment",
    "list_deployments",
    "list_events",
    "mark_running",
    "mark_stopped",
    "record_event",
    "update_deployment",
]

logger = structlog.get_logger(__name__)

LIVE_NOT_CONFIGURED = (
    "live trading is off on this server (QUANTDESK_LIVE_BROKER=none); use mode 'paper', or "
    "ask the operator to set QUANTDESK_LIVE_BROKER=ib"
)
FEED_KINDS = ("replay", "synthetic")


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """Where new bars come from: stored bars replayed from ``start``, or a synthetic walk."""

    kind: str = "replay"
    speed: float = 1.0
    start: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The spec as stored in the deployment's profile."""
        start = self.start.isoformat() if self.start else None
        return {"kind": self.kind, "speed": self.speed, "start": start}

    @classmethod
    def of(cls, stored: dict[str, Any]) -> FeedSpec:
        """The spec back from its stored form."""
        start = stored.get("start")
        return cls(
            stored["kind"], float(stored["speed"]), datetime.fromisoformat(start) if start else None
        )


@dataclass(frozen=True, slots=True)
class SizingSpec:
    """How an entry is sized: ``quantity`` units, ``risk_fraction`` of equity at the stop, or
    ``all_in`` (all the cash); exactly one is given."""

    quantity: Decimal | None = None
    risk_fraction: Decimal | None = None
    all_in: bool = False

    @classmethod
    def of(cls, profile: dict[str, Any]) -> SizingSpec:
        """The sizing kept in a deployment's ``risk_profile``."""
        quantity, fraction = profile.get("quantity"), profile.get("risk_fraction")
        return cls(
            Decimal(quantity) if quantity is not None else None,
            Decimal(fraction) if fraction is not None else None,
            bool(profile.get("all_in", False)),
        )


@dataclass(frozen=True, slots=True)
class DeploymentRequest:
    """What a client asks to deploy."""

    symbols: list[str]
    timeframe: str
    strategy_id: int | None = None
    strategy_type: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    broker: str = "paper"
    mode: str = "paper"
    feed: FeedSpec = field(default_factory=FeedSpec)
    sizing: SizingSpec = field(default_factory=lambda: SizingSpec(quantity=Decimal(1)))
    limits: dict[str, Any] = field(default_factory=dict)


async def create_deployment(
    ctx: ServiceContext, request: DeploymentRequest, *, live_available: bool = False
) -> Deployment:
    """Save a deployment for the signed-in user, in ``pending`` until it is started.

    Raises:
        ValidationError: Live mode without a live broker, an unknown feed or strategy type,
            a bad symbol, timeframe, sizing or risk limit.
        NotFoundError: ``strategy_id`` is not one of the user's strategies.
    """
    user = require_actor(ctx)
    _check_request(request, live_available)
    if request.mode == "live":
        await broker_settings.live_credentials(ctx, user.id, request.broker)
    strategy_id = await _strategy_id(ctx, request)
    row = Deployment(
        user_id=user.id,
        strategy_id=strategy_id,
        symbols=strategies.normalize_symbols(request.symbols),
        timeframe=request.timeframe,
        broker=request.broker,
        mode=request.mode,
        risk_profile=_profile(request),
        feed=request.feed.to_json(),
    )
    repository = DeploymentRepository(ctx.session)
    await repository.add(row)
    row.account = f"deployment-{row.id}"
    await repository.flush()
    logger.info("deployment_created", deployment_id=row.id, mode=row.mode)
    return row


def _check_request(request: DeploymentRequest, live_available: bool) -> None:
    trading_config.check_mode(request.mode)
    if request.mode == "live" and not live_available:
        raise ValidationError(LIVE_NOT_CONFIGURED, details={"field": "mode"})
    if request.broker != "paper" and request.mode == "paper":
        raise ValidationError(
            f"broker {request.broker!r} cannot paper-trade; use broker 'paper'",
            details={"field": "broker"},
        )
    if request.broker == "paper" and request.mode == "live":
        raise ValidationError(
            "broker 'paper' cannot trade live; use broker 'ib' or mode 'paper'",
            details={"field": "broker"},
        )
    if request.feed.kind not in FEED_KINDS:
        raise ValidationError(
            f"feed.kind must be 'replay' or 'synthetic', got {request.feed.kind!r}",
            details={"field": "feed.kind"},
        )
    if not request.symbols:
        raise ValidationError("symbols: give at least one symbol", details={"field": "symbols"})
    try:
        timeframe_ns(request.timeframe)
    except ValidationError as error:
        raise ValidationError(
            f"timeframe: {error.message}", details={"field": "timeframe"}
        ) from None
    _check_sizing(request.sizing)
    _limits(request.limits)


def _check_sizing(sizing: SizingSpec) -> None:
    choices = {"quantity": sizing.quantity, "risk_fraction": sizing.risk_fraction}
    given = [name for name, value in choices.items() if value is not None]
    given += ["all_in"] if sizing.all_in else []
    positive = all(value is None or value > 0 for value in choices.values())
    if len(given) != 1 or not positive:
        raise ValidationError(
            "sizing: give exactly one of quantity (units per entry, e.g. 10), risk_fraction "
            "(share of equity lost at the stop, e.g. 0.01), both above zero, or all_in: true "
            "(all the cash on each entry)",
            details={"field": given[-1] if len(given) > 1 else "quantity"},
        )
    if sizing.risk_fraction is not None and sizing.risk_fraction > 1:
        raise ValidationError(
            f"risk_fraction must be at most 1 (0.01 is 1 %), got {sizing.risk_fraction}",
            details={"field": "risk_fraction"},
        )


def _limits(overrides: dict[str, Any]) -> RiskLimits:
    try:
        return RiskLimits.model_validate(overrides)
    except PydanticValidationError as error:
        first = error.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        raise ValidationError(
            f"limits.{name}: {first['msg']}", details={"field": f"limits.{name}"}
        ) from None


async def _strategy_id(ctx: ServiceContext, request: DeploymentRequest) -> int:
    if (request.strategy_id is None) == (request.strategy_type is None):
        raise ValidationError(
            "give either strategy_id (a saved strategy) or strategy_type with parameters",
            details={"field": "strategy_id"},
        )
    if request.strategy_id is not None:
        return (await strategies.get_strategy(ctx, request.strategy_id)).id
    return await _save_inline(ctx, request, str(request.strategy_type))


async def _save_inline(ctx: ServiceContext, request: DeploymentRequest, kind: str) -> int:
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    saved = await strategies.create_strategy(
        ctx,
        name=f"{kind} deployment {stamp}",
        type=kind,
        parameters=request.parameters,
        symbols=request.symbols,
        timeframe=request.timeframe,
    )
    return saved.id


def _profile(request: DeploymentRequest) -> dict[str, Any]:
    sizing = request.sizing
    return {
        "quantity": str(sizing.quantity) if sizing.quantity is not None else None,
        "risk_fraction": str(sizing.risk_fraction) if sizing.risk_fraction is not None else None,
        "all_in": sizing.all_in,
        "limits": _limits(request.limits).model_dump(mode="json", exclude_defaults=True),
    }


async def get_deployment(ctx: ServiceContext, deployment_id: int) -> Deployment:
    """One of the signed-in user's deployments; another user's is not found."""
    user = require_actor(ctx)
    row = await DeploymentRepository(ctx.session).get_for_user(deployment_id, user.id)
    if row is None:
        raise NotFoundError("Deployment", deployment_id)
    return row


async def list_deployments(ctx: ServiceContext, *, limit: int, offset: int) -> Paged[Deployment]:
    """The signed-in user's deployments, newest first."""
    user = require_actor(ctx)
    repository = DeploymentRepository(ctx.session)
    return await repository.list_for_user(user.id, limit=limit, offset=offset)


async def delete_deployment(ctx: ServiceContext, deployment_id: int) -> None:
    """Delete a deployment that is not running; its orders and trades stay.

    Raises:
        ConflictError: The deployment is running; stop it first.
    """
    row = await get_deployment(ctx, deployment_id)
    if row.status == "running":
        raise ConflictError(
            f"deployment {deployment_id} is running; stop it before deleting it",
            details={"deployment_id": deployment_id, "status": row.status},
        )
    await DeploymentRepository(ctx.session).delete(row)
    logger.info("deployment_deleted", deployment_id=deployment_id)


async def mark_running(ctx: ServiceContext, row: Deployment) -> None:
    """Mark the deployment running and give its account the profile's risk limits."""
    overrides = row.risk_profile.get("limits") or {}
    if overrides:
        await trading_config.update_config(
            ctx, _limits(overrides), mode=row.mode, account=row.account
        )
    row.status, row.started_at, row.stopped_at = "running", datetime.now(UTC), None
    row.last_error = None
    await record_event(ctx, row, "deployment_started", "started on new bars")


async def mark_stopped(
    ctx: ServiceContext,
    row: Deployment,
    *,
    error: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Mark the deployment stopped, or failed with the reason; ``details`` go on its event."""
    row.status = "failed" if error else "stopped"
    row.stopped_at, row.last_error = datetime.now(UTC), error
    message = f"failed: {error}" if error else "stopped"
    severity = "error" if error else "info"
    await record_event(
        ctx, row, f"deployment_{row.status}", message, severity=severity, details=details
    )


async def record_event(
    ctx: ServiceContext,
    row: Deployment,
    kind: str,
    message: str,
    *,
    severity: str = "info",
    details: dict[str, Any] | None = None,
) -> None:
    """Store a strategy event of the deployment and publish it on ``events``.

    The event carries the deployment's ``status`` as it stands, so a client following
    ``events`` sees each start, stop and failure without asking for the deployment again.
    """
    event = StrategyEvent(
        user_id=row.user_id,
        strategy_id=row.strategy_id,
        deployment_id=row.id,
        type=kind,
        severity=severity,
        message=message,
        details=details or {},
    )
    await DeploymentRepository(ctx.session).add_event(event)
    payload = {
        "deployment_id": row.id,
        "status": row.status,
        "type": kind,
        "severity": severity,
        "message": message,
    }
    events.publish(
        ctx, "events", row.user_id, "strategy_event", payload | {"details": event.details}
    )


async def list_events(ctx: ServiceContext, deployment_id: int) -> Sequence[StrategyEvent]:
    """The events of one of the signed-in user's deployments, oldest first."""
    row = await get_deployment(ctx, deployment_id)
    return await DeploymentRepository(ctx.session).events_for(row.id)


@dataclass(frozen=True, slots=True)
class DeploymentChanges:
    """Changes to a deployment that is not running; None keeps the current value."""

    symbols: list[str] | None = None
    timeframe: str | None = None
    feed: FeedSpec | None = None
    sizing: SizingSpec | None = None
    limits: dict[str, Any] | None = None


async def update_deployment(
    ctx: ServiceContext, deployment_id: int, changes: DeploymentChanges
) -> Deployment:
    """Change a deployment's symbols, timeframe, feed or risk profile while it is not running.

    Raises:
        ConflictError: The deployment is running; stop it first.
        ValidationError: A changed field is invalid.
    """
    row = await get_deployment(ctx, deployment_id)
    if row.status == "running":
        raise ConflictError(
            f"deployment {deployment_id} is running; stop it before changing it",
            details={"deployment_id": deployment_id, "status": row.status},
        )
    profile = row.risk_profile
    merged = DeploymentRequest(
        symbols=changes.symbols if changes.symbols is not None else list(row.symbols),
        timeframe=changes.timeframe or row.timeframe,
        strategy_id=row.strategy_id,
        broker=row.broker,
        mode=row.mode,
        feed=changes.feed or FeedSpec.of(row.feed),
        sizing=changes.sizing or SizingSpec.of(profile),
        limits=changes.limits if changes.limits is not None else profile.get("limits") or {},
    )
    _check_request(merged, live_available=row.mode == "live")
    row.symbols = strategies.normalize_symbols(merged.symbols)
    row.timeframe, row.risk_profile = merged.timeframe, _profile(merged)
    row.feed = merged.feed.to_json()
    await DeploymentRepository(ctx.session).flush()
    return row
