"""What every command shares: consoles, settings that fail in one red line, an event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console

from quantdesk.errors import ConfigurationError
from quantdesk.logs import configure_logging
from quantdesk.runtime import build_runtime
from quantdesk.services.context import ServiceContext
from quantdesk.settings import Settings, load_settings

T = TypeVar("T")

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

EXIT_FAILURE = 1
EXIT_CONFIGURATION = 2


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    """Print one red line on stderr and stop with ``code``; users need the cause, not a trace."""
    errors.print(f"[red]error:[/red] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def settings_or_exit(**overrides: object) -> Settings:
    """Load the settings and set up logging, or stop with exit code 2 naming the setting."""
    try:
        settings = load_settings(**overrides)
    except ConfigurationError as error:
        fail(error.message, EXIT_CONFIGURATION)
    # Readable lines in a terminal; the log file keeps its JSON either way.
    configure_logging(settings.model_copy(update={"log_format": "console"}))
    return settings


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's async body to completion."""
    return asyncio.run(coroutine)


async def in_context(settings: Settings, work: Callable[[ServiceContext], Awaitable[T]]) -> T:
    """Run ``work`` in one committed unit of work, then release the runtime's connections."""
    runtime = build_runtime(settings)
    try:
        async with runtime.context() as ctx:
            return await work(ctx)
    finally:
        await runtime.close()
