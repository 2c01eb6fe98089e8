"""The non-contract admin API: reading a capacity change from POST /v1/admin/capacity."""

from __future__ import annotations

import math
from dataclasses import dataclass

from photogate.refscanner.refusal import Refusal

FIELDS = frozenset({"slots", "latency_s", "unavailable"})


@dataclass(frozen=True)
class CapacityChange:
    """New capacity settings; None leaves one as it is."""

    slots: int | None = None
    latency_s: float | None = None
    unavailable: bool | None = None


def parse_capacity_change(data: object) -> CapacityChange:
    """Read {"slots": int >= 0, "latency_s": number >= 0, "unavailable": bool}, each optional."""
    if not isinstance(data, dict):
        raise _bad("the body must be a JSON object")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise _bad(f"unknown fields: {', '.join(unknown)}; known: {', '.join(sorted(FIELDS))}")
    return CapacityChange(
        _slots(data.get("slots")), _latency(data.get("latency_s")), _flag(data.get("unavailable"))
    )


def _slots(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad("slots must be an integer, 0 or more")
    return value


def _latency(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
        raise _bad("latency_s must be a number of seconds, 0 or more")
    return float(value)


def _flag(value: object) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise _bad("unavailable must be true or false")
    return value


def _bad(detail: str) -> Refusal:
    return Refusal(400, "bad_admin_request", detail)
