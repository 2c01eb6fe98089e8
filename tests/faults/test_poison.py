"""Issue 3 point 7 (iii): a scan that always fails goes to the poison queue; other work flows on."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from photogate.refscanner import BackgroundRefScanner, RefScannerConfig
from photogate.refscanner.faults import FaultConfig
from photogate.testing import samples
from tests.faults.pipeline import (
    FINAL,
    Pipeline,
    new_pipeline,
    scanner_json,
    statuses,
    upload,
    upload_all,
    wait_all_final,
    web,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

MAX_ATTEMPTS = 3
MAX_UPLOADS = 200
POISON_SIZE = (333, 222)  # the reference scanner answers 500 to every image of this size
ENV = {
    "PHOTOGATE_QUEUE__MAX_ATTEMPTS": str(MAX_ATTEMPTS),
    # Retries of the poison message spread over a few seconds, while the others pass it.
    "PHOTOGATE_QUEUE__BACKOFF_BASE_S": "1",
}


def test_an_always_failing_scan_is_poisoned_after_max_attempts_while_others_publish(
    template: Path, tmp_path: Path
) -> None:
    """The message of a scan that always gets a 500 reaches scans-poison after exactly
    max_attempts attempts, its submission is failed with the last error, and the
    submissions around it are published meanwhile.
    """
    config = RefScannerConfig(
        slots=8, latency_s=0.01, faults=FaultConfig(fail_sizes=frozenset({POISON_SIZE}))
    )
    with BackgroundRefScanner(config) as scanner:
        pipeline = new_pipeline(template, tmp_path / "data", scanner.url, ENV)
        with web(pipeline) as url, pipeline.process(["worker"]):
            first = upload_all(url, [samples.clean_jpeg(320, 240, seed=i) for i in range(4)])
            poison = upload(url, samples.clean_jpeg(*POISON_SIZE, seed=99), "poison.jpg")
            # A steady stream of other uploads for as long as the poison message is retried.
            others = [*first, *_upload_while_not_final(pipeline, url, poison)]
            final = wait_all_final(pipeline, [poison, *others], 60)
        injected = scanner_json(scanner.url, "/v1/admin/faults")["injected"]
    assert final.pop(poison) == "failed"
    assert set(final.values()) == {"approved"}
    assert injected == {"error_500": MAX_ATTEMPTS, "error_503": 0, "reset": 0, "hang": 0, "slow": 0}
    records = _poison_records(pipeline)
    assert [(r["attempts"], json.loads(r["body"])["submission_id"]) for r in records] == [
        (MAX_ATTEMPTS, poison)
    ]
    reason = _status_reason(pipeline, poison)
    assert reason == records[0]["error"] and "500" in reason
    assert _approved_between_first_scan_and_failure(pipeline, poison)


def _upload_while_not_final(pipeline: Pipeline, url: str, watched: str) -> list[str]:
    """Upload one photo after another until `watched` is final; returns their ids."""
    ids: list[str] = []
    for seed in range(100, 100 + MAX_UPLOADS):
        if statuses(pipeline)[watched] in FINAL:
            return ids
        ids.append(upload(url, samples.clean_jpeg(320, 240, seed=seed), f"p{seed}.jpg"))
    raise AssertionError(f"{watched} was not final after {MAX_UPLOADS} other uploads")


def _poison_records(pipeline: Pipeline) -> list[dict[str, object]]:
    queue = pipeline.data_dir / "queue.sqlite3"
    with closing(sqlite3.connect(queue)) as db:
        rows = db.execute("SELECT body FROM messages WHERE queue = 'scans-poison'").fetchall()
    return [json.loads(body) for (body,) in rows]


def _status_reason(pipeline: Pipeline, submission_id: str) -> str:
    with closing(pipeline.catalog()) as db:
        query = "SELECT status_reason FROM submissions WHERE id = ?"
        return str(db.execute(query, (submission_id,)).fetchone()[0])


def _approved_between_first_scan_and_failure(pipeline: Pipeline, poison: str) -> int:
    """How many other submissions were approved while the poison message was being retried."""
    with closing(pipeline.catalog()) as db:
        started, failed = db.execute(
            "SELECT MIN(CASE WHEN to_status = 'scanning' THEN at END),"
            " MAX(CASE WHEN to_status = 'failed' THEN at END)"
            " FROM audit_log WHERE submission_id = ?",
            (poison,),
        ).fetchone()
        (count,) = db.execute(
            "SELECT COUNT(*) FROM audit_log WHERE to_status = 'approved'"
            " AND submission_id != ? AND at > ? AND at < ?",
            (poison, started, failed),
        ).fetchone()
    return int(count)
