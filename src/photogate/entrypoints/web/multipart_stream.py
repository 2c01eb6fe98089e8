"""Reads a multipart/form-data body as it streams in: fields to memory, the photo to memory up to
SPOOL_BYTES and past that to a temp file, so a typical photo never touches the disk twice.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from photogate.errors import InputError

FILE_FIELD: Final = "file"
TEXT_FIELDS: Final = frozenset({"email", "display_name", "caption", "consent", "licence_version"})
MAX_FIELD_BYTES: Final = 4 * 1024
# Room for the text fields, the part headers and the boundaries on top of the photo itself.
FORM_ALLOWANCE: Final = 64 * 1024
TMP_PREFIX: Final = "upload-"
TMP_SUFFIX: Final = ".part"
# A photo up to this size stays in memory (Starlette's UploadFile spools at the same size); a
# larger one goes to a temp file, so memory per upload stays bounded whatever the size limit.
SPOOL_BYTES: Final = 1024 * 1024
# Older than any upload could take: other web processes may share the folder.
STALE_AFTER_S: Final = 3600.0


def sweep_stale_uploads(tmp_dir: Path, older_than_s: float = STALE_AFTER_S) -> int:
    """Delete temp files a crashed process left behind; returns how many went."""
    cutoff, removed = time.time() - older_than_s, 0
    for path in tmp_dir.glob(f"{TMP_PREFIX}*{TMP_SUFFIX}"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another process swept it first
            continue
    return removed


def file_too_large(max_bytes: int) -> InputError:
    """The error for a photo over the limit, wherever it was noticed."""
    mib = max_bytes / (1024 * 1024)
    return InputError("file_too_large", f"The file is over {mib:g} MiB.", status=413)


def malformed(why: str) -> InputError:
    """The error for a body that is not the multipart form we expect."""
    return InputError("malformed_form", f"The form data could not be read: {why}.", status=400)


@dataclass
class ReceivedForm:
    """What arrived: the text fields and, if there was a file part, its bytes or the temp file
    holding them.
    """

    fields: dict[str, str]
    photo: bytes | Path | None
    size: int

    def discard(self) -> None:
        """Delete the temp file if there is one (quick and local, so safe to call anywhere)."""
        if isinstance(self.photo, Path):
            self.photo.unlink(missing_ok=True)


@dataclass
class _Part:
    """The part being read: its field name, and its bytes unless it is the file."""

    name: str
    data: bytearray = field(default_factory=bytearray)


class MultipartSink:
    """Feed it the body chunk by chunk; it enforces every limit as the bytes arrive.

    The client's filename is never read: a file part past `spool_bytes` goes to a temp file
    named by us.
    """

    def __init__(
        self, boundary: bytes, tmp_dir: Path, max_file_bytes: int, spool_bytes: int = SPOOL_BYTES
    ) -> None:
        self._tmp_dir, self._max_file, self._spool = tmp_dir, max_file_bytes, spool_bytes
        self._max_total, self._total = max_file_bytes + FORM_ALLOWANCE, 0
        self._headers: dict[bytes, bytes] = {}
        self._header_name, self._header_value = bytearray(), bytearray()
        self._part: _Part | None = None
        self._in_memory: bytearray | None = None
        self._file: BinaryIO | None = None
        self._received = ReceivedForm({}, None, 0)
        self._ended = False
        self._parser = self._new_parser(boundary)

    def feed(self, chunk: bytes) -> None:
        """Parse one chunk; raises InputError as soon as something is wrong or too big."""
        self._total += len(chunk)
        if self._total > self._max_total:
            raise file_too_large(self._max_file)
        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise malformed(str(exc).rstrip(".")) from None

    def finish(self) -> ReceivedForm:
        """The received form, once the whole body went in; raises InputError if it ended early."""
        self._parser.finalize()
        if not self._ended:
            raise malformed("it ended before its closing boundary")
        return self._received

    def discard(self) -> None:
        """Close and delete the temp file: the upload is abandoned."""
        if self._file is not None:
            self._file.close()
        self._received.discard()

    def _new_parser(self, boundary: bytes) -> MultipartParser:
        return MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._headers.clear,
                "on_header_field": lambda data, start, end: self._header_name.extend(
                    data[start:end]
                ),
                "on_header_value": lambda data, start, end: self._header_value.extend(
                    data[start:end]
                ),
                "on_header_end": self._header_end,
                "on_headers_finished": self._begin_part,
                "on_part_data": lambda data, start, end: self._part_data(data[start:end]),
                "on_part_end": self._end_part,
                "on_end": self._end,
            },
        )

    def _header_end(self) -> None:
        self._headers[bytes(self._header_name).strip().lower()] = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def _begin_part(self) -> None:
        name = _field_name(self._headers.get(b"content-disposition", b""))
        if name in self._received.fields or (name == FILE_FIELD and self._file_begun):
            raise InputError("duplicate_field", f"The field {name!r} was sent twice.", status=400)
        if name == FILE_FIELD:
            self._in_memory = bytearray()
        elif name not in TEXT_FIELDS:
            raise InputError("unknown_field", f"There is no form field {name[:40]!r}.", status=400)
        self._part = _Part(name)

    @property
    def _file_begun(self) -> bool:
        # Held in memory while it arrives; once spilled or ended, the received photo says so.
        return self._in_memory is not None or self._received.photo is not None

    def _spill_to_file(self, held: bytearray) -> BinaryIO:
        self._tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=TMP_SUFFIX, dir=self._tmp_dir)
        self._received.photo = Path(name)
        self._file = os.fdopen(fd, "wb")  # closed in _end_part, or by discard
        self._file.write(held)
        self._in_memory = None
        return self._file

    def _part_data(self, data: bytes) -> None:
        if self._part is None:
            raise malformed("data came before a part's headers")
        if self._part.name == FILE_FIELD:
            self._file_data(data)
        elif len(self._part.data) + len(data) > MAX_FIELD_BYTES:
            detail = f"The field {self._part.name!r} is over {MAX_FIELD_BYTES // 1024} KiB."
            raise InputError("field_too_large", detail, status=413)
        else:
            self._part.data.extend(data)

    def _file_data(self, data: bytes) -> None:
        self._received.size += len(data)
        if self._received.size > self._max_file:
            raise file_too_large(self._max_file)
        held = self._in_memory
        if held is not None and self._received.size <= self._spool:
            held.extend(data)
        elif held is not None:
            self._spill_to_file(held).write(data)
        elif self._file is not None and not self._file.closed:
            self._file.write(data)
        else:
            raise malformed("the file part was already closed")

    def _end_part(self) -> None:
        part, self._part = self._part, None
        if part is None:
            raise malformed("a part ended that never began")
        if part.name == FILE_FIELD:
            self._close_file()
        else:
            self._received.fields[part.name] = _text(part)

    def _close_file(self) -> None:
        if self._in_memory is not None:
            self._received.photo, self._in_memory = bytes(self._in_memory), None
        elif self._file is not None:
            self._file.close()

    def _end(self) -> None:
        self._ended = True


def _field_name(disposition: bytes) -> str:
    kind, options = parse_options_header(disposition)
    if kind != b"form-data" or b"name" not in options:
        raise malformed("a part has no form-data name")
    return options[b"name"].decode("latin-1")


def _text(part: _Part) -> str:
    try:
        return part.data.decode("utf-8")
    except UnicodeDecodeError:
        detail = f"The field {part.name!r} is not valid UTF-8 text."
        raise InputError("invalid_text", detail, status=400) from None
