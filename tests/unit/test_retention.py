"""Retention: originals of settled and published submissions go; those still needed stay."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from photogate.bootstrap import Services
from photogate.clock import utcnow
from photogate.domain.moderation import ReasonCode
from photogate.domain.scan import Thresholds
from photogate.domain.submission import Status, new_id
from photogate.errors import ConfigError
from photogate.moderation.review import (
    UndoWindow,
    approve_submission,
    reject_submission,
    undo_rejection,
)
from photogate.notifying.thank_customer import NotifyPolicy
from photogate.ports import Container
from photogate.retention import RetentionPolicy, purge, purge_originals
from photogate.scanning.scan_submission import ScanPolicy
from photogate.settings import PrivacySettings, Settings, load_settings
from photogate.worker.runner import run_worker
from tests.support.privacy import sent_by
from tests.unit.conftest import SKU, Fakes

ANA = "ana@example.com"
LATER = timedelta(days=31)


def policy(*, after: timedelta = LATER, **changes: bool) -> RetentionPolicy:
    """The default 30-day policy, run `after` from now."""
    return RetentionPolicy(clock=lambda: utcnow() + after, **changes)  # type: ignore[arg-type]


async def test_settled_originals_go_after_the_retention_period(fakes: Fakes) -> None:
    """Rejected and failed originals older than 30 days are deleted and reported."""
    rejected = await sent_by(fakes.ports, SKU, ANA, Status.REJECTED)
    failed = await sent_by(fakes.ports, SKU, ANA, Status.FAILED)
    report = await purge_originals(fakes.ports, policy())
    assert {p.submission_id for p in report.purged} == {rejected.id, failed.id}
    assert fakes.blobs.names(Container.QUARANTINE) == []
    stored = await fakes.catalog.get_submission(rejected.id)
    assert stored is not None
    assert stored.original_purged_at is not None


async def test_settled_originals_stay_within_the_retention_period(fakes: Fakes) -> None:
    """A rejection from yesterday keeps its original."""
    rejected = await sent_by(fakes.ports, SKU, ANA, Status.REJECTED)
    report = await purge_originals(fakes.ports, policy(after=timedelta(days=1)))
    assert report.count == 0
    assert fakes.blobs.names(Container.QUARANTINE) == [rejected.original_blob]


async def test_a_rejection_keeps_its_original_while_it_can_be_undone(fakes: Fakes) -> None:
    """With no retention at all, a moderator's rejection still keeps its original for the undo
    window: undone, the photo is back in review, and it can still be approved.
    """
    rejected = await sent_by(fakes.ports, SKU, ANA, Status.NEEDS_REVIEW)
    window = UndoWindow(timedelta(seconds=60))
    assert await reject_submission(
        rejected.id,
        moderator="sam",
        code=ReasonCode.LOW_QUALITY,
        notify=True,
        ports=fakes.ports,
        undo=window,
    )
    no_retention = RetentionPolicy(retention=timedelta(0), undo=timedelta(seconds=60))
    assert (await purge_originals(fakes.ports, no_retention)).count == 0
    rejected_at = (await fakes.catalog.audit_trail(rejected.id))[-1].at
    assert await undo_rejection(
        rejected.id, moderator="sam", ports=fakes.ports, undo=window, rejected_at=rejected_at
    )
    assert await approve_submission(rejected.id, moderator="sam", ports=fakes.ports)
    once_undone = replace(no_retention, clock=lambda: utcnow() + timedelta(seconds=61))
    assert (await purge_originals(fakes.ports, once_undone)).count == 1  # published: it goes


async def test_originals_in_review_or_being_scanned_are_never_deleted(fakes: Fakes) -> None:
    """Needs review, received and scanning keep their originals however old they are."""
    kept = [
        await sent_by(fakes.ports, SKU, ANA, status)
        for status in (Status.NEEDS_REVIEW, Status.RECEIVED, Status.SCANNING)
    ]
    report = await purge_originals(fakes.ports, policy(after=timedelta(days=3650)))
    assert report.count == 0
    assert sorted(fakes.blobs.names(Container.QUARANTINE)) == sorted(s.original_blob for s in kept)


async def test_published_originals_go_at_once_unless_settings_keep_them(fakes: Fakes) -> None:
    """A published photo's original goes once its renditions exist, unless kept by settings."""
    live = await sent_by(fakes.ports, SKU, ANA, Status.APPROVED)
    kept = await purge_originals(fakes.ports, policy(keep_published_originals=True))
    assert kept.count == 0
    assert fakes.blobs.names(Container.QUARANTINE) == [live.original_blob]
    report = await purge_originals(fakes.ports, policy(after=timedelta(0)))
    assert [p.submission_id for p in report.purged] == [live.id]
    assert fakes.blobs.names(Container.QUARANTINE) == []
    assert await fakes.catalog.get_photo(live.id) is not None


async def test_a_dry_run_reports_and_deletes_nothing(fakes: Fakes) -> None:
    """The dry run lists what would go; every original is still there afterwards."""
    rejected = await sent_by(fakes.ports, SKU, ANA, Status.REJECTED)
    report = await purge_originals(fakes.ports, policy(dry_run=True))
    assert (report.dry_run, [p.blob for p in report.purged]) == (True, [rejected.original_blob])
    assert fakes.blobs.names(Container.QUARANTINE) == [rejected.original_blob]
    stored = await fakes.catalog.get_submission(rejected.id)
    assert stored is not None
    assert stored.original_purged_at is None


