"""Strategies: a user's saved configurations of a registered strategy type.

A saved strategy names a type from the registry (``quantdesk.strategies``), parameters that
the type's model accepts, default symbols and a timeframe. Parameters are validated and
stored with the type's defaults filled in, so a saved strategy always runs as shown. Names
are unique per owner; users see only their own strategies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError

from quantdesk.bars import timeframe_ns
from quantdesk.db.models import Strategy
from quantdesk.db.repositories.base import Paged
from quantdesk.db.repositories.strategies import StrategyRepository
from quantdesk.errors import ConflictError, NotFoundError, ValidationError
from quantdesk.services.context import ServiceContext
from quantdesk.services.instruments import normalize_symbol
from quantdesk.services.users import require_actor
from quantdesk.strategies import StrategyInfo, available, get

__all__ = [
    "Strategy",
    "StrategyChanges",
    "create_strategy",
    "delete_strategy",
    "get_strategy",
    "list_strategies",
    "normalize_symbols",
    "strategy_types",
    "update_strategy",
    "validate_parameters",
]

logger = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class StrategyChanges:
    """Fields to change on a saved strategy; ``None`` leaves a field as it is."""

    name: str | None = None
    type: str | None = None
    parameters: dict[str, Any] | None = None
    symbols: Sequence[str] | None = None
    timeframe: str | None = None
    description: str | None = None
    active: bool | None = None


def strategy_types() -> list[StrategyInfo]:
    """Every registered strategy type with its description and parameter JSON schema."""
    return available()


def validate_parameters(strategy_type: str, parameters: dict[str, Any] | None) -> dict[str, Any]:
    """Check parameters against the type's model and return them with defaults filled in.

    Raises:
        ValidationError: The type is unknown (``details.field == "type"``) or a parameter
            is refused (``details.parameter`` names it; for ``rules``, the bad expression).
    """
    try:
        cls = get(strategy_type)
    except NotFoundError:
        known = ", ".join(info.name for info in available())
        raise ValidationError(
            f"type: unknown strategy type {strategy_type!r}; choose one of {known}",
            details={"field": "type"},
        ) from None
    return dict(cls.validate(parameters or {}).model_dump(mode="json"))


def normalize_symbols(symbols: Sequence[str]) -> list[str]:
    """Trim and upper-case symbols, dropping repeats but keeping their order."""
    return list(dict.fromkeys(normalize_symbol(symbol) for symbol in symbols))


async def create_strategy(
    ctx: ServiceContext,
    *,
    name: str,
    type: str,
    parameters: dict[str, Any] | None = None,
    symbols: Sequence[str] = (),
    timeframe: str = "1d",
    description: str | None = None,
    active: bool = False,
) -> Strategy:
    """Save a strategy for the signed-in user.

    Raises:
        ValidationError: The type, a parameter, a symbol or the timeframe is invalid.
        ConflictError: The user already has a strategy with this name.
    """
    user = require_actor(ctx)
    strategy = Strategy(
        user_id=user.id,
        name=_name(name),
        type=type,
        parameters=validate_parameters(type, parameters),
        symbols=normalize_symbols(symbols),
        timeframe=_timeframe(timeframe),
        description=description,
        active=active,
    )
    repository = StrategyRepository(ctx.session)
    await _ensure_free(repository, user.id, strategy.name)
    await _flush_unique(strategy.name, lambda: repository.add(strategy))
    logger.info("strategy_created", strategy_id=strategy.id, type=type)
    return strategy


async def get_strategy(ctx: ServiceContext, strategy_id: int) -> Strategy:
    """One of the signed-in user's strategies; another user's is not found."""
    user = require_actor(ctx)
    strategy = await StrategyRepository(ctx.session).get_for_user(strategy_id, user.id)
    if strategy is None:
        raise NotFoundError("Strategy", strategy_id)
    return strategy


async def list_strategies(ctx: ServiceContext, *, limit: int, offset: int) -> Paged[Strategy]:
    """The signed-in user's strategies, by name."""
    user = require_actor(ctx)
    return await StrategyRepository(ctx.session).list_for_user(user.id, limit=limit, offset=offset)


async def update_strategy(
    ctx: ServiceContext, strategy_id: int, changes: StrategyChanges
) -> Strategy:
    """Change a saved strategy; given parameters override the saved ones one by one.

    A new type starts from its own defaults instead; the result is validated as a whole.

    Raises:
        NotFoundError: The strategy does not exist or is someone else's.
        ValidationError: A changed field is invalid.
        ConflictError: The new name is taken by another of the user's strategies.
    """
    strategy = await get_strategy(ctx, strategy_id)
    repository = StrategyRepository(ctx.session)
    if changes.name is not None and _name(changes.name) != strategy.name:
        await _ensure_free(repository, strategy.user_id, _name(changes.name))
        strategy.name = _name(changes.name)
    if changes.type is not None or changes.parameters is not None:
        kept = strategy.parameters if changes.type in (None, strategy.type) else {}
        strategy.type = changes.type or strategy.type
        merged = {**kept, **(changes.parameters or {})}
        strategy.parameters = validate_parameters(strategy.type, merged)
    _apply_plain(strategy, changes)
    await _flush_unique(strategy.name, repository.flush)
    return strategy


async def delete_strategy(ctx: ServiceContext, strategy_id: int) -> None:
    """Delete a saved strategy; its past backtests keep their own copy of it."""
    strategy = await get_strategy(ctx, strategy_id)
    await StrategyRepository(ctx.session).delete(strategy)
    logger.info("strategy_deleted", strategy_id=strategy_id)


def _apply_plain(strategy: Strategy, changes: StrategyChanges) -> None:
    if changes.symbols is not None:
        strategy.symbols = normalize_symbols(changes.symbols)
    if changes.timeframe is not None:
        strategy.timeframe = _timeframe(changes.timeframe)
    if changes.description is not None:
        strategy.description = changes.description
    if changes.active is not None:
        strategy.active = changes.active


def _name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise ValidationError("name: give the strategy a name", details={"field": "name"})
    return cleaned


def _timeframe(timeframe: str) -> str:
    try:
        timeframe_ns(timeframe)
    except ValidationError as error:
        raise ValidationError(error.message, details={"field": "timeframe"}) from None
    return timeframe


async def _ensure_free(repository: StrategyRepository, user_id: int, name: str) -> None:
    if await repository.get_by_name(user_id, name) is not None:
        raise _duplicate(name)


async def _flush_unique(name: str, write: Callable[[], Awaitable[object]]) -> None:
    # Two requests may pass the name check at once; the unique constraint settles it.
    try:
        await write()
    except IntegrityError:
        raise _duplicate(name) from None


def _duplicate(name: str) -> ConflictError:
    return ConflictError(
        f"name: you already have a strategy called {name!r}; choose another name",
        details={"field": "name"},
    )
