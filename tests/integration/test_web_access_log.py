"""`photogate web`'s access log as it is written: a withdrawal link's token never reaches it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from photogate.bootstrap import withdrawal_links
from photogate.domain.submission import new_id
from photogate.settings import Settings
from tests.support.processes import free_port, healthy, photogate_process, wait_until
from tests.support.web_stack import prepare

pytestmark = pytest.mark.integration


def test_the_access_log_shows_withdrawal_requests_without_their_token(tmp_path: Path) -> None:
    """A GET and a POST of a real withdrawal link are logged, method, status and all, with
    `[redacted]` where the token was; nothing of the token is anywhere in the log. A
    successful readiness probe is not logged at all.
    """
    settings = Settings(_env_file=None, data_dir=tmp_path / "var")
    prepare(settings, [])
    submission_id = new_id()
    token = withdrawal_links(settings).token(submission_id)
    port, log = free_port(), tmp_path / "web.log"
    env = {"PHOTOGATE_DATA_DIR": str(settings.data_dir)}
    with photogate_process(["web", "--port", str(port)], env, log):
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: healthy(f"{url}/healthz"), 60, "the web process")
        assert httpx.get(f"{url}/readyz").status_code == 200
        shown = httpx.get(f"{url}/withdraw/{token}?from=email").status_code
        # A submission the catalog never had: erasing it is a 404, logged all the same.
        erased = httpx.post(f"{url}/withdraw/{token}").status_code
        lines = wait_until(lambda: _withdrawals(log), 10, "both requests in the access log")
    assert f'"GET /withdraw/[redacted]?from=email HTTP/1.1" {shown}' in lines[0]
    assert f'"POST /withdraw/[redacted] HTTP/1.1" {erased}' in lines[1]
    written = log.read_text()
    assert '"GET /healthz HTTP/1.1" 200' in written, "other paths are logged as they were"
    assert "/readyz" not in written, "a successful readiness probe is not logged"
    for secret in (token, submission_id, token.rsplit(".", 1)[1]):
        assert secret not in written


def _withdrawals(log: Path) -> list[str] | None:
    lines = [line for line in log.read_text().splitlines() if "/withdraw/" in line]
    return lines if len(lines) >= 2 else None
