"""Two copies of one notification handled at the same time send one email, not two.

Each worker process relays the outbox, so a row left behind by a crash can be sent by two
relays at once: its two copies then sit side by side in the notification queue and are
handled together. Before the fix the file mailer wrote two .eml files for them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from photogate.adapters.sqlite_queue import SqliteMessageQueue
from photogate.messages import NOTIFY_QUEUE
from photogate.refscanner import BackgroundRefScanner, RefScannerConfig
from photogate.testing import samples
from tests.faults.pipeline import account, new_pipeline, upload_all, wait_all_final, web
from tests.support.processes import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

SUBMISSIONS = 12


def test_notifications_sent_twice_side_by_side_give_one_email_each(
    template: Path, tmp_path: Path
) -> None:
    """With every notification message doubled next to its original, each approval still
    gets exactly one .eml file.
    """
    images = [samples.clean_jpeg(320, 240, seed=i) for i in range(SUBMISSIONS)]
    with BackgroundRefScanner(RefScannerConfig(latency_s=0.0)) as scanner:
        pipeline = new_pipeline(template, tmp_path / "data", scanner.url)
        with web(pipeline) as url, pipeline.process(["worker", "--no-notifications"]):
            ids = upload_all(url, images)
            assert set(wait_all_final(pipeline, ids, 60).values()) == {"approved"}
            queue = SqliteMessageQueue(pipeline.data_dir / "queue.sqlite3")
            try:
                wait_until(lambda: _count(queue) == SUBMISSIONS, 30, "every notification")
                asyncio.run(_double_side_by_side(queue))
            finally:
                queue.close()
        with pipeline.process(["worker", "--no-scans"]):
            wait_until(lambda: len(account(pipeline).sent_emails) == SUBMISSIONS, 60, "emails")
    assert account(pipeline).eml_files == dict.fromkeys(ids, 1)


def _count(queue: SqliteMessageQueue) -> int:
    return asyncio.run(queue.count(NOTIFY_QUEUE))


async def _double_side_by_side(queue: SqliteMessageQueue) -> None:
    """Replace each notification with two copies of it, one right after the other."""
    messages = await queue.receive(NOTIFY_QUEUE, max_messages=SUBMISSIONS, visibility_timeout=60)
    assert len(messages) == SUBMISSIONS
    for message in messages:
        await queue.send(NOTIFY_QUEUE, message.body)
        await queue.send(NOTIFY_QUEUE, message.body)
        await queue.delete(NOTIFY_QUEUE, message)
