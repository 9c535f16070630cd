"""Structured logs: one JSON line per event, on the console and in a daily-rotated file.

structlog and the standard library (uvicorn, SQLAlchemy, asyncio) share one pipeline, so every
line carries the same fields, the bound request id among them, and passes the same redaction.
Only composition roots call ``configure_logging``; everything else just logs::

    logger = structlog.get_logger(__name__)
    logger.info("backtest_started", backtest_id=42)
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from logging.handlers import TimedRotatingFileHandler
from typing import Any

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from quantdesk.settings import Settings

LOG_FILE_NAME = "quantdesk.log"
REDACTED = "[redacted]"
SECRET_KEY_PARTS = (
    "password",
    "passwd",
    "token",
    "secret",
    "authorization",
    "cookie",
    "api_key",
    "apikey",
    "credentials",
    "private_key",
)
# scheme://user:password@host → scheme://user:[redacted]@host
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]*:)[^@\s]+@")
_HANDLER_MARK = "_quantdesk_handler"


def configure_logging(settings: Settings) -> None:
    """Send structlog and stdlib logging to the console and ``var/logs/quantdesk.log``.

    Safe to call again (every ``create_app`` does): the handlers installed by an earlier call
    are closed and replaced rather than stacked, so a line is never written twice.

    Args:
        settings: Supplies the level, the console format ("json" or "console"), the log
            directory and how many daily files to keep.
    """
    shared = _shared_processors()
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    _remove_own_handlers(root)
    for handler in (_console_handler(settings, shared), _file_handler(settings, shared)):
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    root.setLevel(settings.log_level)
    _route_library_loggers()


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Hide values whose key looks secret, and passwords inside URLs, at any depth."""
    return {key: _redact(key, value) for key, value in event_dict.items()}


def _redact(key: object, value: Any) -> Any:
    if isinstance(key, str) and key != "event" and _looks_secret(key):
        return REDACTED
    if isinstance(value, str):
        return _URL_PASSWORD.sub(rf"\g<head>{REDACTED}@", value) if "://" in value else value
    if isinstance(value, Mapping):
        return {inner: _redact(inner, item) for inner, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_redact(None, item) for item in value]
    return value


def _looks_secret(key: str) -> bool:
    lowered = key.lower().replace("-", "_")
    return any(part in lowered for part in SECRET_KEY_PARTS)


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.UnicodeDecoder(),
    ]


def _json_dumps(value: Any, **_options: Any) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def _formatter(shared: list[Processor], *, console: bool) -> logging.Formatter:
    renderer: Processor = (
        structlog.dev.ConsoleRenderer(colors=False)
        if console
        else structlog.processors.JSONRenderer(_json_dumps)
    )
    # Tracebacks become text before redaction, so a password in an exception is hidden too.
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
    )


def _console_handler(settings: Settings, shared: list[Processor]) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_formatter(shared, console=settings.log_format == "console"))
    return handler


def _file_handler(settings: Settings, shared: list[Processor]) -> logging.Handler:
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    handler = TimedRotatingFileHandler(
        settings.log_dir / LOG_FILE_NAME,
        when="midnight",
        backupCount=settings.log_retention_days,
        utc=True,
        encoding="utf-8",
    )
    handler.setFormatter(_formatter(shared, console=False))
    return handler


def _remove_own_handlers(root: logging.Logger) -> None:
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            handler.close()


def _route_library_loggers() -> None:
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "sqlalchemy", "alembic"):
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True
    # The request middleware writes one richer line per request; uvicorn's would repeat it.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