async def test_purging_again_finds_nothing_more(fakes: Fakes) -> None:
    """A second run deletes nothing: each original is purged once."""
    await sent_by(fakes.ports, SKU, ANA, Status.REJECTED)
    assert (await purge_originals(fakes.ports, policy())).count == 1
    assert (await purge_originals(fakes.ports, policy())).count == 0


async def test_progress_counts_up_to_the_total(fakes: Fakes) -> None:
    """progress(done, total) is called once per original, ending at the total."""
    for _ in range(3):
        await sent_by(fakes.ports, SKU, ANA, Status.FAILED)
    calls: list[tuple[int, int]] = []
    await purge_originals(fakes.ports, policy(), progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_the_policy_follows_the_settings() -> None:
    """retention_days and keep_published_originals become the policy's period and choice,
    and the console's undo window the least time a rejection keeps its original.
    """
    privacy = PrivacySettings(retention_days=7, keep_published_originals=True)
    settings = Settings(_env_file=None, privacy=privacy, console={"undo_s": 300})
    made = RetentionPolicy.from_settings(settings, dry_run=True)
    assert (made.retention, made.keep_published_originals, made.dry_run, made.undo) == (
        timedelta(days=7),
        True,
        True,
        timedelta(seconds=300),
    )
    no_retention = RetentionPolicy.from_settings(
        settings.model_copy(update={"privacy": PrivacySettings(retention_days=0)})
    )
    assert no_retention.settled_for == timedelta(seconds=300)


async def test_the_worker_purges_periodically(fakes: Fakes, tmp_path: Path) -> None:
    """With purge_every_s set, the running worker deletes due originals by itself."""
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        privacy={"retention_days": 0, "purge_every_s": 0.05},
        console={"undo_s": 0},
    )
    notify = NotifyPolicy(sender="Shop <s@shop.example>", shop_url="http://shop.example")
    services = Services(settings, fakes.ports, ScanPolicy(Thresholds()), notify)
    await sent_by(fakes.ports, SKU, ANA, Status.FAILED)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(services, stop, notifications=False))
    deadline = asyncio.get_running_loop().time() + 5
    while fakes.blobs.names(Container.QUARANTINE):
        assert asyncio.get_running_loop().time() < deadline, "the worker never purged"
        await asyncio.sleep(0.01)  # polling a condition with a deadline
    stop.set()
    await worker


async def test_purge_takes_the_services_an_entry_point_has(fakes: Fakes, tmp_path: Path) -> None:
    """photogate.retention.purge(services, policy) runs on the services' ports."""
    settings = Settings(_env_file=None, data_dir=tmp_path)
    notify = NotifyPolicy(sender="Shop <s@shop.example>", shop_url="http://shop.example")
    services = Services(settings, fakes.ports, ScanPolicy(Thresholds()), notify)
    await sent_by(fakes.ports, SKU, ANA, Status.REJECTED)
    assert (await purge(services, policy())).count == 1


def test_a_licence_version_without_a_text_stops_start_up() -> None:
    """An unknown PHOTOGATE_PRIVACY__LICENCE_VERSION is refused, naming the variable."""
    with pytest.raises(ConfigError, match="PHOTOGATE_PRIVACY__LICENCE_VERSION"):
        load_settings(_env_file=None, privacy={"licence_version": "1999-01"})


async def test_a_quarantined_file_no_submission_was_recorded_for_goes_after_an_hour(
    fakes: Fakes,
) -> None:
    """A web process killed between writing an original and recording its submission leaves
    a private photo no row names. Once an hour old it is deleted (listed in a dry run); a
    younger one may still be an upload being recorded, and stays; so do the originals of
    recorded submissions and files whose names are not an upload's.
    """
    recorded = await sent_by(fakes.ports, SKU, ANA, Status.QUEUED)
    orphan, foreign = f"{new_id()}/original.jpeg", "not-an-upload/notes.txt"
    for name in (orphan, foreign):
        await fakes.blobs.put(Container.QUARANTINE, name, b"x", "image/jpeg")
    young = await purge_originals(fakes.ports, policy(after=timedelta(minutes=30)))
    assert young.unrecorded == []
    dry = await purge_originals(fakes.ports, policy(after=timedelta(hours=2), dry_run=True))
    assert dry.unrecorded == [orphan]
    assert await fakes.blobs.exists(Container.QUARANTINE, orphan)
    report = await purge_originals(fakes.ports, policy(after=timedelta(hours=2)))
    assert report.unrecorded == [orphan]
    left = fakes.blobs.names(Container.QUARANTINE)
    assert left == sorted([recorded.original_blob, foreign])


async def test_an_unrecorded_file_is_found_however_many_recorded_originals_are_kept(
    fakes: Fakes,
) -> None:
    """With more kept originals than a run's limit, an unrecorded file named after all of
    them is still deleted in the first run: every name is looked at, the limit caps deletions.
    """
    for _ in range(3):
        await sent_by(fakes.ports, SKU, ANA, Status.QUEUED)
    orphan = f"{'f' * 32}/original.jpeg"
    await fakes.blobs.put(Container.QUARANTINE, orphan, b"x", "image/jpeg")
    limited = RetentionPolicy(clock=lambda: utcnow() + timedelta(hours=2), limit=1)
    report = await purge_originals(fakes.ports, limited)
    assert report.unrecorded == [orphan]
    assert not await fakes.blobs.exists(Container.QUARANTINE, orphan)
