"""``quantdesk demo``: the demo user, created once, its password shown once."""

from __future__ import annotations

import os
from pathlib import Path

from rich.panel import Panel

from quantdesk.cli.common import console, fail, in_context, run, settings_or_exit
from quantdesk.errors import QuantDeskError
from quantdesk.services.demo import DemoCredentials, ensure_demo_user

CREDENTIALS_FILE = "demo-credentials.txt"


def demo() -> None:
    """Create the demo user if it does not exist yet, and show where its login is kept."""
    settings = settings_or_exit()
    path = settings.var_dir / CREDENTIALS_FILE
    try:
        credentials = run(
            in_context(settings, lambda ctx: ensure_demo_user(ctx, email=settings.demo_email))
        )
    except QuantDeskError as error:
        fail(error.message)
    if credentials is None:
        console.print(
            f"Demo user {settings.demo_email} exists; its login is in {path}", soft_wrap=True
        )
        return
    _write_private(path, credentials)
    body = (
        f"email:    [bold]{credentials.email}[/bold]\n"
        f"password: [bold]{credentials.password}[/bold]\n\n"
        f"Shown once; also saved in {path} (readable by you only)."
    )
    console.print(Panel(body, title="QuantDesk demo login", expand=False))


def _write_private(path: Path, credentials: DemoCredentials) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(f"email: {credentials.email}\npassword: {credentials.password}\n")
