"""InMemoryCatalog's direct-upload methods, with the SQL catalog's rules."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace
from typing import Protocol

from photogate.adapters.memory.fingerprints import same_file
from photogate.clock import Clock
from photogate.domain.catalog import OutboxMessage, Product
from photogate.domain.fingerprint import Fingerprint
from photogate.domain.submission import AuditEntry, Repeat, Status, Submission, UploadedFile


class _Stored(Protocol):
    """What these methods need of the InMemoryCatalog they are mixed into."""

    _clock: Clock
    _products: dict[str, Product]
    _submissions: dict[str, Submission]
    _fingerprints: dict[str, Fingerprint]
    _audit: list[AuditEntry]

    def _refuse_if(self, broken: bool, rule: str) -> None: ...

    def _check_outbox(self, message: OutboxMessage, also_known: Iterable[str] = ()) -> None: ...

    def _queue(self, message: OutboxMessage) -> None: ...

    def _settle(self, current: Submission, moved: Submission, actor: str) -> Submission: ...


class InMemoryUploads:
    """Mixed into InMemoryCatalog."""

    async def add_awaiting_upload(self: _Stored, submission: Submission) -> None:
        """Record a new submission in awaiting_upload, audited; nothing is queued yet."""
        self._refuse_if(submission.id in self._submissions, f"submission {submission.id} exists")
        self._refuse_if(submission.sku not in self._products, f"no product {submission.sku}")
        self._submissions[submission.id] = submission
        entry = AuditEntry(
            submission.id, None, submission.status, "customer", None, submission.created_at
        )
        self._audit.append(entry)

    async def complete_upload(
        self: _Stored,
        submission_id: str,
        *,
        file: UploadedFile,
        fingerprint: Fingerprint,
        outbox: OutboxMessage,
        actor: str,
        repeats: Collection[Status] = (),
    ) -> Submission | Repeat | None:
        """Record the arrived file, move awaiting_upload to received and queue `outbox`, at once;
        unless another submission of the same product and file is in `repeats` (Repeat).
        """
        current = self._submissions.get(submission_id)
        if current is None or current.status is not Status.AWAITING_UPLOAD:
            return None
        if repeats:
            sku, sha256 = current.sku, fingerprint.sha256
            prints, excluding = self._fingerprints, submission_id
            earlier = same_file(
                self._submissions, prints, sku, sha256, repeats, excluding=excluding
            )
            if earlier is not None:
                return Repeat(earlier)
        self._check_outbox(outbox)
        arrived = replace(
            current,
            content_type=file.content_type,
            size_bytes=file.size_bytes,
            width=file.width,
            height=file.height,
        )
        moved = self._settle(current, arrived.moved(Status.RECEIVED, None, self._clock()), actor)
        self._fingerprints[submission_id] = fingerprint
        self._queue(outbox)
        return moved

    async def fail_upload(
        self: _Stored, submission_id: str, *, reason: str, actor: str, repeat_of: str | None = None
    ) -> Submission | None:
        """Move awaiting_upload to failed with `reason` and `repeat_of`, audited."""
        current = self._submissions.get(submission_id)
        if current is None or current.status is not Status.AWAITING_UPLOAD:
            return None
        failed = replace(current, repeat_of=repeat_of).moved(Status.FAILED, reason, self._clock())
        return self._settle(current, failed, actor)
