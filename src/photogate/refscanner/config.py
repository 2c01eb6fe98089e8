"""How the reference scanner behaves: capacity, latency, API key, optional nudity check."""

from __future__ import annotations

from dataclasses import dataclass, field

from photogate.refscanner.faults import FaultConfig


@dataclass(frozen=True)
class RefScannerConfig:
    """Start-up settings of the reference scanner; capacity can change later via the admin API.

    `slots` scans run at once, each taking at least `latency_s`; an empty `api_key` turns
    authentication off; `unavailable` starts it answering 503 (as during a redeploy);
    `faults` injects errors, resets, hangs and slow answers (off by default; see faults.py).
    """

    slots: int = 8
    latency_s: float = 0.1
    api_key: str = ""
    retry_after_s: int = 1
    model_version: str = "refscanner-1.0"
    nudity: bool = False
    unavailable: bool = False
    faults: FaultConfig = field(default_factory=FaultConfig)

    def __post_init__(self) -> None:
        if self.slots < 0:
            raise ValueError(f"slots must be 0 or more, not {self.slots}")
        if self.latency_s < 0:
            raise ValueError(f"latency_s must be 0 or more, not {self.latency_s}")
        if self.retry_after_s < 0:
            raise ValueError(f"retry_after_s must be 0 or more, not {self.retry_after_s}")
