"""``quantdesk users``: create accounts from the command line, admins included."""

from __future__ import annotations

from typing import Annotated

import typer

from quantdesk.cli.common import console, fail, in_context, run, settings_or_exit
from quantdesk.errors import QuantDeskError
from quantdesk.services import users

app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)


@app.command("create")
def create(
    email: Annotated[str, typer.Argument(help="The new user's email; it is the login name.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Asked for when omitted, so it stays out of the shell history.",
        ),
    ],
    full_name: Annotated[str | None, typer.Option(help="Name shown in the dashboard.")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Grant the admin role.")] = False,
) -> None:
    """Create a user; the first admin of an installation is made this way."""
    settings = settings_or_exit()
    role = "admin" if admin else "user"
    try:
        user = run(
            in_context(
                settings,
                lambda ctx: users.create_user(
                    ctx, email=email, password=password, full_name=full_name, role=role
                ),
            )
        )
    except QuantDeskError as error:
        fail(error.message)
    console.print(f"Created {user.role} [bold]{user.email}[/bold] (id {user.id})")
