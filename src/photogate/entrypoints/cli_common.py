"""What every CLI command shares: reading settings, failing with one line and exit code 2,
and naming the operator in the audit trail.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from photogate.errors import ConfigError, InputError, PhotogateError
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
    with errors_as_exit():
        return load_settings(**overrides)


@contextmanager
def errors_as_exit() -> Iterator[None]:
    """photogate's own errors (a setting, a database not migrated or not reachable) and the
    operating system's (a data dir that cannot be made) as one line on stderr and exit code 2,
    not a traceback: they say what to fix. InputError is the caller's to handle.
    """
    try:
        yield
    except InputError:
        raise
    except (PhotogateError, OSError) as exc:
        print(f"photogate: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None


def run_with_services(
    work: Callable[[Services], Awaitable[T]], settings: Settings | None = None
) -> T:
    """Run `work` on freshly bootstrapped services of existing data, closing them afterwards;
    failures to start or reach storage end the command with one line and exit code 2.
    """
    settings = settings or settings_or_exit()
    with errors_as_exit():
        require_data_dir(settings)
        return asyncio.run(_with_services(settings, work))


def require_data_dir(settings: Settings) -> None:
    """Refuse a data dir that does not exist when photogate's state lives there: a command run
    from the wrong directory must not leave an empty ./var behind.
    """
    in_data_dir = settings.backend == "embedded" or not settings.database_url.get_secret_value()
    if in_data_dir and not settings.data_dir.is_dir():
        raise ConfigError(
            f"no photogate data at {settings.data_dir.resolve()}; set PHOTOGATE_DATA_DIR"
            " or run `photogate db upgrade`"
        )


async def _with_services(settings: Settings, work: Callable[[Services], Awaitable[T]]) -> T:
    from photogate.bootstrap import bootstrap  # only commands that need services pay for it

    services = await bootstrap(settings)
    try:
        return await work(services)
    finally:
        await services.aclose()
