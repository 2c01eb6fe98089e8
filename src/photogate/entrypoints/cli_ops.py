"""Operator commands: the poison queues (`photogate dlq …`) and `photogate reconcile`."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from photogate.entrypoints.cli_common import (
    OperatorName,
    operator_actor,
    run_with_services,
    settings_or_exit,
)
from photogate.messages import SCAN_QUEUE, Queue, poison_queue
from photogate.recovery import dlq
from photogate.recovery.reconcile import Reconciled, ReconcilePolicy, reconcile

if TYPE_CHECKING:
    from photogate.bootstrap import Services

T = TypeVar("T")
BulkAction = Callable[..., Awaitable[int]]

_ERROR_CHARS = 160
# What a replay that reopened no email tells of it, by the email's state.
_EMAIL_LEFT = {
    "sent": "was sent already: it is not sent again",
    "erased": "was cancelled by an erasure: nothing is sent",
    "pending": "is still owed: the resent message sends it",
}

dlq_app = typer.Typer(
    help="Poison queues: the messages the worker gave up on.", no_args_is_help=True
)

QueueName = Annotated[
    Queue, typer.Option("--queue", "-q", help="The queue whose poison queue to use.")
]
MessageId = Annotated[str, typer.Argument(help="The poison message's id, as `dlq list` shows.")]
MaybeMessageId = Annotated[
    str | None, typer.Argument(help="The poison message's id, as `dlq list` shows.")
]


def register(app: typer.Typer) -> None:
    """Add `dlq …` and `reconcile` to the main command line."""
    app.add_typer(dlq_app, name="dlq")
    app.command("reconcile")(reconcile_command)


@dlq_app.command("list")
def dlq_list(
    queue: QueueName = SCAN_QUEUE,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 1000,
) -> None:
    """List the poison messages, oldest first; they stay where they are."""
    messages = run_with_services(lambda s: dlq.list_poison(s.ports, queue, limit=limit))
    if not messages:
        print(f"{poison_queue(queue)} is empty")
        return
    table = _table(queue, messages)
    _wide_enough(table).print(table)


@dlq_app.command("show")
def dlq_show(message_id: MessageId, queue: QueueName = SCAN_QUEUE) -> None:
    """Show one poison message in full: its original body, last error and attempts."""
    message = run_with_services(lambda s: dlq.show_poison(s.ports, message_id, queue))
    if message is None:
        _not_found(message_id, queue)
    Console().print(_details(message))


@dlq_app.command("replay")
def dlq_replay(
    message_id: MaybeMessageId = None,
    every: Annotated[bool, typer.Option("--all", help="Replay every poison message.")] = False,
    queue: QueueName = SCAN_QUEUE,
    by: OperatorName = "",
) -> None:
    """Send poison messages back to their queue; a failed submission is queued again (audited
    as operator:NAME), a failed email owed again (a sent one is never sent twice).
    """
    if (message_id is None) != every:
        _usage("give a message id or --all, not both")
    actor = operator_actor(by)
    if message_id is None:
        replay_all = partial(dlq.replay_all, actor=actor)
        count = run_with_services(lambda s: _bulk(s, replay_all, queue, "replaying"))
        print(f"replayed {count} message(s) to {queue}")
        return
    replayed = run_with_services(lambda s: dlq.replay(s.ports, message_id, queue, actor=actor))
    if replayed is None:
        _not_found(message_id, queue)
    print(f"replayed {replayed.message.id} to {queue}{_about(replayed)}")


@dlq_app.command("purge")
def dlq_purge(
    message_id: MaybeMessageId = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
    queue: QueueName = SCAN_QUEUE,
) -> None:
    """Delete poison messages for good (every one, or the one named); asks first."""
    poison = poison_queue(queue)
    if message_id is not None:
        if not yes:
            typer.confirm(f"Delete message {message_id} of {poison} for good?", abort=True)
        message = run_with_services(lambda s: dlq.purge_one(s.ports, message_id, queue))
        if message is None:
            _not_found(message_id, queue)
        print(f"deleted {message.id} from {poison}")
        return
    if not yes:
        waiting = run_with_services(lambda s: dlq.count_poison(s.ports, queue))
        if waiting == 0:
            print(f"{poison} is empty")
            return
        typer.confirm(f"Delete about {waiting} message(s) of {poison} for good?", abort=True)
    purged = run_with_services(lambda s: _bulk(s, dlq.purge, queue, "purging"))
    print(f"deleted {purged} message(s) from {poison}")


def reconcile_command(
    limit: Annotated[int, typer.Option(min=1, help="Re-queue at most this many.")] = 100,
) -> None:
    """Re-queue submissions stuck without a queue message (after a crash); prints them."""
    settings = settings_or_exit()
    policy = ReconcilePolicy.from_settings(settings.queue, limit=limit)
    result: Reconciled = run_with_services(
        lambda s: reconcile(ports=s.ports, policy=policy), settings
    )
    if result.behind:
        print(
            f"the scan queue is behind by over {policy.after_s:g} s: a waiting submission"
            " cannot be told from a lost one, so nothing was re-queued"
        )
        return
    for done in result.requeued:
        print(f"re-queued {done.submission_id} (was {done.was}, {done.idle_s:.0f} s idle)")
    print(f"re-queued {len(result.requeued)} submission(s)")


# -- plumbing -------------------------------------------------------------------------------


async def _bulk(services: Services, action: BulkAction, queue: str, verb: str) -> int:
    """Run a bulk poison-queue action with a progress bar (on stderr) counting messages."""
    total = await dlq.count_poison(services.ports, queue)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True)) as bar:
        task = bar.add_task(f"{verb} {poison_queue(queue)}", total=total)
        done: int = await action(services.ports, queue, progress=lambda _: bar.advance(task))
    return done


def _table(queue: str, messages: list[dlq.PoisonMessage]) -> Table:
    table = Table(title=f"{poison_queue(queue)}: {len(messages)} message(s)", title_justify="left")
    # Ids are what operators copy: never cut them; the error wraps instead (`show` has it all).
    table.add_column("id", no_wrap=True, min_width=max(len(m.id) for m in messages))
    table.add_column("poisoned at (UTC)", no_wrap=True, min_width=19)
    table.add_column("attempts", justify="right", min_width=8)
    table.add_column("submission", no_wrap=True, min_width=max(_widths(messages)))
    table.add_column("error", overflow="fold", min_width=20)
    for m in messages:
        attempts = "?" if m.attempts is None else str(m.attempts)
        cells = (m.id, f"{m.poisoned_at:%Y-%m-%d %H:%M:%S}", attempts, m.submission_id or "-")
        error = m.error if len(m.error) <= _ERROR_CHARS else m.error[: _ERROR_CHARS - 1] + "…"
        table.add_row(*(Text(cell) for cell in (*cells, error)))
    return table


def _widths(messages: list[dlq.PoisonMessage]) -> list[int]:
    return [len(m.submission_id or "-") for m in messages] + [len("submission")]


def _wide_enough(table: Table) -> Console:
    """A console at least as wide as the table's fixed columns; a terminal wraps what is over."""
    console = Console()
    fixed = sum(column.min_width or 0 for column in table.columns) + 3 * len(table.columns) + 1
    return Console(width=max(console.width, fixed))


