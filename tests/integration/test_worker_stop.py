"""A worker stopped with SIGTERM says so: in its log with what it had in hand, and in a last
heartbeat that `photogate status` shows as stopped, not alive.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from photogate.settings import Settings
from tests.support.processes import free_port, photogate_process, photogate_status, wait_until
from tests.support.web_stack import prepare

pytestmark = pytest.mark.integration


def workers(env: dict[str, str]) -> list[dict[str, object]]:
    found = photogate_status(env)["workers"]
    assert isinstance(found, list)
    return found


def test_a_worker_stopped_by_sigterm_logs_it_and_shows_as_stopped(tmp_path: Path) -> None:
    """While it runs, status lists the worker as not stopped; after SIGTERM its log says
    "stopping: 0 in hand" and status shows its last beat as stopped, with no in-flight work.
    """
    settings = Settings(_env_file=None, data_dir=tmp_path / "var")
    prepare(settings, [])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PHOTOGATE_")},
        "PHOTOGATE_DATA_DIR": str(settings.data_dir),
        # Nothing listens there: the worker runs (and beats) without a scanner.
        "PHOTOGATE_SCANNER__URL": f"http://127.0.0.1:{free_port()}",
    }
    log = tmp_path / "worker.log"
    with photogate_process(["worker"], env, log) as worker:
        [running] = wait_until(lambda: workers(env) or None, 60, "the worker's first beat")
        assert running["stopped"] is False
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0, log.read_text()
    assert "stopping: 0 in hand" in log.read_text()
    [stopped] = workers(env)
    assert (stopped["worker"], stopped["stopped"]) == (running["worker"], True)
    assert (stopped["in_flight"], stopped["scanner"]) == (0, "worker stopped")
