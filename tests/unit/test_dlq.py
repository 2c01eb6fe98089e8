"""Poison queues for operators: list, show, replay and purge, on the in-memory fakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.domain.submission import Status
from photogate.errors import StorageUnavailable
from photogate.intake.accept_upload import accept_upload
from photogate.messages import SCAN_QUEUE, poison_queue, scan_request
from photogate.ports import Container
from photogate.recovery import dlq
from photogate.scanning.scan_submission import ScanPolicy, scan_submission
from photogate.settings import UploadSettings
from photogate.worker.envelope import Envelope, seal
from tests.unit.conftest import SKU, Fakes, form, photo_file

POISON = poison_queue(SCAN_QUEUE)
REPLAYER = "operator:sam"


async def failed_upload(fakes: Fakes, tmp_path: Path, error: str = "scanner: 503") -> str:
    """An upload the worker gave up on, as the consumer leaves it: poisoned and failed."""
    path, size = photo_file(tmp_path)
    submission = await accept_upload(form(), path, size, ports=fakes.ports, limits=UploadSettings())
    [message] = await fakes.queue.receive(SCAN_QUEUE)
    record = {"body": message.body, "error": error, "attempts": 5}
    await fakes.queue.send(POISON, json.dumps(record))
    await fakes.catalog.transition(
        submission.id, allowed_from={Status.QUEUED}, to=Status.FAILED, actor="worker", reason=error
    )
    await fakes.queue.delete(SCAN_QUEUE, message)
    return submission.id


async def visible_bodies(fakes: Fakes, queue: str) -> list[str]:
    """Bodies of the messages visible on `queue` (received, then released again)."""
    messages = await fakes.queue.receive(queue, max_messages=32)
    for message in messages:
        await fakes.queue.update_visibility(queue, message, 0)
    return [message.body for message in messages]


async def test_list_shows_every_poison_message_oldest_first_and_leaves_them_visible(
    fakes: Fakes, tmp_path: Path
) -> None:
    """list reads body, error, attempts and submission of each message and puts them all back."""
    first = await failed_upload(fakes, tmp_path, "scanner: 503 five times")
    second = await failed_upload(fakes, tmp_path)
    listed = await dlq.list_poison(fakes.ports)
    assert [(m.submission_id, m.attempts) for m in listed] == [(first, 5), (second, 5)]
    assert listed[0].error == "scanner: 503 five times"
    assert listed[0].body == scan_request(first)
    assert listed[0].queue == SCAN_QUEUE
    assert len(await visible_bodies(fakes, POISON)) == 2
    assert await dlq.list_poison(fakes.ports, limit=1) == listed[:1]


async def test_list_of_an_empty_or_unknown_poison_queue_is_empty(fakes: Fakes) -> None:
    """A poison queue nothing was ever sent to lists as empty, not as an error."""
    assert await dlq.list_poison(fakes.ports) == []
    assert await dlq.list_poison(fakes.ports, "notifications") == []


async def test_a_raw_body_from_the_functions_runtime_reads_as_its_own_original(
    fakes: Fakes,
) -> None:
    """A poison body that is no worker record is the original body, error and attempts unknown."""
    await fakes.queue.send(POISON, scan_request("abc123"))
    [message] = await dlq.list_poison(fakes.ports)
    assert (message.body, message.submission_id) == (scan_request("abc123"), "abc123")
    assert (message.error, message.attempts) == ("(not recorded)", None)


async def test_replay_leaves_failed_a_submission_whose_original_retention_deleted(
    fakes: Fakes, tmp_path: Path
) -> None:
    """With its original gone there is nothing to scan: the replay says so (state "purged")
    and the submission stays failed, its audit trail untouched.
    """
    sid = await failed_upload(fakes, tmp_path)
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None
    await fakes.blobs.delete(Container.QUARANTINE, submission.original_blob)
    purged_at = submission.created_at
    assert await fakes.catalog.mark_original_purged(sid, allowed_from={Status.FAILED}, at=purged_at)
    trail = await fakes.catalog.audit_trail(sid)
    [poisoned] = await dlq.list_poison(fakes.ports)
    replayed = await dlq.replay(fakes.ports, poisoned.id, actor=REPLAYER)
    assert replayed == dlq.Replayed(poisoned, reopened=False, state=dlq.PURGED)
    kept = await fakes.catalog.get_submission(sid)
    assert kept is not None and kept.status is Status.FAILED
    assert await fakes.catalog.audit_trail(sid) == trail


async def test_replay_of_an_erased_submission_says_it_is_erased(
    fakes: Fakes, tmp_path: Path
) -> None:
    """A poison message outliving its submission's erasure (which also marks the original
    gone) is reported as erased, not as a failed submission without its original.
    """
    sid = await failed_upload(fakes, tmp_path)
    assert await fakes.catalog.erase_submission(sid, actor="customer", reason="asked")
    [poisoned] = await dlq.list_poison(fakes.ports)
    replayed = await dlq.replay(fakes.ports, poisoned.id, actor=REPLAYER)
    assert replayed == dlq.Replayed(poisoned, reopened=False, state="erased")


async def test_show_finds_one_message_by_id_and_leaves_all_in_place(
    fakes: Fakes, tmp_path: Path
) -> None:
    """show returns the named message and releases every message it looked at."""
    for _ in range(3):
        await failed_upload(fakes, tmp_path)
    wanted = (await dlq.list_poison(fakes.ports))[2]
    assert await dlq.show_poison(fakes.ports, wanted.id) == wanted
    assert await dlq.show_poison(fakes.ports, "no-such-id") is None
    assert len(await visible_bodies(fakes, POISON)) == 3


async def test_replay_requeues_the_failed_submission_and_a_scan_approves_it(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """Replay sends the original body back, queues the failed submission, and drops the copy."""
    sid = await failed_upload(fakes, tmp_path)
    other = await failed_upload(fakes, tmp_path)
    poisoned = (await dlq.list_poison(fakes.ports))[0]
    replayed = await dlq.replay(fakes.ports, poisoned.id, actor=REPLAYER)
    assert replayed == dlq.Replayed(poisoned, reopened=True, state="queued")
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None and submission.status is Status.QUEUED
    last = (await fakes.catalog.audit_trail(sid))[-1]
    assert (last.from_status, last.actor, last.reason) == (
        Status.FAILED,
        REPLAYER,
        "replayed from poison queue",
    )
    assert await visible_bodies(fakes, SCAN_QUEUE) == [scan_request(sid)]
    assert [m.submission_id for m in await dlq.list_poison(fakes.ports)] == [other]
    assert await scan_submission(sid, ports=fakes.ports, policy=scan_policy) is Status.APPROVED
    assert (await fakes.catalog.list_photos(SKU, limit=10))[1] == 1


async def test_replay_of_an_unknown_id_changes_nothing(fakes: Fakes, tmp_path: Path) -> None:
    """Replaying an id the poison queue does not hold returns None and sends nothing."""
    sid = await failed_upload(fakes, tmp_path)
    assert await dlq.replay(fakes.ports, "no-such-id", actor=REPLAYER) is None
    assert await fakes.queue.count(SCAN_QUEUE) == 0
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None and submission.status is Status.FAILED


async def test_replay_sends_the_body_inside_a_throttling_envelope(fakes: Fakes) -> None:
    """A poisoned body still in the consumer's envelope goes back as the bare original body."""
    sealed = seal(Envelope(scan_request("abc123"), failures=4, throttles=9))
    await fakes.queue.send(POISON, json.dumps({"body": sealed, "error": "x", "attempts": 5}))
    [poisoned] = await dlq.list_poison(fakes.ports)
    assert poisoned.submission_id == "abc123"
    await dlq.replay(fakes.ports, poisoned.id, actor=REPLAYER)
    assert await visible_bodies(fakes, SCAN_QUEUE) == [scan_request("abc123")]


