"""`photogate web` decides who a client is itself: a header the client writes cannot change
the address its upload limit is counted against.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from photogate.domain.catalog import Product
from photogate.settings import Settings
from photogate.testing import samples
from tests.support.processes import free_port, healthy, photogate_process, wait_until
from tests.support.web_stack import multipart_body, prepare

pytestmark = pytest.mark.integration

SKU = "TT-MUG-01"
FIELDS = [("email", b"ann@example.com"), ("display_name", b"Ann"), ("consent", b"true")]


def test_a_forged_x_forwarded_for_does_not_escape_the_per_address_limit(tmp_path: Path) -> None:
    """With no trusted proxy (TRUSTED_PROXY_HOPS=0) and one upload an hour per address, a
    second upload claiming another address in X-Forwarded-For is refused 429 all the same,
    though it comes from loopback, where uvicorn would otherwise believe the header.
    """
    settings = Settings(_env_file=None, data_dir=tmp_path / "var")
    prepare(settings, [Product(SKU, "Camp Mug", "An enamel mug.", 1250)])
    port, log = free_port(), tmp_path / "web.log"
    env = {
        "PHOTOGATE_DATA_DIR": str(settings.data_dir),
        "PHOTOGATE_UPLOADS__PER_IP_PER_HOUR": "1",
    }
    with photogate_process(["web", "--port", str(port)], env, log):
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: healthy(f"{url}/healthz"), 60, "the web process")
        statuses = []
        for seed, forged in ((1, {}), (2, {"X-Forwarded-For": "203.0.113.9"})):
            body, content_type = multipart_body(FIELDS, samples.clean_jpeg(320, 240, seed=seed))
            headers = {"Content-Type": content_type, **forged}
            answer = httpx.post(f"{url}/api/products/{SKU}/photos", content=body, headers=headers)
            statuses.append(answer.status_code)
    assert statuses == [202, 429], log.read_text()
    assert "203.0.113.9" not in log.read_text()
