"""Translation between catalog rows (plain dicts and JSON) and the domain's dataclasses."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping

from photogate.domain.catalog import (
    CustomerPhoto,
    EmailRecord,
    EmailStatus,
    OutboxMessage,
    Product,
    Rendition,
)
from photogate.domain.scan import ScanResult, Verdict
from photogate.domain.submission import AuditEntry, Status, Submission, email_key

Values = dict[str, Any]

# The submission fields stored as they are; status and scan need translating.
_SUBMISSION_COLUMNS = (
    "id",
    "sku",
    "email",
    "display_name",
    "caption",
    "original_blob",
    "content_type",
    "size_bytes",
    "width",
    "height",
    "created_at",
    "consent_at",
    "status_reason",
    "updated_at",
    "published_at",
    "thanked_at",
    "extra",
    "licence_version",
    "original_purged_at",
    "repeat_of",
)


def product_values(product: Product) -> Values:
    """The products row of `product`."""
    return {**asdict(product), "marketing_photos": list(product.marketing_photos)}


def product_from_row(row: RowMapping) -> Product:
    """The product stored in `row`."""
    return Product(
        sku=row["sku"],
        name=row["name"],
        description=row["description"],
        price_cents=row["price_cents"],
        marketing_photos=tuple(row["marketing_photos"]),
    )


def submission_values(submission: Submission) -> Values:
    """The submissions row of `submission`, with the email_key its customer is found by."""
    values = {field: getattr(submission, field) for field in _SUBMISSION_COLUMNS}
    values["email_key"] = email_key(submission.email)
    return {**values, "status": str(submission.status), "scan": scan_json(submission.scan)}


def submission_from_row(row: RowMapping) -> Submission:
    """The submission stored in `row`."""
    values = {field: row[field] for field in _SUBMISSION_COLUMNS}
    return Submission(
        **values,
        status=Status(row["status"]),
        scan=scan_from_json(row["scan"]),
    )


def scan_json(scan: ScanResult | None) -> Values | None:
    """The JSON document stored for `scan`."""
    if scan is None:
        return None
    return {**asdict(scan), "verdict": str(scan.verdict), "reasons": list(scan.reasons)}


def scan_from_json(data: Values | None) -> ScanResult | None:
    """The scan result stored as `data`."""
    if data is None:
        return None
    return ScanResult(
        request_id=data["request_id"],
        verdict=Verdict(data["verdict"]),
        categories={name: float(score) for name, score in data["categories"].items()},
        model_version=data["model_version"],
        reasons=tuple(data["reasons"]),
        scanned_at=data.get("scanned_at"),
    )


def photo_values(photo: CustomerPhoto) -> Values:
    """The customer_photos row of `photo`."""
    return {**asdict(photo), "renditions": [asdict(r) for r in photo.renditions]}


def photo_from_row(row: RowMapping) -> CustomerPhoto:
    """The customer photo stored in `row`."""
    return CustomerPhoto(
        submission_id=row["submission_id"],
        sku=row["sku"],
        display_name=row["display_name"],
        caption=row["caption"],
        width=row["width"],
        height=row["height"],
        placeholder=row["placeholder"],
        approved_at=row["approved_at"],
        renditions=tuple(Rendition(**r) for r in row["renditions"]),
    )


def email_values(email: EmailRecord, created_at: datetime) -> Values:
    """The emails row of `email`, owed since `created_at`."""
    return {**asdict(email), "status": str(email.status), "created_at": created_at}


def email_from_row(row: RowMapping) -> EmailRecord:
    """The owed email stored in `row`."""
    return EmailRecord(
        id=row["id"],
        submission_id=row["submission_id"],
        kind=row["kind"],
        to=row["to"],
        status=EmailStatus(row["status"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        sent_at=row["sent_at"],
        held_until=row["held_until"],
    )


def outbox_values(message: OutboxMessage, created_at: datetime) -> Values:
    """The outbox row of `message`, written at `created_at`."""
    return {**asdict(message), "created_at": created_at, "dispatched_at": None}


def outbox_from_row(row: RowMapping) -> OutboxMessage:
    """The queue message stored in `row`."""
    return OutboxMessage(
        id=row["id"], queue=row["queue"], body=row["body"], submission_id=row["submission_id"]
    )


def audit_values(entry: AuditEntry) -> Values:
    """The audit_log row of `entry`."""
    from_status = None if entry.from_status is None else str(entry.from_status)
    return {**asdict(entry), "from_status": from_status, "to_status": str(entry.to_status)}


def audit_from_row(row: RowMapping) -> AuditEntry:
    """The state change stored in `row`."""
    from_status = row["from_status"]
    return AuditEntry(
        submission_id=row["submission_id"],
        from_status=None if from_status is None else Status(from_status),
        to_status=Status(row["to_status"]),
        actor=row["actor"],
        reason=row["reason"],
        at=row["at"],
    )
