"""The tests' process helpers stop a process and every child it started, however a test ends,
so no orphan (like `photogate up`'s scanner, worker and web) outlives the test on its port.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.support.processes import group_alive, process_group, running, wait_until

pytestmark = pytest.mark.integration

# A stand-in for `photogate up`: a leader that starts a child (which writes its pid to argv[1]
# once running) and, like a supervisor killed outright, passes no signal on to it. With
# "ignore", both ignore SIGTERM (an ignored signal stays ignored across exec).
LEADER = """
import signal, subprocess, sys, time
if sys.argv[2] == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.Popen([sys.executable, "-c", sys.argv[3], sys.argv[1]])
time.sleep(600)
"""
CHILD = """
import os, sys, time
with open(sys.argv[1] + ".part", "w") as out:
    out.write(str(os.getpid()))
os.rename(sys.argv[1] + ".part", sys.argv[1])
time.sleep(600)
"""


def _leader(tmp_path: Path, sigterm: str) -> list[str]:
    return [sys.executable, "-c", LEADER, str(tmp_path / "child.pid"), sigterm, CHILD]


def _child_pid(tmp_path: Path) -> int:
    pid_file = tmp_path / "child.pid"
    return int(wait_until(lambda: pid_file.exists() and pid_file.read_text(), 30, "the child"))


def test_a_failing_test_leaves_no_child_of_its_process_behind(tmp_path: Path) -> None:
    """A test that fails while its process runs still ends that process's children too."""
    command, env = _leader(tmp_path, "default"), dict(os.environ)
    with pytest.raises(RuntimeError), process_group(command, env, tmp_path / "log") as leader:
        child = _child_pid(tmp_path)
        raise RuntimeError("the test failed here")
    assert not running(child)
    assert not group_alive(leader.pid)


def test_a_group_that_ignores_sigterm_is_killed_whole(tmp_path: Path) -> None:
    """When a leader and its child both ignore SIGTERM, the grace ends in SIGKILL for both."""
    command, env = _leader(tmp_path, "ignore"), dict(os.environ)
    with process_group(command, env, tmp_path / "log", grace_s=0.5) as leader:
        child = _child_pid(tmp_path)
    assert not running(child)
    assert not group_alive(leader.pid)
