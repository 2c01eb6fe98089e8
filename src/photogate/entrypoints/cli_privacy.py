"""Privacy commands: `photogate erase --email` and `photogate purge` (retention)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from photogate.entrypoints.cli_common import (
    OperatorName,
    operator_actor,
    run_with_services,
    settings_or_exit,
)
from photogate.errors import InputError
from photogate.privacy.erase import Erasure, erase_customer
from photogate.retention import PurgeReport, RetentionPolicy, purge

if TYPE_CHECKING:
    from photogate.bootstrap import Services

T = TypeVar("T")


def register(app: typer.Typer) -> None:
    """Add `erase` and `purge` to the main command line."""
    app.command("erase")(erase_command)
    app.command("purge")(purge_command)


def erase_command(
    email: Annotated[str, typer.Option(help="The customer's email address.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
    by: OperatorName = "",
) -> None:
    """Erase a customer: photos unpublished and deleted, address and name erased; asks first."""
    if not yes:
        typer.confirm(f"Erase every photo and detail sent with {email}? This is final", abort=True)
    actor = operator_actor(by)
    try:
        done = run_with_services(lambda s: erase_customer(email, actor=actor, ports=s.ports))
    except InputError as exc:
        print(f"photogate: {exc.detail}", file=sys.stderr)
        raise typer.Exit(2) from None
    print(_summary(done))


def purge_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be deleted; delete nothing.")
    ] = False,
) -> None:
    """Delete originals retention allows to go (PHOTOGATE_PRIVACY__RETENTION_DAYS and
    __KEEP_PUBLISHED_ORIGINALS); never those of photos in review or still being scanned.
    """
    settings = settings_or_exit()
    policy = RetentionPolicy.from_settings(settings, dry_run=dry_run)
    report = run_with_services(lambda s: _with_progress(s, policy), settings)
    verb = "would delete" if report.dry_run else "deleted"
    for item in report.purged:
        print(f"{verb} {item.blob} ({item.submission_id}, {item.status})")
    skipped = f"; {report.skipped} moved on meanwhile and kept theirs" if report.skipped else ""
    print(f"{verb} {report.count} original(s){skipped}")
    for name in report.unrecorded:
        print(f"{verb} {name} (no submission was recorded for it)")


async def _with_progress(services: Services, policy: RetentionPolicy) -> PurgeReport:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True)) as bar:
        task = bar.add_task("purging originals", total=None)
        return await purge(
            services,
            policy,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )


def _summary(done: Erasure) -> str:
    copies = f"deleted {done.mail_copies} kept copy(ies) of emails sent to it"
    if done.erased == 0 and done.already_erased == 0:
        if done.mail_copies:
            return f"no submissions were sent with that address; {copies}"
        return "no submissions were sent with that address; nothing was erased"
    parts = [f"erased {done.erased} submission(s)", f"unpublished {done.unpublished} photo(s)"]
    if done.already_erased:
        parts.append(f"{done.already_erased} erased before")
    if done.mail_copies:
        parts.append(copies)
    return ", ".join(parts)
