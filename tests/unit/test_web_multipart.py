"""MultipartSink: the upload form parsed as it streams in, with every limit enforced on the way."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from photogate.entrypoints.web.multipart_stream import (
    MultipartSink,
    ReceivedForm,
    sweep_stale_uploads,
)
from photogate.errors import InputError
from tests.support.web_stack import multipart_body

BOUNDARY = b"photogate-test-boundary"
FIELDS = [
    ("email", "zoë@example.com".encode()),
    ("display_name", b"Zo\xc3\xab"),
    ("consent", b"on"),
]
PHOTO = bytes(range(256)) * 40


def feed_all(sink: MultipartSink, body: bytes, chunk: int) -> ReceivedForm:
    """Feed `body` in pieces of `chunk` bytes, then finish."""
    for start in range(0, len(body), chunk):
        sink.feed(body[start : start + chunk])
    return sink.finish()


def photo_bytes(received: ReceivedForm) -> bytes:
    """The received photo's bytes, wherever the sink kept them."""
    assert received.photo is not None
    return received.photo.read_bytes() if isinstance(received.photo, Path) else received.photo


@pytest.mark.parametrize("spool", [0, 5000, len(PHOTO) - 1, len(PHOTO), 1 << 20])
@pytest.mark.parametrize("chunk", [1, 7, 4096, 1 << 20])
def test_fields_and_file_survive_any_chunking(tmp_path: Path, chunk: int, spool: int) -> None:
    """However the body is cut into chunks, and whether the photo stays in memory or spills to
    a temp file part-way, the fields and the file bytes come out whole.
    """
    body, _ = multipart_body(FIELDS, PHOTO)
    received = feed_all(MultipartSink(BOUNDARY, tmp_path, 1 << 20, spool), body, chunk)
    assert received.fields == {"email": "zoë@example.com", "display_name": "Zoë", "consent": "on"}
    assert photo_bytes(received) == PHOTO
    assert received.size == len(PHOTO)
    received.discard()
    assert list(tmp_path.iterdir()) == []


def test_photo_up_to_the_spool_size_never_touches_the_disk(tmp_path: Path) -> None:
    """A photo no larger than the spool size is held in memory: no temp file is made."""
    body, _ = multipart_body(FIELDS, PHOTO)
    received = feed_all(MultipartSink(BOUNDARY, tmp_path, 1 << 20, len(PHOTO)), body, 1000)
    assert received.photo == PHOTO
    assert list(tmp_path.iterdir()) == []


def test_photo_past_the_spool_size_goes_to_one_temp_file(tmp_path: Path) -> None:
    """A photo one byte past the spool size is written to a single temp file in tmp_dir."""
    body, _ = multipart_body(FIELDS, PHOTO)
    received = feed_all(MultipartSink(BOUNDARY, tmp_path, 1 << 20, len(PHOTO) - 1), body, 1000)
    assert isinstance(received.photo, Path)
    assert list(tmp_path.iterdir()) == [received.photo]
    assert received.photo.read_bytes() == PHOTO
    received.discard()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("spool", [0, 1 << 20], ids=["spilled", "in-memory"])
def test_a_second_file_part_is_refused_and_leaves_nothing(tmp_path: Path, spool: int) -> None:
    """Two photos in one form are a 400 duplicate_field, wherever the first one was held."""
    body, _ = multipart_body([*FIELDS, ("file", PHOTO)], PHOTO)
    sink = MultipartSink(BOUNDARY, tmp_path, 1 << 20, spool)
    with pytest.raises(InputError) as refused:
        feed_all(sink, body, 4096)
    assert (refused.value.code, refused.value.status) == ("duplicate_field", 400)
    sink.discard()
    assert list(tmp_path.iterdir()) == []


def test_empty_file_part_is_received_as_empty_bytes(tmp_path: Path) -> None:
    """A file part with no bytes is an empty photo (refused by intake as empty), not a missing
    one.
    """
    body, _ = multipart_body(FIELDS, b"")
    received = feed_all(MultipartSink(BOUNDARY, tmp_path, 1 << 20), body, 4096)
    assert (received.photo, received.size) == (b"", 0)


def test_file_over_the_limit_stops_as_soon_as_it_passes(tmp_path: Path) -> None:
    """The file part is refused the moment it passes the limit; the temp file never exceeds it."""
    limit = 10_000
    sink = MultipartSink(BOUNDARY, tmp_path, limit, spool_bytes=1000)
    body, _ = multipart_body(FIELDS, b"\xff" * (limit * 3))
    with pytest.raises(InputError) as refused:
        for start in range(0, len(body), 1000):
            sink.feed(body[start : start + 1000])
            assert all(p.stat().st_size <= limit for p in tmp_path.iterdir())
    assert (refused.value.code, refused.value.status) == ("file_too_large", 413)
    sink.discard()
    assert list(tmp_path.iterdir()) == []


def test_client_filename_never_names_the_temp_file(tmp_path: Path) -> None:
    """A filename with a path in it is ignored: the temp file is ours, inside tmp_dir."""
    body, _ = multipart_body(FIELDS, PHOTO, filename=b"../../evil.jpg")
    received = feed_all(MultipartSink(BOUNDARY, tmp_path, 1 << 20, spool_bytes=0), body, 4096)
    assert isinstance(received.photo, Path)
    assert received.photo.parent == tmp_path
    assert "evil" not in received.photo.name
    received.discard()


def test_invalid_utf8_in_a_field_is_refused(tmp_path: Path) -> None:
    """A text field that is not UTF-8 is a 400 invalid_text."""
    body, _ = multipart_body([("display_name", b"\xff\xfe")], PHOTO)
    with pytest.raises(InputError, match="invalid_text"):
        feed_all(MultipartSink(BOUNDARY, tmp_path, 1 << 20), body, 4096)


def test_part_without_a_form_data_name_is_refused(tmp_path: Path) -> None:
    """A part whose Content-Disposition has no name is a 400 malformed_form."""
    body = b"--" + BOUNDARY + b"\r\nContent-Disposition: attachment\r\n\r\nx\r\n--" + BOUNDARY
    with pytest.raises(InputError, match="malformed_form"):
        feed_all(MultipartSink(BOUNDARY, tmp_path, 1 << 20), body + b"--\r\n", 4096)


def test_sweep_removes_only_old_upload_files(tmp_path: Path) -> None:
    """Leftover temp files older than the cut-off go; fresh ones and other files stay."""
    old, fresh, other = (tmp_path / n for n in ("upload-a.part", "upload-b.part", "keep.txt"))
    for path in (old, fresh, other):
        path.write_bytes(b"x")
    an_hour_ago = time.time() - 7200
    os.utime(old, (an_hour_ago, an_hour_ago))
    os.utime(other, (an_hour_ago, an_hour_ago))
    assert sweep_stale_uploads(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt", "upload-b.part"]
