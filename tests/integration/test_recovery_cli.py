"""The operator commands as a shell runs them, on a data dir with real SQLite files."""

from __future__ import annotations

import getpass
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from photogate.adapters.sql.catalog import SqlCatalog, open_sql_catalog
from photogate.adapters.sql.migrate import upgrade
from photogate.adapters.sqlite_queue import SqliteMessageQueue
from photogate.domain.catalog import OutboxMessage, Product
from photogate.domain.submission import SCANNABLE, Status, Submission, new_id
from photogate.messages import SCAN_QUEUE, poison_queue, scan_request
from photogate.settings import Settings
from tests.support.heartbeats import a_heartbeat

pytestmark = pytest.mark.integration

POISON = poison_queue(SCAN_QUEUE)
SKU = "MUG-1"
CONSOLE_SCRIPT = Path(sys.executable).with_name("photogate")


@dataclass
class DataDir:
    """A migrated data dir, its catalog and queue opened in this process too."""

    root: Path
    settings: Settings
    catalog: SqlCatalog
    queue: SqliteMessageQueue

    def run(self, *args: str, answer: str | None = None) -> subprocess.CompletedProcess[str]:
        """`python -m photogate ARGS` on this data dir (its console script for `reconcile`)."""
        command = (
            [str(CONSOLE_SCRIPT)] if args[0] == "reconcile" else [sys.executable, "-m", "photogate"]
        )
        # Our settings only, and a wide terminal so that table cells are never cut short.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOGATE_")}
        env |= {"PHOTOGATE_DATA_DIR": str(self.settings.data_dir), "COLUMNS": "200"}
        env["PHOTOGATE_QUEUE__RECONCILE_AFTER_S"] = "1800"
        return subprocess.run(
            [*command, *args],
            cwd=self.root,
            env=env,
            input=answer,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    async def submission(self, created_at: datetime, to: Status) -> Submission:
        """A submission whose outbox message went out and which then moved to `to`."""
        submission = Submission(
            id=new_id(),
            sku=SKU,
            email="ana@example.com",
            display_name="Ana",
            caption="",
            original_blob="x/original.jpeg",
            content_type="image/jpeg",
            size_bytes=1,
            width=1,
            height=1,
            created_at=created_at,
            consent_at=created_at,
        )
        outbox = OutboxMessage(new_id(), SCAN_QUEUE, scan_request(submission.id), submission.id)
        await self.catalog.add_submission(submission, outbox)
        await self.catalog.mark_dispatched(outbox.id)
        await self.catalog.transition(submission.id, allowed_from=SCANNABLE, to=to, actor="w")
        return submission

    async def poison(self, body: str, error: str = "scanner: 503") -> None:
        """A poison message as the worker writes one."""
        await self.queue.send(POISON, json.dumps({"body": body, "error": error, "attempts": 5}))

    async def status(self, submission_id: str) -> Status | None:
        submission = await self.catalog.get_submission(submission_id)
        return None if submission is None else submission.status


class TwoHoursAgo:
    """A clock that stands two hours back, so that what it stamps looks stuck."""

    def __call__(self) -> datetime:
        return datetime.now(UTC) - timedelta(hours=2)


@pytest.fixture
async def data_dir(tmp_path: Path) -> AsyncIterator[DataDir]:
    settings = Settings(data_dir=tmp_path / "var")
    settings.data_dir.mkdir()
    upgrade(settings.catalog_url())
    catalog = await open_sql_catalog(settings.catalog_url(), clock=TwoHoursAgo())
    await catalog.upsert_products([Product(SKU, "Mug", "A mug.", 1299)])
    queue = SqliteMessageQueue(settings.queue_path)
    yield DataDir(tmp_path, settings, catalog, queue)
    queue.close()
    await catalog.aclose()


@pytest.mark.slow  # nine runs of the command line, most of a second each
async def test_dlq_list_show_replay_and_purge_from_the_shell(data_dir: DataDir) -> None:
    """The dlq commands list, show, replay (one, all) and purge, with exit codes for mistakes."""
    failed = await data_dir.submission(datetime.now(UTC), Status.FAILED)
    await data_dir.poison(scan_request(failed.id), "scanner: 503 [five times]")
    listed = data_dir.run("dlq", "list")
    assert listed.returncode == 0, listed.stderr
    assert failed.id in listed.stdout and "scanner: 503 [five times]" in listed.stdout
    [message] = await data_dir.queue.receive(POISON, visibility_timeout=0)
    assert message.id in listed.stdout

    shown = data_dir.run("dlq", "show", message.id)
    assert shown.returncode == 0, shown.stderr
    assert scan_request(failed.id) in shown.stdout
    missing = data_dir.run("dlq", "show", "no-such-id")
    assert missing.returncode == 1
    assert "no message no-such-id in scans-poison" in missing.stderr
    assert data_dir.run("dlq", "replay").returncode == 2

    replayed = data_dir.run("dlq", "replay", message.id)
    assert replayed.returncode == 0, replayed.stderr
    assert f"submission {failed.id} is queued again" in replayed.stdout
    assert await data_dir.status(failed.id) is Status.QUEUED
    [resent] = await data_dir.queue.receive(SCAN_QUEUE)
    assert resent.body == scan_request(failed.id)
    assert data_dir.run("dlq", "list").stdout.strip() == "scans-poison is empty"

    for n in range(3):
        await data_dir.poison(scan_request(f"gone{n}"))
    bulk = data_dir.run("dlq", "replay", "--all")
    assert bulk.returncode == 0, bulk.stderr
    assert "replayed 3 message(s) to scans" in bulk.stdout
    assert "3/3" in bulk.stderr, "the progress bar counts the messages"

    for n in range(2):
        await data_dir.poison(scan_request(f"junk{n}"))
    declined = data_dir.run("dlq", "purge", answer="n\n")
    assert declined.returncode == 1
    assert await data_dir.queue.count(POISON) == 2
    purged = data_dir.run("dlq", "purge", "--yes")
    assert purged.returncode == 0, purged.stderr
    assert "deleted 2 message(s) from scans-poison" in purged.stdout
    assert await data_dir.queue.count(POISON) == 0


async def test_dlq_replay_signs_the_audit_as_the_operator_named_or_logged_in(
    data_dir: DataDir,
) -> None:
    """`dlq replay ID --by sam` audits the requeue as operator:sam; `--all` without --by as
    operator:LOGIN, as takedown and erase do.
    """
    named = await data_dir.submission(datetime.now(UTC), Status.FAILED)
    await data_dir.poison(scan_request(named.id))
    [message] = await data_dir.queue.receive(POISON, visibility_timeout=0)
    replayed = data_dir.run("dlq", "replay", message.id, "--by", "sam")
    assert replayed.returncode == 0, replayed.stderr
    unnamed = await data_dir.submission(datetime.now(UTC), Status.FAILED)
    await data_dir.poison(scan_request(unnamed.id))
    bulk = data_dir.run("dlq", "replay", "--all")
    assert bulk.returncode == 0, bulk.stderr
    last = [(await data_dir.catalog.audit_trail(s.id))[-1] for s in (named, unnamed)]
    assert [(entry.to_status, entry.actor) for entry in last] == [
        (Status.QUEUED, "operator:sam"),
        (Status.QUEUED, f"operator:{getpass.getuser()}"),
    ]


async def test_dlq_replay_says_a_submission_without_its_original_stays_failed(
    data_dir: DataDir,
) -> None:
    """A failed submission whose original retention deleted is not queued again, and the
    operator is told why.
    """
    failed = await data_dir.submission(datetime.now(UTC), Status.FAILED)
    assert await data_dir.catalog.mark_original_purged(
        failed.id, allowed_from={Status.FAILED}, at=datetime.now(UTC)
    )
    await data_dir.poison(scan_request(failed.id))
    [message] = await data_dir.queue.receive(POISON, visibility_timeout=0)
    replayed = data_dir.run("dlq", "replay", message.id)
    assert replayed.returncode == 0, replayed.stderr
    assert "cannot be scanned again: retention deleted its original; left failed" in (
        replayed.stdout
    )
    assert await data_dir.status(failed.id) is Status.FAILED


async def test_reconcile_requeues_a_stuck_submission_once(data_dir: DataDir) -> None:
    """`photogate reconcile` re-queues what is stuck, prints it, and leaves it alone next time."""
    stuck = await data_dir.submission(datetime.now(UTC) - timedelta(hours=2), Status.QUEUED)
    settled = await data_dir.submission(datetime.now(UTC) - timedelta(hours=2), Status.REJECTED)
    first = data_dir.run("reconcile")
    assert first.returncode == 0, first.stderr
    assert f"re-queued {stuck.id} (was queued" in first.stdout
    assert settled.id not in first.stdout
    [message] = await data_dir.queue.receive(SCAN_QUEUE, visibility_timeout=0)
    assert message.body == scan_request(stuck.id)
    again = data_dir.run("reconcile")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "re-queued 0 submission(s)"
    assert await data_dir.queue.count(SCAN_QUEUE) == 1


async def test_status_shows_queues_poison_and_how_long_the_oldest_has_waited(
    data_dir: DataDir,
) -> None:
    """`photogate status` counts each queue and its poison queue, and the submissions in each
    state with the age of the oldest waiting one; `--json` says the same for scripts.
    """
    now = datetime.now(UTC)
    oldest = await data_dir.submission(now - timedelta(hours=3), Status.QUEUED)
    await data_dir.submission(now - timedelta(minutes=5), Status.QUEUED)
    await data_dir.submission(now, Status.REJECTED)
    await data_dir.queue.send(SCAN_QUEUE, scan_request(oldest.id))
    await data_dir.poison(scan_request("gone"))

    shown = data_dir.run("status", "--json")
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["queues"] == [
        {"queue": "scans", "messages": 1, "poison": 1},
        {"queue": "notifications", "messages": 0, "poison": 0},
    ]
    queued = document["submissions"]["queued"]
    assert queued["count"] == 2
    assert datetime.fromisoformat(queued["oldest_at"]) == oldest.created_at
    assert 3 * 3600 <= queued["oldest_age_s"] < 3 * 3600 + 60
    assert document["submissions"]["rejected"] == {
        "count": 1,
        "oldest_at": None,
        "oldest_age_s": None,
    }

    table = data_dir.run("status")
    assert table.returncode == 0, table.stderr
    assert re.search(r"queued\s+│\s+2\s+│\s+3 h 0 min", table.stdout), table.stdout
    assert re.search(r"scans\s+│\s+1\s+│\s+1", table.stdout), table.stdout
    # A scan message waits and no worker has reported: the operator is told to start one.
    [warning] = document["warnings"]
    assert "no scan worker has reported" in warning
    assert "no scan worker has reported" in table.stdout


async def test_status_names_each_worker_and_warns_of_a_failing_scanner(data_dir: DataDir) -> None:
    """A worker's heartbeat (breaker open, last error) is listed by `status` and `--json`,
    with a warning that names the worker and the error.
    """
    now = datetime.now(UTC)
    failing = "could not reach the scanner: connection refused"
    beat = a_heartbeat("scan-host:4242", now - timedelta(seconds=5), failing=failing)
    await data_dir.catalog.record_heartbeat(beat)

    document = json.loads(data_dir.run("status", "--json").stdout)
    [worker] = document["workers"]
    assert (worker["worker"], worker["succeeded"], worker["failed"]) == ("scan-host:4242", 120, 9)
    assert worker["breaker_open"] is True
    assert worker["scanner"].startswith("down")
    [warning] = document["warnings"]
    assert "scan-host:4242" in warning and "connection refused" in warning

    table = data_dir.run("status").stdout
    assert re.search(r"scan-host:4242\s+│\s+\d s ago\s+│\s+1\s+│\s+0\s+│\s+120\s+│\s+9", table)
    assert "connection refused" in table