class ScanQueueDown(InMemoryMessageQueue):
    """The in-memory queue, except that sends to the scan queue fail once `down` is set."""

    down = False

    async def send(self, queue: str, body: str, *, delay: float = 0.0) -> str:
        if self.down and queue == SCAN_QUEUE:
            raise StorageUnavailable("the scan queue is unreachable")
        return await super().send(queue, body, delay=delay)


async def test_a_failed_resend_keeps_the_poison_message(fakes: Fakes, tmp_path: Path) -> None:
    """If the resend fails, the error propagates and the poison message stays to replay again."""
    fakes.queue = queue = ScanQueueDown()
    sid = await failed_upload(fakes, tmp_path)
    poisoned = (await dlq.list_poison(fakes.ports))[0]
    queue.down = True
    with pytest.raises(StorageUnavailable):
        await dlq.replay(fakes.ports, poisoned.id, actor=REPLAYER)
    queue.down = False
    assert await fakes.queue.count(POISON) == 1
    assert await fakes.queue.count(SCAN_QUEUE) == 0
    assert await dlq.replay(fakes.ports, poisoned.id, actor=REPLAYER) is None, (
        "held until its hold runs out"
    )
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None and submission.status is Status.QUEUED


async def test_replay_all_replays_each_message_once_with_progress(
    fakes: Fakes, tmp_path: Path
) -> None:
    """replay_all reports each message as it goes and stops at the count it started with."""
    sids = [await failed_upload(fakes, tmp_path) for _ in range(40)]
    seen: list[str | None] = []

    def progress(message: dlq.PoisonMessage) -> None:
        seen.append(message.submission_id)

    assert await dlq.replay_all(fakes.ports, actor=REPLAYER, progress=progress) == 40
    assert sorted(s for s in seen if s) == sorted(sids)
    assert await fakes.queue.count(POISON) == 0
    assert await fakes.queue.count(SCAN_QUEUE) == 40
    submissions = [await fakes.catalog.get_submission(sid) for sid in sids]
    assert {s.status for s in submissions if s} == {Status.QUEUED}


