"""Migrating one SQLite catalog from several processes at the same moment, as web and worker do."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from photogate.adapters.sql.migrate import current_revision, head_revision

# Each process announces it is ready, then waits for the go file, so the upgrades truly overlap.
_UPGRADER = """
import os, sys, time
from photogate.adapters.sql.migrate import upgrade
url, go = sys.argv[1], sys.argv[2]
open(f"{go}.{os.getpid()}", "w").close()
deadline = time.monotonic() + 30
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.001)
upgrade(url)
"""


def _wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "upgrader processes never became ready"
        time.sleep(0.01)


@pytest.mark.integration
def test_simultaneous_upgrades_of_a_fresh_file_all_succeed(tmp_path: Path) -> None:
    """Three processes upgrading one new SQLite file at once all succeed: one migrates, two wait."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}"
    go = tmp_path / "go"
    upgraders = [
        subprocess.Popen(
            [sys.executable, "-c", _UPGRADER, url, str(go)], stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    _wait_for(lambda: len(list(tmp_path.glob("go.*"))) == 3)
    go.touch()
    errors = [p.communicate(timeout=60)[1] for p in upgraders]
    assert [p.returncode for p in upgraders] == [0, 0, 0], errors
    assert current_revision(url) == head_revision()
