"""The non-contract admin API for faults: reading a change from POST /v1/admin/faults."""

from __future__ import annotations

from photogate.refscanner.faults import FaultConfig, FaultKind, fault_kind, parse_size
from photogate.refscanner.refusal import Refusal

FIELDS = frozenset({"share", "weights", "hang_s", "slow_s", "seed", "fail_sizes"})


def parse_fault_change(data: object, current: FaultConfig) -> FaultConfig:
    """`current` changed by {"share", "weights", "hang_s", "slow_s", "seed", "fail_sizes"}.

    Each field is optional; "weights" is an object of kind to weight, "fail_sizes" a list of
    "WIDTHxHEIGHT". Anything malformed is a Refusal 400, and nothing changes.
    """
    if not isinstance(data, dict):
        raise _bad("the body must be a JSON object")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise _bad(f"unknown fields: {', '.join(unknown)}; known: {', '.join(sorted(FIELDS))}")
    try:
        return _changed(data, current)
    except (TypeError, ValueError) as exc:
        raise _bad(str(exc)) from None


def _changed(data: dict[str, object], current: FaultConfig) -> FaultConfig:
    return FaultConfig(
        share=_number("share", data.get("share", current.share)),
        weights=_weights(data["weights"]) if "weights" in data else current.weights,
        hang_s=_number("hang_s", data.get("hang_s", current.hang_s)),
        slow_s=_number("slow_s", data.get("slow_s", current.slow_s)),
        seed=_seed(data["seed"]) if "seed" in data else current.seed,
        fail_sizes=_sizes(data["fail_sizes"]) if "fail_sizes" in data else current.fail_sizes,
    )


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    return float(value)


def _weights(value: object) -> dict[FaultKind, float]:
    if not isinstance(value, dict):
        raise ValueError("weights must be an object of fault kind to weight")
    return {fault_kind(str(k)): _number(f"the weight of {k}", w) for k, w in value.items()}


def _seed(value: object) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError("seed must be an integer or null")
    return value


def _sizes(value: object) -> frozenset[tuple[int, int]]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError('fail_sizes must be a list of "WIDTHxHEIGHT" strings')
    return frozenset(parse_size(item) for item in value)


def _bad(detail: str) -> Refusal:
    return Refusal(400, "bad_admin_request", detail)
