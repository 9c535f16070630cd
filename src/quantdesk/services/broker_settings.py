"""Broker settings: which broker a user trades live through, and its credentials.

Credentials are encrypted with the app's :class:`~quantdesk.services.crypto.SecretBox`
before they are stored and are never returned: reading the settings shows the broker and
the names of the fields that are set, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
import structlog

from quantdesk.db.models import UserSettings
from quantdesk.db.repositories.user_settings import UserSettingsRepository
from quantdesk.errors import ValidationError
from quantdesk.services.context import ServiceContext
from quantdesk.services.crypto import SecretBox
from quantdesk.services.users import require_actor

__all__ = [
    "BROKERS",
    "BrokerSettings",
    "LiveBrokerNotConfiguredError",
    "broker_credentials",
    "live_credentials",
    "read_settings",
    "save_settings",
]

logger = structlog.get_logger(__name__)

BROKERS = ("paper", "ib")
LIVE_FIELDS = {"ib": "host, port, client_id, account"}


class LiveBrokerNotConfiguredError(ValidationError):
    """Live trading was asked for, but the user has not saved a connection to the broker."""

    code = "live_broker_not_configured"


@dataclass(frozen=True, slots=True)
class BrokerSettings:
    """What may be shown of a user's broker settings: never a credential's value."""

    broker: str | None
    fields_set: list[str]
    updated_at: datetime | None


async def save_settings(
    ctx: ServiceContext, broker: str, credentials: dict[str, str]
) -> BrokerSettings:
    """Store the signed-in user's broker and credentials, encrypted; replace earlier ones.

    Raises:
        ValidationError: The broker is not one QuantDesk speaks to.
    """
    user = require_actor(ctx)
    if broker not in BROKERS:
        raise ValidationError(
            f"broker must be one of {', '.join(BROKERS)}, got {broker!r}",
            details={"field": "broker"},
        )
    repository = UserSettingsRepository(ctx.session)
    row = await repository.for_user(user.id)
    if row is None:
        row = await repository.add(UserSettings(user_id=user.id))
    secret = orjson.dumps({"broker": broker, "credentials": credentials})
    row.broker_credentials_encrypted = SecretBox(ctx.config.secret_key).encrypt(secret)
    await repository.flush()
    logger.info("broker_settings_saved", broker=broker, fields=sorted(credentials))
    return BrokerSettings(broker, sorted(credentials), row.updated_at)


async def read_settings(ctx: ServiceContext) -> BrokerSettings:
    """The signed-in user's broker and the names of the credential fields set."""
    user = require_actor(ctx)
    row = await UserSettingsRepository(ctx.session).for_user(user.id)
    stored = _decrypt(ctx, row)
    if stored is None or row is None:
        return BrokerSettings(None, [], None)
    return BrokerSettings(stored.broker, sorted(stored.credentials), row.updated_at)


async def broker_credentials(
    ctx: ServiceContext, user_id: int
) -> tuple[str, dict[str, str]] | None:
    """The user's broker and decrypted credentials, for the adapter that connects; or None."""
    stored = _decrypt(ctx, await UserSettingsRepository(ctx.session).for_user(user_id))
    if stored is None:
        return None
    return stored.broker, dict(stored.credentials)


async def live_credentials(ctx: ServiceContext, user_id: int, broker: str) -> dict[str, str]:
    """The user's saved credentials for the live ``broker``; fields left out use the server's.

    Raises:
        LiveBrokerNotConfiguredError: The user saved no settings for ``broker``; the message
            names the request that does.
    """
    stored = await broker_credentials(ctx, user_id)
    if stored is None or stored[0] != broker:
        fields = LIVE_FIELDS.get(broker, "its connection fields")
        raise LiveBrokerNotConfiguredError(
            f"live trading needs your broker connection ({broker.upper()}): save it with "
            f"PUT /api/v1/settings/broker, broker {broker!r} and credentials {fields} "
            "(any left out use the server's defaults); or trade in mode 'paper'",
            details={"field": "mode", "configure": "/api/v1/settings/broker", "broker": broker},
        )
    return stored[1]


@dataclass(frozen=True, slots=True)
class _Stored:
    broker: str
    credentials: dict[str, str]


def _decrypt(ctx: ServiceContext, row: UserSettings | None) -> _Stored | None:
    if row is None or row.broker_credentials_encrypted is None:
        return None
    plain = SecretBox(ctx.config.secret_key).decrypt(row.broker_credentials_encrypted)
    data = orjson.loads(plain)
    return _Stored(str(data["broker"]), {str(k): str(v) for k, v in data["credentials"].items()})
