"""Trading configuration, kill switch, protections and broker settings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from quantdesk.api.schemas.orders import Mode
from quantdesk.trading.risk import RiskLimits


class TradingConfigRead(BaseModel):
    """An account's risk limits and starting cash."""

    model_config = ConfigDict(from_attributes=True)

    mode: str
    account: str
    limits: RiskLimits
    initial_cash: Decimal


class TradingConfigUpdate(BaseModel):
    """New risk limits for an account; a limit left out is not checked."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = "paper"
    account: str = Field(default="default", min_length=1, max_length=64)
    limits: RiskLimits
    initial_cash: Decimal | None = Field(default=None, gt=0, max_digits=28, decimal_places=10)


class KillSwitch(BaseModel):
    """Turn the kill switch on (cancel and block) or off (allow new orders again)."""

    model_config = ConfigDict(extra="forbid")

    on: bool = True
    mode: Mode = "paper"
    account: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="One account only; left out, every account of the mode (the default "
        "one and each deployment's) and the mode's running deployments.",
    )


class KillSwitchResult(BaseModel):
    """The switch's state, the accounts it changed, what it cancelled and stopped."""

    on: bool
    cancelled: int
    accounts: list[str] = Field(default_factory=list)
    stopped_deployments: list[int] = Field(default_factory=list)


class ProtectionRead(BaseModel):
    """A protection that blocks new entries until ``until``."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    rule: str
    scope: str
    symbol: str | None
    reason: str
    until: datetime
    mode: str
    account: str


class BrokerSettingsUpdate(BaseModel):
    """The broker to trade live through and its credentials (stored encrypted)."""

    model_config = ConfigDict(extra="forbid")

    broker: str = Field(description="'paper' or 'ib'.")
    credentials: dict[str, str] = Field(default_factory=dict, max_length=20)


class BrokerSettingsRead(BaseModel):
    """The broker and the names of the credential fields set; never their values."""

    model_config = ConfigDict(from_attributes=True)

    broker: str | None
    fields_set: list[str]
    updated_at: datetime | None
