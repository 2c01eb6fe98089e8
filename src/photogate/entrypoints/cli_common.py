"""What every CLI command shares: reading settings, failing with a message and exit code 2,
and naming the operator in the audit trail.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from photogate.errors import ConfigError
from photogate.settings import Settings, load_settings

if TYPE_CHECKING:
    from photogate.bootstrap import Services

T = TypeVar("T")

# `--by NAME` of the commands that change what the audit trail records.
OperatorName = Annotated[str, typer.Option(help="Who asks, for the audit trail.")]


def operator_actor(by: str) -> str:
    """The audit trail's actor for an operator command: operator:NAME, by default the login."""
    return f"operator:{by or getpass.getuser()}"


def settings_or_exit(**overrides: object) -> Settings:
    """The settings from the environment (and `overrides`, from options); bad ones print what
    is wrong and exit with code 2.
    """
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        print(f"photogate: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None


def run_with_services(
    work: Callable[[Services], Awaitable[T]], settings: Settings | None = None
) -> T:
    """Run `work` on freshly bootstrapped services, closing them afterwards."""
    return asyncio.run(_with_services(settings or settings_or_exit(), work))


async def _with_services(settings: Settings, work: Callable[[Services], Awaitable[T]]) -> T:
    from photogate.bootstrap import bootstrap  # only commands that need services pay for it

    services = await bootstrap(settings)
    try:
        return await work(services)
    finally:
        await services.aclose()
