"""A request body that stops arriving is answered 408 within PHOTOGATE_WEB__BODY_IDLE_TIMEOUT_S
and its connection closed, leaving nothing behind; a slow body that keeps moving is served.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from photogate.domain.catalog import Product
from photogate.settings import Settings
from photogate.testing import samples
from tests.support.processes import wait_until
from tests.support.web_stack import BackgroundWebStack, footprint, multipart_body, prepare

pytestmark = pytest.mark.integration

SKU = "TT-SLOW-1"
IDLE_S = 1.0
MiB = 1024 * 1024
FIELDS = [("email", b"sol@example.com"), ("display_name", b"Sol"), ("consent", b"true")]


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundWebStack]:
    """The web app on real adapters, with a one-second body idle timeout."""
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("body-timeout"),
        web={"body_idle_timeout_s": IDLE_S},
    )
    prepare(settings, [Product(SKU, "Slow Lamp", "A lamp.", 2500)])
    with BackgroundWebStack(settings) as stack:
        yield stack


def connect(
    web: BackgroundWebStack, path: str, content_type: str, length: int, *, close: bool = False
) -> socket.socket:
    """A connection that has sent a POST's headers, declaring a body of `length` bytes; with
    `close`, asking the server to close it after answering (else it is kept alive).
    """
    sock = socket.create_connection(("127.0.0.1", web.port), timeout=10 * IDLE_S)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\nConnection: {'close' if close else 'keep-alive'}\r\n\r\n"
    )
    sock.sendall(head.encode())
    return sock


def answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body the server sent before closing the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines)
    return int(status_line.split()[1]), headers, body


def tmp_files(web: BackgroundWebStack) -> list[Path]:
    return [p for p in (web.settings.data_dir / "tmp").rglob("*") if p.is_file()]


def test_an_upload_that_stalls_mid_body_gets_408_and_leaves_nothing(
    web: BackgroundWebStack,
) -> None:
    """Two MiB of a larger photo, then silence: 408 in the API's error shape within the idle
    timeout, the connection closed, the half-written temp file gone, nothing stored.
    """
    before = footprint(web.settings)
    body, content_type = multipart_body(FIELDS, b"\xff\xd8" + b"x" * (4 * MiB))
    sock = connect(web, f"/api/products/{SKU}/photos", content_type, len(body))
    with sock:
        sock.sendall(body[: 2 * MiB])
        wait_until(lambda: bool(tmp_files(web)), IDLE_S / 2, "the photo spooled to a temp file")
        stalled = time.monotonic()
        status, headers, reply = answer(sock)
        waited = time.monotonic() - stalled
    assert status == 408
    assert json.loads(reply)["error"] == "request_timeout"
    assert headers["connection"] == "close"
    assert waited < IDLE_S + 1.5
    assert tmp_files(web) == []
    assert footprint(web.settings) == before


def test_a_console_form_that_never_arrives_gets_408(web: BackgroundWebStack) -> None:
    """Every request body is bounded, not only uploads: a sign-in form's headers alone get 408
    (as a page) once the idle timeout has passed.
    """
    sock = connect(web, "/console/sign-in", "application/x-www-form-urlencoded", 100)
    with sock:
        started = time.monotonic()
        status, headers, reply = answer(sock)
        waited = time.monotonic() - started
    assert status == 408
    assert headers["connection"] == "close"
    assert b"stopped arriving" in reply
    assert IDLE_S * 0.9 <= waited < IDLE_S + 1.5


def test_a_json_body_that_stalls_gets_408_not_a_parse_error(web: BackgroundWebStack) -> None:
    """FastAPI answers any failure reading a JSON body 400; a stalled one is still a 408."""
    sock = connect(web, f"/api/products/{SKU}/uploads", "application/json", 200)
    with sock:
        sock.sendall(b'{"email": "sol@')
        status, _, reply = answer(sock)
    assert status == 408
    assert json.loads(reply)["error"] == "request_timeout"


def test_a_slow_upload_that_keeps_moving_is_accepted(web: BackgroundWebStack) -> None:
    """A photo sent in pieces, each well within the idle timeout but taking longer than it in
    all, is accepted as usual.
    """
    body, content_type = multipart_body(FIELDS, samples.clean_jpeg(640, 480, seed=901))
    pieces = [body[n : n + len(body) // 5 + 1] for n in range(0, len(body), len(body) // 5 + 1)]
    sock = connect(web, f"/api/products/{SKU}/photos", content_type, len(body), close=True)
    with sock:
        started = time.monotonic()
        for piece in pieces:
            time.sleep(IDLE_S * 0.5)
            sock.sendall(piece)
        status, _, reply = answer(sock)
    assert time.monotonic() - started > 2 * IDLE_S
    assert status == 202, reply
