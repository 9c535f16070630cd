"""Placeholder until structured logging lands."""

from quantdesk.settings import Settings


def configure_logging(settings: Settings) -> None:
    """Configure structlog for console and rotating file output."""
    del settings
