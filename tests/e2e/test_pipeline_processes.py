"""End to end on the embedded default: web, worker and reference scanner as real processes."""

from __future__ import annotations

import email
import email.policy
import io
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from PIL import Image

from photogate.testing import samples
from tests.support.processes import (
    free_port,
    healthy,
    photogate_process,
    photogate_status,
    reference_scanner,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FINAL = {"approved", "rejected", "needs_review", "failed"}
SKU = "TT-TENT-2P"


@dataclass(frozen=True)
class Stack:
    """The running pipeline: the shop's base URL and its data dir."""

    url: str
    data_dir: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Migrate and seed a fresh data dir, then run scanner, worker and web processes."""
    data_dir = tmp_path_factory.mktemp("e2e")
    web_port, scanner_port = free_port(), free_port()
    env = {
        "PHOTOGATE_DATA_DIR": str(data_dir),
        "PHOTOGATE_SCANNER__URL": f"http://127.0.0.1:{scanner_port}",
        "PHOTOGATE_SCANNER__API_KEY": "e2e-test-key",
        "PHOTOGATE_WEB__PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
        # One address sends ~60 photos of one product: the abuse limits would stop it.
        "PHOTOGATE_UPLOADS__PER_IP_PER_HOUR": "0",
        "PHOTOGATE_UPLOADS__PER_EMAIL_PER_PRODUCT_PER_DAY": "0",
        # The same pictures again and again would be near-copies of the first one published:
        # these tests count scanner verdicts; near-copies have unit and browser tests.
        "PHOTOGATE_SCREENING__PHASH_MAX_DISTANCE": "-1",
    }
    log = data_dir / "processes.log"
    with photogate_process(["db", "upgrade"], env, log) as migrate:
        assert migrate.wait(60) == 0, log.read_text()
    with photogate_process(["demo", "seed"], env, log) as seed:
        assert seed.wait(120) == 0, log.read_text()
    with (
        reference_scanner(8, 0.02, log, port=scanner_port, env=env),
        photogate_process(["worker"], env, log),
        photogate_process(["web", "--port", str(web_port)], env, log),
    ):
        url = f"http://127.0.0.1:{web_port}"
        wait_until(lambda: healthy(f"{url}/healthz"), 60, "the web process")
        # The 5 s promise is for a running pipeline: its clock must not include start-up.
        wait_until(lambda: "worker started" in log.read_text(), 60, "the worker process")
        yield Stack(url, data_dir, env)


def upload(stack: Stack, data: bytes, name: str, sku: str = SKU) -> str:
    """Upload one photo through the real HTTP API; returns the submission id (the first one's,
    for a repeat of the same file).
    """
    form = {
        "email": "kim@example.com",
        "display_name": "Kim",
        "consent": "true",
        "caption": f"sample {name}",
    }
    response = httpx.post(
        f"{stack.url}/api/products/{sku}/photos",
        data=form,
        files={"file": (name, data, "application/octet-stream")},
        timeout=30,
    )
    # 200: this very file was sent for this product before, and the answer names that upload.
    assert response.status_code in {200, 202}, response.text
    assert response.headers["location"] == f"/api/submissions/{response.json()['id']}"
    return str(response.json()["id"])


def final_state(stack: Stack, submission_id: str) -> dict[str, object] | None:
    """The submission's JSON once it is settled, else None."""
    body = httpx.get(f"{stack.url}/api/submissions/{submission_id}", timeout=10).json()
    return body if body["status"] in FINAL else None


def emails(stack: Stack) -> list[EmailMessage]:
    """Every .eml the file mailer wrote."""
    files = sorted((stack.data_dir / "outbox").glob("*.eml"))
    parsed = (email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files)
    return [m for m in parsed if isinstance(m, EmailMessage)]


KINDS: dict[str, tuple[Callable[[], bytes], str]] = {
    "clean.jpg": (lambda: samples.clean_jpeg(seed=1), "approved"),
    "low.jpg": (samples.low_quality_jpeg, "needs_review"),
    "fail.jpg": (samples.failing_jpeg, "rejected"),
    "review.jpg": (samples.review_jpeg, "needs_review"),
    "iphone.heic": (samples.heic_photo, "approved"),
    "alpha.png": (samples.png_with_alpha, "approved"),
    "gps.jpg": (samples.jpeg_with_gps_exif, "approved"),
    "photo.webp": (samples.webp_photo, "approved"),
}


def test_idle_upload_is_published_and_thanked(stack: Stack) -> None:
    """On an idle queue one upload is approved, in the gallery and thanked, in seconds (the
    time is printed; the bound leaves room for a loaded CI machine).
    """
    started = time.monotonic()
    submission_id = upload(stack, samples.clean_jpeg(seed=99), "first.jpg")
    state = wait_until(lambda: final_state(stack, submission_id), 30, "approval")
    approved_after = time.monotonic() - started
    wait_until(lambda: len(emails(stack)) >= 1, 30, "the thank-you .eml")
    elapsed = time.monotonic() - started
    print(f"\nidle upload -> approved in {approved_after:.2f}s, thanked in {elapsed:.2f}s")
    assert state["status"] == "approved"


def test_fifty_uploads_of_every_kind_reach_the_right_state(stack: Stack) -> None:
    """~50 uploads of every kind settle as the scanner rules say, one email per approval."""
    before = {m["Message-ID"] for m in emails(stack)}
    plan = [
        *[(name, kind) for _ in range(6) for name, kind in KINDS.items()],
        *[("clean.jpg", KINDS["clean.jpg"])] * 2,
    ]
    ids = {upload(stack, make(), name): expected for name, (make, expected) in plan}
    states = {i: wait_until(lambda i=i: final_state(stack, i), 90, f"submission {i}") for i in ids}
    assert {i: s["status"] for i, s in states.items()} == ids
    approved = [i for i, expected in ids.items() if expected == "approved"]
    wait_until(lambda: len(emails(stack)) - len(before) >= len(approved), 30, "every email")
    new = [m for m in emails(stack) if m["Message-ID"] not in before]
    assert len(new) == len(approved), "exactly one thank-you per approved submission"
    assert all(m["To"].addresses[0].addr_spec == "kim@example.com" for m in new)
    assert len({m["Message-ID"] for m in new}) == len(new)


def test_catalog_rows_and_public_files_carry_no_metadata(stack: Stack) -> None:
    """Every approved photo is in the product's gallery and its public files have no EXIF/GPS."""
    submission_id = upload(stack, samples.jpeg_with_gps_exif(), "gps.jpg")
    state = wait_until(lambda: final_state(stack, submission_id), 30, "approval")
    assert state["status"] == "approved"
    page = httpx.get(f"{stack.url}/api/products/{SKU}/photos?limit=100", timeout=10).json()
    assert page["total"] >= 1
    urls = [r["url"] for item in page["items"] for r in item["renditions"]]
    assert urls and all(u.startswith("/media/") for u in urls)
    for url in urls[:12]:
        response = httpx.get(f"{stack.url}{url}", timeout=10)
        assert response.status_code == 200
        image = Image.open(io.BytesIO(response.content))
        assert not image.getexif(), f"{url} still has EXIF"
        assert "exif" not in image.info and "xmp" not in image.info
    original = stack.data_dir / "blobs" / "quarantine"
    assert any(original.rglob("original.*")), "originals stay in quarantine"
    assert httpx.get(f"{stack.url}/media/../quarantine/x", timeout=5).status_code == 404


def test_status_lists_the_running_worker_with_its_scanner_answering(stack: Stack) -> None:
    """The worker process's heartbeat reaches the catalog: `photogate status --json` names one
    scan worker, heard from within the minute, its scanner answering, and warns of nothing.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOGATE_")} | stack.env
    document = photogate_status(env)
    [worker] = document["workers"]
    assert worker["scanner"] == "answering"
    assert worker["breaker_open"] is False
    assert document["warnings"] == []
