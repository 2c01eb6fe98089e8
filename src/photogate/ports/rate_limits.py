"""Rate ledger: recent events counted for rate limits (part of the Catalog)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol


class RateLedger(Protocol):
    """Recent events counted for rate limits, shared by every process on the catalog."""

    async def record_rate_event(
        self, bucket: str, key: str, at: datetime, *, prune_before: datetime
    ) -> None:
        """Count one event of `key` in `bucket`; forget the bucket's ones before `prune_before`."""
        ...

    async def count_rate_events(
        self, bucket: str, key: str, *, since: datetime
    ) -> tuple[int, datetime | None]:
        """How many events of `key` in `bucket` happened at or after `since`, and the oldest."""
        ...

    async def take_rate_slot(
        self,
        bucket: str,
        key: str,
        at: datetime,
        *,
        since: datetime,
        max_events: int,
        prune_before: datetime,
    ) -> datetime | None:
        """Count one event of `key` at `at` if fewer than `max_events` (at least 1) happened at
        or after `since`; forget the bucket's ones before `prune_before`.

        Counting and counting in are one atomic step, serialized per key across every process
        on the catalog, so callers at the same moment cannot all slip under the limit. Returns
        None when the slot was taken, else the oldest event counted (nothing is written).
        """
        ...

    async def give_back_rate_slot(self, bucket: str, key: str, at: datetime) -> None:
        """Forget one event of `key` in `bucket` at `at` (a slot taken, then not used up)."""
        ...

    async def forget_rate_keys(self, bucket: str, keys: Collection[str]) -> None:
        """Forget every event of these keys in `bucket` (keys derived from an erased
        customer's address); unknown keys are no error.
        """
        ...


def require_slots(max_events: int) -> None:
    """Refuse, in every RateLedger alike, a limit no slot could ever be taken under."""
    if max_events < 1:
        raise ValueError(f"max_events must be at least 1, not {max_events}")
