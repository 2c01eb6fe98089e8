"""Use case: delete quarantine originals nobody needs any more (retention), idempotently."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from photogate.clock import Clock, utcnow
from photogate.domain.submission import Status, Submission
from photogate.ports import Container, Ports
from photogate.ports.blobs import LeftoverFiles
from photogate.settings import Settings
from photogate.settings.console import MAX_UNDO_S

if TYPE_CHECKING:
    from photogate.bootstrap import Services

log = logging.getLogger(__name__)

# Settled for good: their originals go once the retention period is over. Nothing scannable,
# awaiting upload or in review is ever listed, so a photo people still need keeps its original.
SETTLED: Final = frozenset({Status.REJECTED, Status.FAILED})
# Published: the renditions exist, so the original is needed no longer.
PUBLISHED: Final = frozenset({Status.APPROVED, Status.TAKEN_DOWN})

Progress = Callable[[int, int], None]
# An upload's original is written just before its submission row; a web process killed in
# between leaves a private photo no row names, which neither retention nor an erasure could
# find. Once this old, such a file is no upload still being recorded, and it goes.
UNRECORDED_AFTER: Final = timedelta(hours=1)
# Quarantine names start with the submission id: 32 hex digits (domain.submission.new_id).
_SUBMISSION_FOLDER: Final = re.compile(r"([0-9a-f]{32})/[^/]+")


@dataclass(frozen=True)
class RetentionPolicy:
    """How long originals stay, and whether those of published photos are kept.

    A rejection keeps its original at least as long as a moderator may undo it (`undo`),
    whatever the retention: the undone photo is back in review, and people need to see it.
    """

    retention: timedelta = timedelta(days=30)
    keep_published_originals: bool = False
    dry_run: bool = False
    # One run deletes at most this many; the next run takes the rest.
    limit: int = 10_000
    clock: Clock = utcnow
    undo: timedelta = timedelta(seconds=MAX_UNDO_S)

    @classmethod
    def from_settings(cls, settings: Settings, *, dry_run: bool = False) -> RetentionPolicy:
        """The policy PHOTOGATE_PRIVACY__* describes, with the console's undo window."""
        privacy = settings.privacy
        return cls(
            retention=timedelta(days=privacy.retention_days),
            keep_published_originals=privacy.keep_published_originals,
            dry_run=dry_run,
            undo=timedelta(seconds=settings.console.undo_s),
        )

    @property
    def settled_for(self) -> timedelta:
        """How long ago a rejected or failed submission must have settled to lose its original."""
        return max(self.retention, self.undo)


@dataclass(frozen=True)
class PurgedOriginal:
    """One original deleted (or, in a dry run, that would be)."""

    submission_id: str
    status: Status
    blob: str


@dataclass(frozen=True)
class PurgeReport:
    """What a purge deleted (or would have, in a dry run)."""

    dry_run: bool
    purged: list[PurgedOriginal] = field(default_factory=list)
    # Those that changed state between listing and deleting (a replay): left alone.
    skipped: int = 0
    # Quarantined files no submission was ever recorded for (see UNRECORDED_AFTER).
    unrecorded: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many originals were (or would be) deleted."""
        return len(self.purged)


async def purge(
    services: Services, policy: RetentionPolicy, *, progress: Progress | None = None
) -> PurgeReport:
    """Delete the originals retention allows to go; `progress(done, total)` after each one."""
    return await purge_originals(services.ports, policy, progress=progress)


async def purge_originals(
    ports: Ports, policy: RetentionPolicy, *, progress: Progress | None = None
) -> PurgeReport:
    """purge() on the ports alone, for callers without Services."""
    now = policy.clock()
    due = await _due(ports, policy, now)
    purged, skipped = [], 0
    for done, (submission, group) in enumerate(due, start=1):
        if policy.dry_run or await _purge_one(ports, submission, group, now):
            purged.append(
                PurgedOriginal(submission.id, submission.status, submission.original_blob)
            )
        else:
            skipped += 1
        if progress is not None:
            progress(done, len(due))
    unrecorded = await _unrecorded_originals(ports, policy, now - UNRECORDED_AFTER)
    return PurgeReport(policy.dry_run, purged, skipped, unrecorded)


async def _unrecorded_originals(
    ports: Ports, policy: RetentionPolicy, before: datetime
) -> list[str]:
    """Delete (unless a dry run) the quarantined files written before `before` whose
    submission the catalog does not know, at most `policy.limit` a run; their names. Every
    name is looked at each run, so none waits behind the others. A name of another shape is
    left, and so are the files of writes cut off before they finished.
    """
    names: dict[str, list[str]] = {}
    for name in await ports.blobs.names_before(Container.QUARANTINE, before):
        if match := _SUBMISSION_FOLDER.fullmatch(name):
            names.setdefault(match.group(1), []).append(name)
    known = await ports.catalog.known_submissions(names)
    unrecorded = sorted(n for sid, found in names.items() if sid not in known for n in found)
    unrecorded = unrecorded[: policy.limit]
    if policy.dry_run:
        return unrecorded
    for name in unrecorded:
        await ports.blobs.delete(Container.QUARANTINE, name)
        log.info("deleted %s from quarantine: no submission was ever recorded for it", name)
    if isinstance(ports.blobs, LeftoverFiles):
        await _delete_leftovers(ports.blobs, before)
    return unrecorded


async def _delete_leftovers(blobs: LeftoverFiles, before: datetime) -> None:
    if cut_off := await blobs.delete_leftovers(before):
        log.info("deleted %d partial file(s) of writes cut off before %s", cut_off, before)


async def _due(
    ports: Ports, policy: RetentionPolicy, now: datetime
) -> list[tuple[Submission, frozenset[Status]]]:
    catalog = ports.catalog
    settled = await catalog.originals_to_purge(
        SETTLED, settled_before=now - policy.settled_for, limit=policy.limit
    )
    due = [(s, SETTLED) for s in settled]
    if not policy.keep_published_originals:
        published = await catalog.originals_to_purge(
            PUBLISHED, settled_before=None, limit=max(policy.limit - len(due), 0)
        )
        due += [(s, PUBLISHED) for s in published]
    return due


async def _purge_one(
    ports: Ports, submission: Submission, group: frozenset[Status], now: datetime
) -> bool:
    """Delete, then mark: a crash in between leaves it listed, and deleting again is harmless."""
    current = await ports.catalog.get_submission(submission.id)
    if current is None or current.status not in group:
        return False
    await ports.blobs.delete(Container.QUARANTINE, submission.original_blob)
    marked = await ports.catalog.mark_original_purged(submission.id, allowed_from=group, at=now)
    log.info(
        "retention deleted the original of %s (%s): %s",
        submission.id,
        submission.status,
        submission.original_blob,
    )
    return marked
