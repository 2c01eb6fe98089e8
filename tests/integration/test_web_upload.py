"""The upload endpoint over real HTTP: every bad input is refused and leaves nothing behind."""

from __future__ import annotations

import http.client
import itertools
import select
import socket
import tracemalloc
from collections.abc import Callable, Iterator

import httpx
import pytest

from photogate.domain.catalog import Product
from photogate.entrypoints.web.multipart_stream import SPOOL_BYTES
from photogate.settings import Settings
from photogate.testing import samples
from tests.support.processes import wait_until
from tests.support.web_stack import BackgroundWebStack, footprint, multipart_body, prepare

pytestmark = pytest.mark.integration

SKU = "TT-MUG-01"
PRODUCT = Product(SKU, "Camp Mug", "A speckled enamel mug for the trail.", 1250)
GOOD_FIELDS = [("email", b"ann@example.com"), ("display_name", b"Ann"), ("consent", b"true")]
MiB = 1024 * 1024
# Seeds of photos no other upload here sent: the same file twice is answered as a repeat.
_SEEDS = itertools.count(500)


def fresh_photo() -> bytes:
    """A photo this module has not uploaded before."""
    return samples.clean_jpeg(480, 360, seed=next(_SEEDS))


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundWebStack]:
    """The web app on real adapters in a fresh data dir, with one product.

    Every photo sent counts against its address's hourly limit, refused or not, and this
    module sends dozens from one address: the limit is off here (tests of it live elsewhere).
    """
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("web-upload"),
        uploads={"per_ip_per_hour": 0},
    )
    prepare(settings, [PRODUCT])
    with BackgroundWebStack(settings) as stack:
        yield stack


@pytest.fixture
def unchanged(web: BackgroundWebStack) -> Iterator[None]:
    """Asserts, after the test, that no file, row or queue message was added."""
    before = footprint(web.settings)
    yield
    assert footprint(web.settings) == before


def post(
    web: BackgroundWebStack,
    fields: list[tuple[str, bytes]],
    file: bytes | None,
    *,
    sku: str = SKU,
    **file_options: bytes,
) -> httpx.Response:
    """POST a hand-built multipart form to the upload endpoint."""
    body, content_type = multipart_body(fields, file, **file_options)
    url = f"{web.url}/api/products/{sku}/photos"
    return httpx.post(url, content=body, headers={"Content-Type": content_type}, timeout=30)


