"""The values services need from settings, passed in by the composition root."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """Security and policy knobs; services never read settings themselves."""

    secret_key: str
    access_token_minutes: int = 15
    refresh_token_days: int = 14
    login_attempts_per_address: int = 20
    login_attempts_per_account: int = 5
    login_window_seconds: int = 60
    allow_registration: bool = True
    max_upload_bytes: int = 100 * 1024 * 1024
    quote_ttl_seconds: float = 7 * 24 * 3600.0

    def __repr__(self) -> str:
        return "ServiceConfig(secret_key='**********', ...)"
