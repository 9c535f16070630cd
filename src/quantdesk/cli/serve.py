"""``quantdesk serve``: run the API under Uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from quantdesk.cli.common import console, settings_or_exit

APP_FACTORY = "quantdesk.api.app:create_app"


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind [default: QUANTDESK_HOST].")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port [default: QUANTDESK_PORT].")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes [default: QUANTDESK_WORKERS].")
    ] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the API and the dashboard.

    The settings are validated here, before Uvicorn starts, so a bad one stops the command
    with its name instead of failing in every worker. Each worker builds its own app from
    the same environment. WebSocket frames go out uncompressed: per-message deflate cost
    more CPU per frame than the rest of the send path together, for small batch frames
    that shrink little (docs/realtime.md).
    """
    settings = settings_or_exit()
    bind_host = host or settings.host
    bind_port = port or settings.port
    console.print(
        f"QuantDesk on [bold]http://{bind_host}:{bind_port}[/bold] "
        f"(API docs at /docs, {settings.env} mode)"
    )
    proxies = ",".join(settings.trusted_proxies)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=1 if reload else workers or settings.workers,
        reload=reload,
        log_level=settings.log_level.lower(),
        access_log=False,  # the app logs each request itself, with its request id
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
        server_header=False,
        ws_per_message_deflate=False,
    )
