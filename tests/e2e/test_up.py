"""`photogate up` from an empty data dir: migrates, seeds, serves, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.processes import free_port, group_alive, healthy, process_group, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_up_serves_a_seeded_shop_and_stops_on_sigterm(tmp_path: Path) -> None:
    """An empty data dir becomes a 12-product shop; SIGTERM stops every child and exits 0."""
    port, scanner_port = free_port(), free_port()
    env = {**os.environ, "PHOTOGATE_DATA_DIR": str(tmp_path / "var")}
    command = [
        sys.executable,
        "-m",
        "photogate",
        "up",
        "--port",
        str(port),
        "--scanner-port",
        str(scanner_port),
    ]
    with process_group(command, env, tmp_path / "up.log") as up:
        wait_until(lambda: healthy(f"http://127.0.0.1:{port}/healthz"), 90, "photogate up")
        products = httpx.get(f"http://127.0.0.1:{port}/api/products", timeout=10).json()
        assert len(products) == 12
        assert healthy(f"http://127.0.0.1:{scanner_port}/v1/health")
        wait_until(lambda: "photogate is running" in (tmp_path / "up.log").read_text(), 10, "URL")
        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=30) == 0
        # Its own SIGTERM, to `up` alone, left none of its children behind.
        assert not group_alive(up.pid)
    assert not healthy(f"http://127.0.0.1:{port}/healthz")
    assert not healthy(f"http://127.0.0.1:{scanner_port}/v1/health")
    assert f"http://127.0.0.1:{port}" in (tmp_path / "up.log").read_text()