def _details(message: dlq.PoisonMessage) -> Table:
    grid = Table.grid(padding=(0, 2))
    rows = {
        "id": message.id,
        "queue": f"{poison_queue(message.queue)} (replays to {message.queue})",
        "poisoned at": message.poisoned_at.isoformat(),
        "attempts": "not recorded" if message.attempts is None else str(message.attempts),
        "submission": message.submission_id or "-",
        "email": message.email_id or "-",
        "error": message.error,
        "body": message.body,
    }
    for name, value in rows.items():
        grid.add_row(Text(name, style="bold"), Text(value))
    return grid


def _about(replayed: dlq.Replayed) -> str:
    """What the replay did to the submission or email the message names, as the catalog says."""
    message = replayed.message
    if message.submission_id is not None:
        subject, again = f"submission {message.submission_id}", "queued again"
    elif message.email_id is not None:
        subject, again = f"email {message.email_id}", "owed again"
    else:
        return ""
    if replayed.reopened:
        return f" ({subject} is {again})"
    if replayed.state is None:
        return f" (no {subject} exists; the resent message does nothing)"
    if replayed.state == dlq.PURGED:
        return f" ({subject} cannot be scanned again: retention deleted its original; left failed)"
    news = _EMAIL_LEFT.get(replayed.state) if message.email_id is not None else None
    return f" ({subject} {news or f'is {replayed.state}, not failed: left as it is'})"


def _not_found(message_id: str, queue: str) -> NoReturn:
    print(f"photogate: no message {message_id} in {poison_queue(queue)}", file=sys.stderr)
    raise typer.Exit(1)


def _usage(problem: str) -> NoReturn:
    print(f"photogate: {problem}", file=sys.stderr)
    raise typer.Exit(2)
