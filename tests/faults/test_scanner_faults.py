"""Issue 3 point 7 (i): with a fifth of the scanner's answers faulty, all settle exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from photogate.refscanner import BackgroundRefScanner, RefScannerConfig
from photogate.refscanner.faults import FaultConfig
from photogate.testing import samples
from tests.faults.pipeline import (
    account,
    duplicates,
    new_pipeline,
    scanner_json,
    upload_all,
    wait_all_final,
    web,
)
from tests.support.processes import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

SUBMISSIONS = 60
# Hangs outlast the worker's 1 s scanner timeout (FAST_ENV); slow answers stay within it.
FAULTS = FaultConfig(share=0.2, hang_s=3.0, slow_s=0.3, seed=20)


def test_with_a_fifth_of_scans_faulty_every_submission_settles_exactly_once(
    template: Path, tmp_path: Path
) -> None:
    """Under 20 % faults (500, 503, reset, hang, slow) every submission reaches a final state
    with one scan, one decision, at most one photo row and exactly one email per approval.
    """
    config = RefScannerConfig(slots=8, latency_s=0.01, retry_after_s=0, faults=FAULTS)
    images = [samples.clean_jpeg(320, 240, seed=i) for i in range(SUBMISSIONS)]
    with BackgroundRefScanner(config) as scanner:
        pipeline = new_pipeline(template, tmp_path / "data", scanner.url)
        with web(pipeline) as url, pipeline.process(["worker"]):
            ids = upload_all(url, images)
            final = wait_all_final(pipeline, ids, 90)
            approved = {i for i, status in final.items() if status == "approved"}
            wait_until(lambda: set(account(pipeline).eml_files) >= approved, 30, "the emails")
        stats, faults = (
            scanner_json(scanner.url, "/v1/stats"),
            scanner_json(scanner.url, "/v1/admin/faults"),
        )
    counts = account(pipeline)
    injected = faults["injected"]
    assert isinstance(injected, dict)
    print(f"\n{SUBMISSIONS} submissions: {stats} injected {injected}")
    assert set(final) == set(ids)
    assert set(final.values()) <= {"approved", "failed"}, "clean photos are approved or given up"
    assert sum(injected.values()) >= 5, "faults were injected"
    assert isinstance(stats["scans"], int) and stats["scans"] <= SUBMISSIONS, "no id scanned twice"
    assert counts.final_transitions == dict.fromkeys(ids, 1), "one decision per submission"
    assert counts.photos == dict.fromkeys(approved, 1), "one catalog row per approval"
    assert counts.eml_files == dict.fromkeys(approved, 1), "one email per approval"
    assert not duplicates(counts.email_rows)
