"""Moderation commands: `photogate takedown` and `photogate console hash-password`."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

from photogate.entrypoints.cli_common import OperatorName, operator_actor, settings_or_exit
from photogate.errors import InputError
from photogate.moderation.passwords import hash_password
from photogate.settings import Settings

console_app = typer.Typer(help="The moderation console at /console.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `takedown` and `console …` to the main command line."""
    app.command("takedown")(takedown_command)
    app.add_typer(console_app, name="console")


def takedown_command(
    submission_id: Annotated[str, typer.Argument(help="The submission whose photo to remove.")],
    reason: Annotated[str, typer.Option(help="Why: a complaint, a legal request… (audited).")],
    by: OperatorName = "",
) -> None:
    """Unpublish a photo: its public files are deleted and the gallery no longer shows it."""
    actor = operator_actor(by)
    try:
        done = asyncio.run(_take_down(settings_or_exit(), submission_id, actor, reason))
    except InputError as exc:
        print(f"photogate: {exc.detail}", file=sys.stderr)
        raise typer.Exit(1) from None
    if not done:
        print(f"{submission_id} is not published; nothing was taken down", file=sys.stderr)
        raise typer.Exit(1)
    print(f"took down {submission_id} ({actor}: {reason})")


@console_app.command("hash-password")
def hash_password_command() -> None:
    """Ask for a password and print its hash, for PHOTOGATE_CONSOLE__USERS."""
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 12:
        print("photogate: use at least 12 characters", file=sys.stderr)
        raise typer.Exit(2)
    print(hash_password(password))


async def _take_down(settings: Settings, submission_id: str, actor: str, reason: str) -> bool:
    from photogate.bootstrap import bootstrap
    from photogate.moderation.takedown import take_down

    services = await bootstrap(settings)
    try:
        return await take_down(submission_id, actor=actor, reason=reason, ports=services.ports)
    finally:
        await services.aclose()
