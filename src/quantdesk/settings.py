"""Settings: read once from the environment and ``.env`` by the composition roots.

Every setting is ``QUANTDESK_<NAME>``; the database and Redis URLs are also read from the
plain ``DATABASE_URL`` and ``REDIS_URL`` that hosting platforms set. ``.env.example`` lists
them all. Only composition roots (runtime, api app, worker, cli) may import this module.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from quantdesk.errors import ConfigurationError

MIN_SECRET_LENGTH = 32
SECRET_KEY_FILE = "secret_key"  # noqa: S105  (a file name, not a secret)


class Settings(BaseSettings):
    """All of QuantDesk's configuration, validated at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="QUANTDESK_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
        env_ignore_empty=True,
    )

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")

    # URLs may carry passwords: kept out of repr so they never reach a log or a traceback.
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("QUANTDESK_DATABASE_URL", "DATABASE_URL"),
        repr=False,
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("QUANTDESK_REDIS_URL", "REDIS_URL"),
        repr=False,
    )
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=20, ge=0, le=500)
    db_pool_timeout: float = Field(default=30.0, gt=0)
    db_pool_recycle: int = Field(default=1800, ge=-1)
    db_echo: bool = False

    secret_key: SecretStr | None = None
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=14, ge=1, le=365)
    login_attempts_per_address: int = Field(default=20, ge=1)
    login_attempts_per_account: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=60, ge=1)
    allow_registration: bool = True

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    cors_origins: list[str] = Field(default_factory=list)
    cors_allow_credentials: bool = True
    trusted_proxies: list[str] = Field(default_factory=list)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    log_retention_days: int = Field(default=30, ge=1)

    demo_email: str = "demo@quantdesk.local"

    max_upload_mb: int = Field(default=100, ge=1, le=10_000)
    twelvedata_api_key: SecretStr | None = None
    provider_timeout_seconds: float = Field(default=10.0, gt=0)
    provider_max_retries: int = Field(default=3, ge=0, le=10)
    provider_breaker_failures: int = Field(default=5, ge=1)
    provider_breaker_reset_seconds: float = Field(default=60.0, gt=0)

    dask_scheduler: str | None = None
    job_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=256)
    job_heartbeat_seconds: float = Field(default=10.0, gt=0)
    job_stale_after_seconds: float = Field(default=60.0, gt=0)
    run_jobs_in_api: bool = True
    job_handler_modules: list[str] = Field(default_factory=lambda: ["quantdesk.jobs.handlers"])

    strategies_dir: Path | None = None

    ws_flush_ms: int = Field(default=50, ge=1, le=10_000)
    ws_queue_size: int = Field(default=1000, ge=1, le=1_000_000)
    ws_idle_timeout_seconds: float = Field(default=60.0, gt=0)
    ws_ping_seconds: float = Field(default=20.0, gt=0)
    ws_max_messages_per_second: int = Field(default=20, ge=1)

    quote_ttl_seconds: float = Field(default=7 * 24 * 3600.0, gt=0)

    live_broker: Literal["ib", "none"] = "ib"
    ib_host: str = "127.0.0.1"
    ib_port: int = Field(default=7497, ge=1, le=65535)
    ib_client_id: int = Field(default=1, ge=0)
    ib_account: str = ""
    paper_commission: float = Field(default=0.0, ge=0, lt=1)
    paper_slippage_bps: float = Field(default=0.0, ge=0, lt=10_000)
    paper_participation: float | None = Field(default=None, gt=0, le=1)
    reconcile_interval_seconds: float = Field(default=60.0, ge=0)
    paper_bar_timeframes: list[str] = Field(default_factory=lambda: ["1m", "5m", "1h", "1d"])

    @model_validator(mode="after")
    def _production_is_safe(self) -> Settings:
        if self.env != "production":
            return self
        secret = self.secret_key.get_secret_value() if self.secret_key else ""
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"QUANTDESK_SECRET_KEY must be set to at least {MIN_SECRET_LENGTH} characters "
                "in production"
            )
        if self.resolved_database_url.startswith("sqlite"):
            raise ValueError("DATABASE_URL must point at PostgreSQL in production, not SQLite")
        if "*" in self.cors_origins and self.cors_allow_credentials:
            raise ValueError(
                "QUANTDESK_CORS_ORIGINS may not contain '*' while "
                "QUANTDESK_CORS_ALLOW_CREDENTIALS is true"
            )
        return self

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to an SQLite file under ``var_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / 'quantdesk.db').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def user_strategies_dir(self) -> Path:
        """Where user strategy files are discovered: the setting, or ``var/strategies``."""
        return self.strategies_dir or self.var_dir / "strategies"

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "logs"

    def secret(self) -> str:
        """The signing and encryption key: configured, or generated once and kept in var/."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _stored_secret(self.var_dir / SECRET_KEY_FILE)


def _stored_secret(path: Path) -> str:
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value)
    return value


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning any invalid one into a one-line ``ConfigurationError``."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if first["loc"]:
            field = ".".join(str(part) for part in first["loc"]).upper()
            message = f"QUANTDESK_{field}: {message}"
        raise ConfigurationError(f"invalid setting {message}") from None