def assert_refused(response: httpx.Response, status: int, *codes: str) -> None:
    """The answer is `status` with one of `codes`, in the API's error shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] in codes
    assert body["detail"]


@pytest.mark.usefixtures("unchanged")
def test_empty_file_is_refused(web: BackgroundWebStack) -> None:
    """A zero-byte file is a 400 empty_file."""
    assert_refused(post(web, GOOD_FIELDS, samples.empty()), 400, "empty_file")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("make", "filename", "content_type"),
    [
        (samples.text_file, b"note.txt", b"text/plain"),
        (samples.pdf_file, b"document.pdf", b"application/pdf"),
        (samples.html_file, b"page.html", b"text/html"),
        (samples.svg_file, b"drawing.svg", b"image/svg+xml"),
        (samples.php_as_jpg, b"photo.jpg", b"image/jpeg"),
    ],
    ids=["text", "pdf", "html", "svg", "php-as-jpg"],
)
def test_files_that_are_not_photos_are_refused(
    web: BackgroundWebStack, make: Callable[[], bytes], filename: bytes, content_type: bytes
) -> None:
    """Text, PDF, HTML, SVG and a PHP script named .jpg are a 415 unsupported_type."""
    response = post(web, GOOD_FIELDS, make(), filename=filename, content_type=content_type)
    assert_refused(response, 415, "unsupported_type")


@pytest.mark.usefixtures("unchanged")
def test_truncated_jpeg_is_refused(web: BackgroundWebStack) -> None:
    """A JPEG cut off halfway is a 400 corrupt_image."""
    assert_refused(post(web, GOOD_FIELDS, samples.truncated_jpeg()), 400, "corrupt_image")


@pytest.mark.usefixtures("unchanged")
def test_pixel_bomb_is_refused(web: BackgroundWebStack) -> None:
    """A small PNG claiming 30000x30000 pixels is a 413 image_too_large, never decoded."""
    response = post(web, GOOD_FIELDS, samples.bomb_png(), filename=b"big.png")
    assert_refused(response, 413, "image_too_large")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("make", [samples.animated_gif, samples.animated_webp], ids=["gif", "webp"])
def test_animated_images_are_refused(web: BackgroundWebStack, make: Callable[[], bytes]) -> None:
    """Animated GIF and WebP are a 415 (animated_image, or unsupported_type for GIF)."""
    assert_refused(post(web, GOOD_FIELDS, make()), 415, "animated_image", "unsupported_type")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("consent", [None, b"false"], ids=["missing", "false"])
def test_upload_without_consent_is_refused(web: BackgroundWebStack, consent: bytes | None) -> None:
    """No consent field, or consent=false, is a 422 consent_required."""
    fields = [f for f in GOOD_FIELDS if f[0] != "consent"]
    fields += [("consent", consent)] if consent is not None else []
    assert_refused(post(web, fields, samples.clean_jpeg()), 422, "consent_required")


@pytest.mark.usefixtures("unchanged")
def test_malformed_email_is_refused(web: BackgroundWebStack) -> None:
    """An email address without a domain is a 422 invalid_email."""
    fields = [("email", b"ann-at-example"), *GOOD_FIELDS[1:]]
    assert_refused(post(web, fields, samples.clean_jpeg()), 422, "invalid_email")


@pytest.mark.usefixtures("unchanged")
def test_caption_over_500_characters_is_refused(web: BackgroundWebStack) -> None:
    """A 501-character caption is a 422 caption_too_long."""
    fields = [*GOOD_FIELDS, ("caption", b"x" * 501)]
    assert_refused(post(web, fields, samples.clean_jpeg()), 422, "caption_too_long")


@pytest.mark.usefixtures("unchanged")
def test_unknown_sku_is_404(web: BackgroundWebStack) -> None:
    """Uploading to a product that does not exist is a 404 unknown_product."""
    response = post(web, GOOD_FIELDS, samples.clean_jpeg(), sku="NO-SUCH-SKU")
    assert_refused(response, 404, "unknown_product")


@pytest.mark.usefixtures("unchanged")
def test_form_without_file_part_is_refused(web: BackgroundWebStack) -> None:
    """A form with every field but the photo is a 400 file_required."""
    assert_refused(post(web, GOOD_FIELDS, None), 400, "file_required")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ([*GOOD_FIELDS, ("is_admin", b"1")], 400, "unknown_field"),
        ([*GOOD_FIELDS, ("email", b"eve@example.com")], 400, "duplicate_field"),
        ([*GOOD_FIELDS, ("caption", b"x" * 5000)], 413, "field_too_large"),
    ],
    ids=["unknown", "duplicate", "oversized"],
)
def test_odd_form_fields_are_refused(
    web: BackgroundWebStack, fields: list[tuple[str, bytes]], status: int, code: str
) -> None:
    """Unknown and repeated fields are a 400, a text field over 4 KiB a 413."""
    assert_refused(post(web, fields, samples.clean_jpeg()), status, code)


@pytest.mark.usefixtures("unchanged")
def test_body_that_is_not_multipart_is_refused(web: BackgroundWebStack) -> None:
    """A JSON body is a 415 multipart_required."""
    response = httpx.post(f"{web.url}/api/products/{SKU}/photos", json={"email": "a@b.example"})
    assert_refused(response, 415, "multipart_required")


@pytest.mark.usefixtures("unchanged")
def test_body_cut_short_is_refused(web: BackgroundWebStack) -> None:
    """A multipart body without its closing boundary is a 400 malformed_form."""
    body, content_type = multipart_body(GOOD_FIELDS, samples.clean_jpeg())
    response = httpx.post(
        f"{web.url}/api/products/{SKU}/photos",
        content=body[: len(body) // 2],
        headers={"Content-Type": content_type},
    )
    assert_refused(response, 400, "malformed_form")


@pytest.mark.usefixtures("unchanged")
def test_declared_oversized_body_is_refused_before_it_is_sent(web: BackgroundWebStack) -> None:
    """A Content-Length of 20 MiB gets a 413 file_too_large before one byte of body is sent."""
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
        sock.sendall(_request_head(f"Content-Length: {20 * MiB}"))
        assert _answered(sock, timeout=10)
        status, body = _read_response(sock)
    assert status == 413
    assert b'"file_too_large"' in body


@pytest.mark.usefixtures("unchanged")
def test_streamed_20_mib_upload_is_refused_while_streaming(web: BackgroundWebStack) -> None:
    """A 20 MiB chunked upload gets a 413 before it is all sent, with flat memory."""
    limit = web.settings.uploads.max_bytes
    chunks = _big_upload(20 * MiB)
    tracemalloc.start()
    try:
        with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
            sock.sendall(_request_head("Transfer-Encoding: chunked"))
            sent = _send_until_answered(sock, chunks, pause_after=limit + MiB)
            status, body = _read_response(sock)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 413
    assert b'"file_too_large"' in body
    assert sent < 20 * MiB
    assert next(chunks, None) is not None, "the whole body was sent before the answer"
    assert peak < 4 * MiB, f"{peak / MiB:.1f} MiB held while streaming"


def test_abandoned_upload_leaves_no_temp_file(web: BackgroundWebStack) -> None:
    """A client that hangs up halfway through the photo leaves nothing in tmp (or anywhere)."""
    before = footprint(web.settings)
    tmp = web.settings.data_dir / "tmp"
    # Past the spool size, so the photo's first half has gone to a temp file when the line drops.
    body, _ = multipart_body(GOOD_FIELDS, samples.clean_jpeg() + bytes(3 * SPOOL_BYTES))
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
        sock.sendall(_request_head(f"Content-Length: {len(body)}") + body[: len(body) // 2])
        wait_until(lambda: any(tmp.iterdir()), 10, "the upload to reach a temp file")
    wait_until(lambda: footprint(web.settings) == before, 10, "the temp file to go")


def test_photo_is_accepted_stored_and_queued(web: BackgroundWebStack) -> None:
    """A good upload is a 202 with Location; the original is quarantined, recorded and queued."""
    before = footprint(web.settings)
    response = post(web, GOOD_FIELDS, fresh_photo())
    assert response.status_code == 202, response.text
    body = response.json()
    submission_id = body["id"]
    assert response.headers["Location"] == f"/api/submissions/{submission_id}"
    assert body == {
        "id": submission_id,
        "status": body["status"],
        "status_url": f"/api/submissions/{submission_id}",
        "page_url": f"/submissions/{submission_id}",
    }
    assert body["status"] in {"received", "queued"}
    after = footprint(web.settings)
    assert _added(before, after, "quarantine") == [f"{submission_id}/original.jpeg"]
    assert _grew(before, after, "catalog rows", "submissions") == 1
    assert _grew(before, after, "queue rows", "messages") == 1
    assert after["tmp"] == []


def test_photo_past_the_spool_size_is_accepted_and_its_temp_file_removed(
    web: BackgroundWebStack,
) -> None:
    """A photo too big to hold in memory goes through a temp file: it is stored byte for byte
    and the temp file is gone once the upload is answered.
    """
    photo = samples.noisy_jpeg(1600, 1200, seed=next(_SEEDS))
    assert len(photo) > SPOOL_BYTES
    before = footprint(web.settings)
    response = post(web, GOOD_FIELDS, photo)
    assert response.status_code == 202, response.text
    after = footprint(web.settings)
    [stored] = _added(before, after, "quarantine")
    assert (web.settings.blob_dir / "quarantine" / stored).read_bytes() == photo
    assert after["tmp"] == []


@pytest.mark.parametrize(
    "filename", [b"../../etc/passwd.jpg", b"photo\x00.php.jpg"], ids=["traversal", "nul-byte"]
)
def test_client_filename_is_ignored(web: BackgroundWebStack, filename: bytes) -> None:
    """Path tricks and NUL bytes in the filename are harmless: the blob gets our own name."""
    before = footprint(web.settings)
    response = post(web, GOOD_FIELDS, fresh_photo(), filename=filename)
    assert response.status_code == 202, response.text
    added = _added(before, footprint(web.settings), "quarantine")
    assert added == [f"{response.json()['id']}/original.jpeg"]
    everything = web.settings.data_dir.parent.rglob("*")
    assert not [p for p in everything if "passwd" in p.name or ".php" in p.name]


def _request_head(length_header: str) -> bytes:
    _, content_type = multipart_body([], None)
    return (
        f"POST /api/products/{SKU}/photos HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: {content_type}\r\n{length_header}\r\n\r\n"
    ).encode()


def _big_upload(size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """The chunked-encoded body: the form fields, then a file part of `size` bytes."""
    body, _ = multipart_body(GOOD_FIELDS, b"")
    opening = body[: body.rindex(b"\r\n--")]  # everything up to the (empty) file's end
    yield _chunked(opening)
    filler = b"\xff" * chunk
    for _ in range(size // chunk):
        yield _chunked(filler)
    yield _chunked(body[len(opening) :]) + b"0\r\n\r\n"


def _chunked(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _send_until_answered(sock: socket.socket, chunks: Iterator[bytes], pause_after: int) -> int:
    """Send chunks until the server answers; past `pause_after` bytes, wait for it (10 s max)."""
    sent = 0
    for chunk in chunks:
        if _answered(sock, timeout=10 if sent > pause_after else 0):
            return sent
        sock.sendall(chunk)
        sent += len(chunk)
    return sent


def _answered(sock: socket.socket, timeout: float) -> bool:
    readable, _, _ = select.select([sock], [], [], timeout)
    return bool(readable)


def _read_response(sock: socket.socket) -> tuple[int, bytes]:
    response = http.client.HTTPResponse(sock)
    response.begin()
    try:
        return response.status, response.read()
    finally:
        response.close()


def _added(before: dict[str, object], after: dict[str, object], key: str) -> list[str]:
    old, new = before[key], after[key]
    assert isinstance(old, list)
    assert isinstance(new, list)
    return sorted(set(new) - set(old))


def _grew(before: dict[str, object], after: dict[str, object], database: str, table: str) -> int:
    old, new = before[database], after[database]
    assert isinstance(old, dict)
    assert isinstance(new, dict)
    return int(new.get(table, 0)) - int(old.get(table, 0))


def test_a_blob_store_that_cannot_write_answers_503_and_records_nothing(
    web: BackgroundWebStack,
) -> None:
    """Quarantine on a disk that refuses writes (here a folder even root cannot write in, as a
    full or read-only disk would): 503 "unavailable" with Retry-After, not a bare 500, and no
    row or queue message for a photo that was not kept.
    """
    quarantine = web.settings.blob_dir / "quarantine"
    before = footprint(web.settings)
    quarantine.rename(quarantine.with_name("quarantine.kept"))
    try:
        quarantine.symlink_to("/sys/kernel")
        response = post(web, GOOD_FIELDS, fresh_photo())
    finally:
        quarantine.unlink()
        quarantine.with_name("quarantine.kept").rename(quarantine)
    assert_refused(response, 503, "unavailable")
    assert "retry-after" in response.headers
    assert footprint(web.settings) == before
