"""Use case: scan one submission and settle it (approve and publish, reject, or send to people)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from photogate.clock import Clock, utcnow
from photogate.domain.moderation import scanner_actor
from photogate.domain.scan import ScanResult, Thresholds, Verdict, scan_summary
from photogate.domain.submission import SCANNABLE, Status, Submission
from photogate.errors import BlobNotFound, ScanInputRejected
from photogate.image_work import run_image_work
from photogate.ports import Container, Ports
from photogate.publishing.publish import publish
from photogate.scanning.rendition import scanner_rendition
from photogate.screening.findings import Findings
from photogate.screening.screen import Screener, screen_submission

log = logging.getLogger(__name__)
ACTOR = "scanner"
SCREENING = "screening"


@dataclass(frozen=True)
class ScanPolicy:
    """What the scan stage needs besides its ports; without a screener nothing is screened."""

    thresholds: Thresholds
    clock: Clock = utcnow
    screener: Screener | None = None


async def scan_submission(submission_id: str, *, ports: Ports, policy: ScanPolicy) -> Status | None:
    """Scan the submission once and record the decision; returns its state afterwards.

    Safe to call again for the same id (a redelivered message): a settled submission is left
    as it is, and the scanner returns its stored result for a repeated request id.
    Transient scanner errors propagate so the caller retries later.
    """
    submission = await ports.catalog.get_submission(submission_id)
    if submission is None or submission.status not in SCANNABLE:
        return None if submission is None else submission.status
    # "scanning" is recorded while the scan gets under way, not before it: that write waits
    # for the catalog's write lock, which a web process busy with a burst of uploads holds
    # much of the time, and the scanner's slot should not wait for it. Every later move is a
    # compare-and-set, so a submission settled meanwhile by someone else stays as they left it.
    claim = asyncio.create_task(_claim(submission_id, ports))
    try:
        original, outcome = await _fetch_and_scan(ports, submission)
    finally:
        await _finished(claim)
    claimed = claim.result()
    if claimed is None or claimed.status not in SCANNABLE:
        return None if claimed is None else claimed.status
    if isinstance(outcome, ScanResult):
        return await _decide(ports, policy, claimed, original, outcome)
    return await _settle(ports, claimed, *outcome, None)


async def _fetch_and_scan(
    ports: Ports, submission: Submission
) -> tuple[bytes, ScanResult | tuple[Status, str]]:
    """The original and the scanner's result, or the status and reason it ends with instead."""
    try:
        original = await ports.blobs.get(Container.QUARANTINE, submission.original_blob)
    except BlobNotFound:
        return b"", (Status.FAILED, "the original is missing")
    try:
        return original, await _scan(ports, submission, original)
    except ScanInputRejected as exc:
        return original, (Status.REJECTED, f"invalid image: {exc}")


async def _finished(claim: asyncio.Task[Submission | None]) -> None:
    """Wait for the claim without ever cancelling it, even when this task is cancelled: a
    catalog transaction cut off half-way can leave SQLite's write lock held.
    """
    await asyncio.wait({claim})
    if not claim.cancelled():
        claim.exception()  # looked at, so a failed scan's claim error is not reported as lost


async def _claim(submission_id: str, ports: Ports) -> Submission | None:
    """Mark the submission as being scanned, unless it was settled already; an attempt after
    the first is noted on it, so the reconciler sees its message is alive.
    """
    moved = await ports.catalog.transition(
        submission_id,
        allowed_from={Status.RECEIVED, Status.QUEUED},
        to=Status.SCANNING,
        actor=ACTOR,
    )
    if moved is not None:
        return moved
    await ports.catalog.note_scan_retry(submission_id)
    return await ports.catalog.get_submission(submission_id)


async def _scan(ports: Ports, submission: Submission, original: bytes) -> ScanResult:
    image, content_type = await run_image_work(scanner_rendition, original)
    return await ports.scanner.scan(submission.id, image, content_type)


async def _decide(
    ports: Ports, policy: ScanPolicy, submission: Submission, original: bytes, result: ScanResult
) -> Status | None:
    verdict, tightened = policy.thresholds.decide(result)
    reason = tightened or "; ".join(result.reasons) or None
    if verdict is Verdict.FAIL:
        return await _settle(ports, submission, Status.REJECTED, reason or "scanner: fail", result)
    # The scanner passed the photo or was unsure: screening may still want a person to look.
    findings = await _screen(ports, policy, submission, original)
    if verdict is Verdict.PASS and not findings:
        return await _approve(ports, policy, submission, original, result)
    if verdict is Verdict.PASS:
        why = findings.reason or "screening"
        return await _settle(ports, submission, Status.NEEDS_REVIEW, why, result, actor=SCREENING)
    why = "; ".join(filter(None, (reason or "scanner unsure", findings.reason)))
    return await _settle(ports, submission, Status.NEEDS_REVIEW, why, result)


async def _approve(
    ports: Ports, policy: ScanPolicy, submission: Submission, original: bytes, result: ScanResult
) -> Status | None:
    """Publish a photo that passed; its state afterwards, which is another's decision if one
    came first (a redelivered twin of this scan that sent it to people, say).
    """
    actor, why = scanner_actor(result.model_version), scan_summary(result)
    published = await publish(
        submission, original, result, ports=ports, clock=policy.clock, actor=actor, reason=why
    )
    if published:
        log.info("submission %s -> %s (%s)", submission.id, Status.APPROVED, why)
        return Status.APPROVED
    current = await ports.catalog.get_submission(submission.id)
    status = None if current is None else current.status
    log.info("submission %s not published: settled meanwhile as %s", submission.id, status)
    return status


async def _screen(
    ports: Ports, policy: ScanPolicy, submission: Submission, original: bytes
) -> Findings:
    if policy.screener is None:
        return Findings()
    screener, catalog = policy.screener, ports.catalog
    return await screen_submission(submission, original, catalog=catalog, screener=screener)


async def _settle(
    ports: Ports,
    submission: Submission,
    to: Status,
    reason: str,
    scan: ScanResult | None,
    *,
    actor: str | None = None,
) -> Status | None:
    log.info("submission %s -> %s (%s)", submission.id, to, reason)
    # A decision on a scan result is signed with the model version that made it, or by
    # screening when the scanner passed the photo and screening alone sent it to people.
    actor = actor or (scanner_actor(scan.model_version) if scan else ACTOR)
    moved = await ports.catalog.transition(
        submission.id, allowed_from=SCANNABLE, to=to, actor=actor, reason=reason, scan=scan
    )
    return to if moved else None
