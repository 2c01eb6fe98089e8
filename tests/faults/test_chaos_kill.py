"""Issue 3 point 7 (ii): workers SIGKILLed at random moments lose and duplicate nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from photogate.refscanner import BackgroundRefScanner, RefScannerConfig
from photogate.testing import samples
from tests.faults.pipeline import (
    Pipeline,
    account,
    duplicates,
    new_pipeline,
    scanner_json,
    statuses,
    upload_all,
    wait_all_final,
    web,
)
from tests.support.processes import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(240)]

SUBMISSIONS = 500
MIN_KILLS = 20
ENV = {
    # A message in hand when its worker is killed counts an attempt; don't let kills poison it.
    "PHOTOGATE_QUEUE__MAX_ATTEMPTS": "20",
}


class Restartable:
    """A photogate process that can be SIGKILLed and started again at once."""

    def __init__(self, pipeline: Pipeline, args: list[str]) -> None:
        self._pipeline = pipeline
        self._args = args
        self.kills = 0
        self.process = self._start()

    def kill_and_restart(self) -> None:
        """SIGKILL the process, reap it, and start a new one."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.kills += 1
        self.process = self._start()

    def stop(self) -> None:
        """SIGTERM the process and wait for it (SIGKILL if it hangs)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _start(self) -> subprocess.Popen[bytes]:
        with self._pipeline.log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "photogate", *self._args],
                env={**os.environ, **self._pipeline.env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )


class Killer(threading.Thread):
    """Kills a randomly chosen target at random moments until stopped, restarting it at once."""

    def __init__(self, targets: list[Restartable], seed: int) -> None:
        super().__init__(daemon=True)
        self.targets = targets
        self.stopped = threading.Event()
        self._random = random.Random(seed)

    @property
    def kills(self) -> int:
        """SIGKILLs sent so far."""
        return sum(target.kills for target in self.targets)

    def run(self) -> None:
        # The pause paces the chaos (it synchronises nothing): it picks the random moments.
        while not self.stopped.wait(self._random.uniform(0.4, 2.0)):
            self._random.choice(self.targets).kill_and_restart()


def test_workers_killed_at_random_lose_and_duplicate_nothing(
    template: Path, tmp_path: Path
) -> None:
    """With the scan worker and the notifier SIGKILLed at random at least 20 times during 500
    uploads, every accepted submission ends final, with no catalog row, decision or email
    missing or duplicated (what went in is counted against what came out).
    """
    images = [samples.clean_jpeg(320, 240, seed=i) for i in range(SUBMISSIONS)]
    config = RefScannerConfig(slots=4, latency_s=0.02, retry_after_s=0)
    with BackgroundRefScanner(config) as scanner:
        pipeline = new_pipeline(template, tmp_path / "data", scanner.url, ENV)
        with web(pipeline) as url:
            scans = Restartable(pipeline, ["worker", "--no-notifications"])
            notifier = Restartable(pipeline, ["worker", "--no-scans"])
            killer = Killer([scans, notifier], seed=7)
            killer.start()
            started = time.monotonic()
            try:
                accepted = upload_all(url, images)
                uploaded_after = time.monotonic() - started
                wait_until(lambda: killer.kills >= MIN_KILLS, 120, f"{MIN_KILLS} kills", step=0.2)
            finally:
                killer.stopped.set()
                killer.join()
            try:
                final = wait_all_final(pipeline, accepted, 120)
                approved = {i for i, status in final.items() if status == "approved"}
                wait_until(lambda: set(account(pipeline).eml_files) >= approved, 60, "emails")
                settled_after = time.monotonic() - started
            finally:
                scans.stop()
                notifier.stop()
        scanned = scanner_json(scanner.url, "/v1/stats")["scans"]
    counts = account(pipeline)
    print(
        f"\n{SUBMISSIONS} uploads, kills: scans {scans.kills}, notifier {notifier.kills};"
        f" final: {sorted(set(final.values()))}; uploaded in {uploaded_after:.1f} s,"
        f" all final and thanked after {settled_after:.1f} s"
    )
    assert len(set(accepted)) == SUBMISSIONS
    assert set(statuses(pipeline)) == set(accepted), "the catalog holds exactly what was accepted"
    assert set(final) == set(accepted), "every accepted submission is final: none lost"
    assert set(final.values()) == {"approved"}, "clean photos are all approved"
    assert killer.kills >= MIN_KILLS
    assert scanned == SUBMISSIONS, "each submission scanned once: redeliveries are replayed"
    assert duplicates(counts.final_transitions) == {}, "no submission decided twice"
    assert counts.final_transitions == dict.fromkeys(accepted, 1)
    assert counts.photos == dict.fromkeys(accepted, 1), "one catalog row each, none missing"
    assert counts.email_rows == dict.fromkeys(accepted, 1)
    assert counts.sent_emails == dict.fromkeys(accepted, 1)
    assert counts.eml_files == dict.fromkeys(accepted, 1), "one email each: none lost, none twice"
