"""Trading configuration: each account's risk limits, its kill switch and its protections.

Limits are a :class:`~quantdesk.trading.risk.RiskLimits` kept as JSON per user, mode and
account; an account never configured trades under no limits and 100 000 of starting cash.
Protections are rows of ``risk_locks``: active ones block new entries until they run out or
the user removes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import structlog

from quantdesk.db.models import RiskLock, TradingConfig
from quantdesk.db.repositories.deployments import DeploymentRepository
from quantdesk.db.repositories.risk import RiskLockRepository, TradingConfigRepository
from quantdesk.errors import NotFoundError, ValidationError
from quantdesk.services import events
from quantdesk.services.context import ServiceContext
from quantdesk.services.users import require_actor
from quantdesk.trading.protections import Lock
from quantdesk.trading.risk import RiskLimits

__all__ = [
    "DEFAULT_INITIAL_CASH",
    "AccountConfig",
    "ProtectionView",
    "account_config",
    "accounts",
    "active_locks",
    "kill_switch_on",
    "lift_kill_switch",
    "list_protections",
    "release_protection",
    "set_kill_switch",
    "update_config",
]

logger = structlog.get_logger(__name__)

DEFAULT_INITIAL_CASH = Decimal(100_000)
MODES = ("paper", "live")


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """The limits and starting cash one account trades under."""

    mode: str
    account: str
    limits: RiskLimits
    initial_cash: Decimal


@dataclass(frozen=True, slots=True)
class ProtectionView:
    """An active protection as the API shows it."""

    id: int
    rule: str
    scope: str
    symbol: str | None
    reason: str
    until: datetime
    mode: str
    account: str


def check_mode(mode: str) -> str:
    """Return ``mode`` when it is paper or live, else refuse it naming the choices."""
    if mode not in MODES:
        raise ValidationError(
            f"mode must be 'paper' or 'live', got {mode!r}", details={"field": "mode"}
        )
    return mode


async def account_config(
    ctx: ServiceContext, user_id: int, mode: str = "paper", account: str = "default"
) -> AccountConfig:
    """The account's saved configuration, or the defaults when none was saved."""
    row = await TradingConfigRepository(ctx.session).find(user_id, check_mode(mode), account)
    if row is None:
        return config_from(mode, account, None, None)
    return config_from(mode, account, row.limits, row.initial_cash)


def config_from(
    mode: str, account: str, limits: dict[str, Any] | None, initial_cash: Decimal | None
) -> AccountConfig:
    """The configuration of a stored limits row's values; the defaults for a missing row."""
    if limits is None or initial_cash is None:
        return AccountConfig(mode, account, RiskLimits(), DEFAULT_INITIAL_CASH)
    return AccountConfig(mode, account, RiskLimits.model_validate(limits), initial_cash)


async def update_config(
    ctx: ServiceContext,
    limits: RiskLimits,
    *,
    mode: str = "paper",
    account: str = "default",
    initial_cash: Decimal | None = None,
) -> AccountConfig:
    """Replace the signed-in user's limits for one account (and its starting cash if given)."""
    user = require_actor(ctx)
    repository = TradingConfigRepository(ctx.session)
    row = await repository.find(user.id, check_mode(mode), account)
    if row is None:
        row = await repository.add(TradingConfig(user_id=user.id, mode=mode, account=account))
    row.limits = limits.model_dump(mode="json")
    if initial_cash is not None:
        row.initial_cash = initial_cash
    await repository.flush()
    events.publish(ctx, "events", user.id, "trading_config", {"mode": mode, "account": account})
    logger.info("trading_config_updated", mode=mode, kill_switch=limits.kill_switch)
    return AccountConfig(mode, account, limits, row.initial_cash)


async def accounts(ctx: ServiceContext, user_id: int, mode: str) -> list[str]:
    """Every account of ``mode`` the user trades in: ``default``, each deployment's own
    (``deployment-{id}``) and any other whose limits were saved."""
    saved = await TradingConfigRepository(ctx.session).accounts(user_id, check_mode(mode))
    deployed = await DeploymentRepository(ctx.session).for_user_mode(user_id, mode)
    return sorted({"default", *saved, *(row.account for row in deployed)})


async def set_kill_switch(ctx: ServiceContext, on: bool, *, mode: str, account: str) -> None:
    """Turn the kill switch of one of the signed-in user's accounts on or off, keeping its
    other limits."""
    user = require_actor(ctx)
    config = await account_config(ctx, user.id, mode, account)
    if config.limits.kill_switch != on:
        limits = config.limits.model_copy(update={"kill_switch": on})
        await update_config(ctx, limits, mode=mode, account=account)


async def lift_kill_switch(
    ctx: ServiceContext, *, mode: str, account: str | None = None
) -> list[str]:
    """Allow new orders again in one account, or in every account of the mode; return them.

    Deployments the kill switch stopped stay stopped until they are started again.
    """
    user = require_actor(ctx)
    names = [account] if account is not None else await accounts(ctx, user.id, mode)
    for name in names:
        await set_kill_switch(ctx, False, mode=mode, account=name)
    return names


async def kill_switch_on(ctx: ServiceContext, user_id: int, mode: str, account: str) -> bool:
    """Whether new orders of ``account`` are blocked by its own or the mode's kill switch."""
    names = {account, "default"}
    configs = [await account_config(ctx, user_id, mode, name) for name in names]
    return any(config.limits.kill_switch for config in configs)


async def active_locks(ctx: ServiceContext, user_id: int, now: datetime) -> list[Lock]:
    """The user's protections in force at ``now``, as the risk rules take them."""
    rows = await RiskLockRepository(ctx.session).active(user_id, now)
    return [_lock(row, symbol) for row, symbol in rows]


async def list_protections(ctx: ServiceContext) -> list[ProtectionView]:
    """The signed-in user's active protections, soonest to end first."""
    user = require_actor(ctx)
    rows = await RiskLockRepository(ctx.session).active(user.id, datetime.now(UTC))
    return [_view(row, symbol) for row, symbol in rows]


async def release_protection(ctx: ServiceContext, lock_id: int) -> None:
    """Remove one of the signed-in user's protections now; it stays in the record as released.

    Raises:
        NotFoundError: The protection does not exist, is someone else's or already ended.
    """
    user = require_actor(ctx)
    repository = RiskLockRepository(ctx.session)
    row = await repository.get_for_user(lock_id, user.id)
    now = datetime.now(UTC)
    if row is None or row.released_at is not None or row.until <= now:
        raise NotFoundError("Protection", lock_id)
    row.released_at = now
    await repository.flush()
    events.publish(ctx, "events", user.id, "protection_released", {"id": lock_id})
    logger.info("protection_released", lock_id=lock_id, rule=row.rule)


def _lock(row: RiskLock, symbol: str | None) -> Lock:
    if row.scope == "account":
        return Lock(row.rule, "account", None, row.until, row.reason)
    return Lock(row.rule, "symbol", symbol, row.until, row.reason)


def _view(row: RiskLock, symbol: str | None) -> ProtectionView:
    return ProtectionView(
        id=row.id,
        rule=row.rule,
        scope=row.scope,
        symbol=symbol if row.scope == "symbol" else None,
        reason=row.reason,
        until=row.until,
        mode=row.mode,
        account=row.account,
    )
