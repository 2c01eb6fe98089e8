"""The pipeline overview: queue depths with their poison queues, submissions by status, and how
long the oldest of each waiting state has been in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from photogate.domain.submission import SCANNABLE, Status
from photogate.intake.accept_upload import accept_upload
from photogate.messages import NOTIFY_QUEUE, SCAN_QUEUE, poison_queue
from photogate.recovery.overview import WAITING, QueueDepth, StatusCount, age_text, overview
from photogate.settings import UploadSettings
from tests.unit.conftest import Fakes, another_photo_file, form

T0 = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


async def accepted(fakes: Fakes, tmp_path: Path, at: datetime) -> str:
    """An upload accepted at `at`: recorded, queued for scanning."""
    path, size = another_photo_file(tmp_path)
    submission = await accept_upload(
        form(), path, size, ports=fakes.ports, limits=UploadSettings(), clock=lambda: at
    )
    return submission.id


async def test_empty_pipeline_has_nothing_waiting(fakes: Fakes) -> None:
    """Nothing uploaded: every queue and status is zero and there is no oldest anything."""
    seen = await overview(fakes.ports, clock=lambda: T0)
    assert seen.queues == (QueueDepth(SCAN_QUEUE, 0, 0), QueueDepth(NOTIFY_QUEUE, 0, 0))
    assert [s.status for s in seen.submissions] == list(Status)
    assert all(s == StatusCount(s.status, 0, None) for s in seen.submissions)
    assert (seen.poisoned, seen.taken_at) == (0, T0)


async def test_counts_queues_poison_and_the_oldest_waiting(fakes: Fakes, tmp_path: Path) -> None:
    """Three uploads queued and one rejected: the scan queue holds three, the poison queue what
    the worker gave up on, and the oldest queued one is the first upload.
    """
    ids = [await accepted(fakes, tmp_path, T0 + timedelta(minutes=m)) for m in (0, 5, 9, 12)]
    rejected = ids[-1]
    await fakes.catalog.transition(rejected, allowed_from=SCANNABLE, to=Status.REJECTED, actor="s")
    await fakes.queue.send(poison_queue(SCAN_QUEUE), '{"body": "x", "error": "503"}')
    now = T0 + timedelta(hours=1)

    seen = await overview(fakes.ports, clock=lambda: now)

    assert seen.queues[0] == QueueDepth(SCAN_QUEUE, 4, 1)
    assert seen.poisoned == 1
    assert (seen.count(Status.QUEUED), seen.count(Status.REJECTED)) == (3, 1)
    [queued] = [s for s in seen.submissions if s.status is Status.QUEUED]
    assert queued.oldest_at == T0
    assert queued.oldest_age(now) == timedelta(hours=1)


async def test_settled_states_are_counted_without_an_oldest(fakes: Fakes, tmp_path: Path) -> None:
    """Only waiting states name their oldest; a settled state's age would mean nothing."""
    submission_id = await accepted(fakes, tmp_path, T0)
    await fakes.catalog.transition(
        submission_id, allowed_from=SCANNABLE, to=Status.FAILED, actor="s"
    )
    seen = await overview(fakes.ports, clock=lambda: T0)
    [failed] = [s for s in seen.submissions if s.status is Status.FAILED]
    assert failed == StatusCount(Status.FAILED, 1, None)
    assert Status.FAILED not in WAITING and Status.NEEDS_REVIEW in WAITING


async def test_an_oldest_stamped_after_now_is_no_age_below_zero() -> None:
    """Clocks of two machines disagree a little: an age is never negative."""
    ahead = StatusCount(Status.QUEUED, 1, T0 + timedelta(seconds=3))
    assert ahead.oldest_age(T0) == timedelta(0)
    assert StatusCount(Status.QUEUED, 0, None).oldest_age(T0) is None


def test_ages_read_as_a_person_would_say_them() -> None:
    """Seconds, then minutes, then hours and minutes, then days and hours."""
    said = [age_text(timedelta(seconds=s)) for s in (0, 59, 60, 3599, 3600, 3660 * 3, 86400 * 2)]
    assert said == ["0 s", "59 s", "1 min", "59 min", "1 h 0 min", "3 h 3 min", "2 d 0 h"]
