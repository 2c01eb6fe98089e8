"""`photogate status`: queue depths, poison queues and submissions by status, for operators."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from photogate.entrypoints.cli_common import run_with_services
from photogate.recovery.overview import Overview, age_text, overview


def register(app: typer.Typer) -> None:
    """Add `status` to the main command line."""
    app.command("status")(status_command)


def status_command(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (for scripts and monitoring).")
    ] = False,
) -> None:
    """Show the queues (and their poison queues), the submissions in each state with how
    long the oldest waiting one has been in, and the scan workers heard from in the last 10
    minutes, with what their scanner calls are doing; then any warnings.
    """
    seen = run_with_services(lambda s: overview(s.ports))
    if as_json:
        print(json.dumps(as_document(seen), indent=2))
        return
    console = Console()
    console.print(_queue_table(seen))
    console.print(_status_table(seen))
    console.print(_worker_table(seen))
    for warning in seen.warnings:
        console.print(f"[bold red]{warning}[/]")


def as_document(seen: Overview) -> dict[str, Any]:
    """The overview as JSON-ready data: times in ISO 8601 (UTC), ages in seconds."""
    return {
        "taken_at": seen.taken_at.isoformat(),
        "queues": [
            {"queue": q.queue, "messages": q.messages, "poison": q.poison} for q in seen.queues
        ],
        "submissions": {
            s.status.value: {
                "count": s.count,
                "oldest_at": None if s.oldest_at is None else s.oldest_at.isoformat(),
                "oldest_age_s": _seconds(s.oldest_age(seen.taken_at)),
            }
            for s in seen.submissions
        },
        "workers": [
            {
                **asdict(beat),
                "started_at": beat.started_at.isoformat(),
                "seen_at": beat.seen_at.isoformat(),
                "scanner": beat.scanner_state(),
            }
            for beat in seen.workers
        ],
        "warnings": list(seen.warnings),
    }


def _queue_table(seen: Overview) -> Table:
    table = _table("queues", "queue", "messages", "poison")
    for q in seen.queues:
        poison = f"[bold red]{q.poison}[/]" if q.poison else "0"
        table.add_row(q.queue, str(q.messages), poison)
    return table


def _status_table(seen: Overview) -> Table:
    table = _table("submissions", "status", "count", "oldest in for")
    for s in seen.submissions:
        table.add_row(s.status.value, str(s.count), s.oldest_age_text(seen.taken_at))
    return table


def _worker_table(seen: Overview) -> Table:
    table = _table("scan workers", "worker", "seen", "limit", "in flight", "scanned", "failed")
    table.add_column("scanner")
    for beat in seen.workers:
        ago = age_text(seen.taken_at - beat.seen_at) + " ago"
        figures = (beat.limit, beat.in_flight, beat.succeeded, beat.failed)
        table.add_row(beat.worker, ago, *map(str, figures), beat.scanner_state())
    return table


def _table(title: str, name: str, *figures: str) -> Table:
    """A titled table: a name column, then right-aligned figure columns."""
    table = Table(title=title, title_justify="left")
    table.add_column(name)
    for figure in figures:
        table.add_column(figure, justify="right")
    return table


def _seconds(age: timedelta | None) -> float | None:
    return None if age is None else round(age.total_seconds(), 3)