class PoisonsAtOnce(InMemoryMessageQueue):
    """The in-memory queue with a worker that poisons every scan message the moment it lands."""

    async def send(self, queue: str, body: str, *, delay: float = 0.0) -> str:
        if queue == SCAN_QUEUE:
            record = json.dumps({"body": body, "error": "still broken", "attempts": 1})
            return await super().send(POISON, record)
        return await super().send(queue, body, delay=delay)


async def test_replay_all_does_not_chase_messages_poisoned_while_it_runs(fakes: Fakes) -> None:
    """A message poisoned again during replay_all is left for the next run, not replayed now."""
    fakes.queue = PoisonsAtOnce()
    for n in range(3):
        await fakes.queue.send(POISON, scan_request(f"s{n}"))
    assert await dlq.replay_all(fakes.ports, actor=REPLAYER) == 3
    again = await dlq.list_poison(fakes.ports)
    assert sorted((m.submission_id, m.error) for m in again) == [
        (f"s{n}", "still broken") for n in range(3)
    ]


async def test_purge_deletes_poison_messages_and_leaves_submissions_failed(
    fakes: Fakes, tmp_path: Path
) -> None:
    """purge_one drops the named message; purge drops the rest; failed stays failed."""
    sids = [await failed_upload(fakes, tmp_path) for _ in range(3)]
    first = (await dlq.list_poison(fakes.ports))[0]
    assert await dlq.purge_one(fakes.ports, first.id) == first
    assert await dlq.purge_one(fakes.ports, first.id) is None
    counted: list[str] = []
    assert await dlq.purge(fakes.ports, progress=lambda m: counted.append(m.id)) == 2
    assert len(counted) == 2
    assert await fakes.queue.count(POISON) == 0
    for sid in sids:
        submission = await fakes.catalog.get_submission(sid)
        assert submission is not None and submission.status is Status.FAILED
