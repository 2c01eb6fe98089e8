"""`photogate web` caps the connections it serves at once (PHOTOGATE_WEB__MAX_CONNECTIONS), so a
flood of open connections or half-sent uploads cannot hold unbounded memory.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.support.processes import free_port, healthy, photogate_process, wait_until

LIMIT = 3


@pytest.fixture(scope="module")
def web_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`photogate web` on a migrated data dir, serving at most LIMIT connections at once."""
    data_dir = tmp_path_factory.mktemp("connection-limit")
    port = free_port()
    env = {"PHOTOGATE_DATA_DIR": str(data_dir), "PHOTOGATE_WEB__MAX_CONNECTIONS": str(LIMIT)}
    log = data_dir / "web.log"
    with photogate_process(["db", "upgrade"], env, log) as migrate:
        assert migrate.wait(60) == 0, log.read_text()
    with photogate_process(["web", "--port", str(port)], env, log):
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: healthy(f"{url}/healthz"), 60, "the web process")
        yield url


def _status(url: str) -> int:
    return httpx.get(f"{url}/healthz", timeout=5).status_code


def test_requests_past_the_limit_get_503_until_connections_close(web_url: str) -> None:
    """With LIMIT connections held open, a new request is answered 503; once they close, the
    next one is served again.
    """
    port = int(web_url.rsplit(":", 1)[1])
    with ExitStack() as held:
        for _ in range(LIMIT):
            held.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
        wait_until(lambda: _status(web_url) == 503, 10, "a 503 past the limit")
    wait_until(lambda: _status(web_url) == 200, 10, "service once they have closed")


def test_a_limit_below_one_stops_start_up_with_the_setting_named(tmp_path: Path) -> None:
    """MAX_CONNECTIONS=0 would refuse every request: start-up fails and says which setting."""
    env = {"PHOTOGATE_DATA_DIR": str(tmp_path), "PHOTOGATE_WEB__MAX_CONNECTIONS": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "photogate", "web", "--port", str(free_port())],
        env={**os.environ, **env},
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert (
        "PHOTOGATE_WEB__MAX_CONNECTIONS: Input should be greater than or equal to 1" in done.stderr
    )
