"""Replaying poisoned notifications: the failed email is owed again and sent once, never twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from photogate.bootstrap import Services
from photogate.domain.catalog import EmailStatus
from photogate.errors import MailDeferred
from photogate.messages import NOTIFY_QUEUE, field_of, poison_queue, thank_request
from photogate.notifying.thank_customer import NotifyPolicy
from photogate.privacy.erase import erase_by_link
from photogate.recovery import dlq
from photogate.scanning.scan_submission import ScanPolicy, scan_submission
from photogate.settings import QueueSettings, Settings
from photogate.worker.consumer import QueueConsumer
from photogate.worker.routes import notify_route
from tests.unit.conftest import Fakes
from tests.unit.test_scan_and_publish import uploaded

POISON = poison_queue(NOTIFY_QUEUE)
REPLAYER = "operator:sam"


@pytest.fixture
def worker(
    fakes: Fakes, tmp_path: Path, scan_policy: ScanPolicy, notify_policy: NotifyPolicy
) -> QueueConsumer:
    """The worker's own notification route on the fakes, giving up after one failed attempt."""
    settings = Settings(_env_file=None, data_dir=tmp_path)
    route = notify_route(Services(settings, fakes.ports, scan_policy, notify_policy))
    return QueueConsumer(fakes.queue, route, QueueSettings(max_attempts=1))


async def approved(fakes: Fakes, tmp_path: Path, scan_policy: ScanPolicy) -> str:
    """An approved upload; its thank-you notification waits on the queue. Its submission id."""
    sid = await uploaded(fakes, tmp_path)
    await scan_submission(sid, ports=fakes.ports, policy=scan_policy)
    return sid


async def deliver(fakes: Fakes, worker: QueueConsumer) -> str:
    """Let the worker process the one notification waiting; returns its email id."""
    [message] = await fakes.queue.receive(NOTIFY_QUEUE)
    await worker.process(message)
    return field_of(message.body, "email_id")


async def email_status(fakes: Fakes, email_id: str) -> EmailStatus:
    email = await fakes.catalog.get_email(email_id)
    assert email is not None
    return email.status


async def test_replaying_a_poisoned_notification_sends_its_email_exactly_once(
    fakes: Fakes, tmp_path: Path, scan_policy: ScanPolicy, worker: QueueConsumer
) -> None:
    """The given-up email goes back to pending, the resent message sends it, and only once."""
    await approved(fakes, tmp_path, scan_policy)
    fakes.mailer.fail_next(1, MailDeferred("421 try later"))
    email_id = await deliver(fakes, worker)
    assert await email_status(fakes, email_id) is EmailStatus.FAILED
    [poisoned] = await dlq.list_poison(fakes.ports, NOTIFY_QUEUE)
    assert poisoned.email_id == email_id

    replayed = await dlq.replay(fakes.ports, poisoned.id, NOTIFY_QUEUE, actor=REPLAYER)
    assert replayed == dlq.Replayed(poisoned, reopened=True, state="pending")
    assert await deliver(fakes, worker) == email_id
    assert await email_status(fakes, email_id) is EmailStatus.SENT
    assert len(fakes.mailer.sent) == 1
    assert await fakes.queue.count(NOTIFY_QUEUE) == 0
    assert await fakes.queue.count(POISON) == 0


async def test_replaying_a_notification_whose_email_was_sent_sends_nothing(
    fakes: Fakes, tmp_path: Path, scan_policy: ScanPolicy, worker: QueueConsumer
) -> None:
    """A poison copy of a notification already done (a duplicate delivery) reopens nothing."""
    await approved(fakes, tmp_path, scan_policy)
    email_id = await deliver(fakes, worker)
    assert len(fakes.mailer.sent) == 1
    record = {"body": thank_request(email_id), "error": "delivered 5 times without completing"}
    await fakes.queue.send(POISON, json.dumps(record))
    [poisoned] = await dlq.list_poison(fakes.ports, NOTIFY_QUEUE)

    replayed = await dlq.replay(fakes.ports, poisoned.id, NOTIFY_QUEUE, actor=REPLAYER)
    assert replayed == dlq.Replayed(poisoned, reopened=False, state="sent")
    await deliver(fakes, worker)
    assert await email_status(fakes, email_id) is EmailStatus.SENT
    assert len(fakes.mailer.sent) == 1


async def test_replaying_a_notification_of_an_erased_customer_sends_nothing(
    fakes: Fakes, tmp_path: Path, scan_policy: ScanPolicy, worker: QueueConsumer
) -> None:
    """An email given up and then cancelled by an erasure stays failed: its address is gone."""
    sid = await approved(fakes, tmp_path, scan_policy)
    fakes.mailer.fail_next(1, MailDeferred("421 try later"))
    email_id = await deliver(fakes, worker)
    await erase_by_link(sid, ports=fakes.ports)
    [poisoned] = await dlq.list_poison(fakes.ports, NOTIFY_QUEUE)

    replayed = await dlq.replay(fakes.ports, poisoned.id, NOTIFY_QUEUE, actor=REPLAYER)
    assert replayed == dlq.Replayed(poisoned, reopened=False, state="erased")
    await deliver(fakes, worker)
    assert await email_status(fakes, email_id) is EmailStatus.FAILED
    assert fakes.mailer.sent == []
