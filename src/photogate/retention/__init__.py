"""Retention: deleting quarantine originals of settled and published submissions."""

from __future__ import annotations

from photogate.retention.purge import (
    PurgedOriginal,
    PurgeReport,
    RetentionPolicy,
    purge,
    purge_originals,
)

__all__ = ["PurgeReport", "PurgedOriginal", "RetentionPolicy", "purge", "purge_originals"]
