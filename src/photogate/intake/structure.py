"""What an image file's structure says before any pixel is decoded, where the decoder's own
view would let a costly file through: how many scans a JPEG is stored in, how many chunks a
PNG has, and how large a HEIC picture is coded (its crop box may show a small part of it).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from typing import IO, Final

# JPEG markers. A baseline JPEG has one scan per component at most, a progressive one about
# ten (libjpeg's script), seldom a few dozen; each scan walks every block of the picture again.
_SOI_BYTES: Final = 2
_SOS_KIND: Final = 0xDA
_EOI: Final = 0xD9
# Markers with no segment after them: TEM and the restart markers.
_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xD8)})
# In coded data FF is followed by 00 (a stuffed byte) or a restart marker; anything else ends it.
_NEXT_MARKER: Final = re.compile(rb"\xff(?=[^\x00\xd0-\xd7])")
_BOX_HEADER: Final = struct.Struct(">I4s")
_LARGE_SIZE: Final = struct.Struct(">Q")
_ISPE: Final = struct.Struct(">4xII")  # version and flags, then width and height
# Boxes under meta that hold item properties: meta > iprp > ipco > ispe.
_CONTAINERS: Final = frozenset({b"iprp", b"ipco"})
_MAX_NESTING: Final = 4  # meta > iprp > ipco is two
_FULL_BOX_HEADER: Final = 4
# A meta box holds item info and locations, a few KB even for a tiled picture.
MAX_META_BYTES: Final = 4 * 1024 * 1024
_PNG_SIGNATURE_BYTES: Final = 8
_PNG_CHUNK: Final = struct.Struct(">I4s")
_PNG_CHUNK_OVERHEAD: Final = 12  # length, type and CRC


def jpeg_scans(fp: IO[bytes]) -> int:
    """How many scans the JPEG's main picture is stored in: its start-of-scan markers, read
    marker by marker up to its end-of-image one. A thumbnail inside an APP segment is
    skipped with the segment, and whatever follows the picture (the secondary images of a
    multi-picture file, the video of a "motion photo") is not read.
    """
    fp.seek(0)
    data = fp.read()
    scans, at = 0, _SOI_BYTES
    while (marker := _marker_at(data, at)) is not None:
        kind, at = marker
        if kind == _EOI:
            break
        if kind in _STANDALONE:
            continue
        at += int.from_bytes(data[at : at + 2], "big")  # the segment's length counts itself
        if kind == _SOS_KIND:
            scans += 1
            at = _after_entropy_coded_data(data, at)
    return scans


def _marker_at(data: bytes, at: int) -> tuple[int, int] | None:
    """The marker at `at` (fill bytes before it skipped) and where its segment starts."""
    if data[at : at + 1] != b"\xff":
        return None
    while data[at + 1 : at + 2] == b"\xff":
        at += 1
    kind = data[at + 1 : at + 2]
    return (kind[0], at + 2) if kind else None


def _after_entropy_coded_data(data: bytes, at: int) -> int:
    """Where the next marker after a scan's coded data is (stuffed FF 00 bytes and restart
    markers are part of that data), or the end of the file.
    """
    found = _NEXT_MARKER.search(data, at)
    return len(data) if found is None else found.start()


def png_chunks(fp: IO[bytes], *, stop_after: int) -> int:
    """How many chunks the PNG has, counting no further than `stop_after` + 1 (each is a step
    of the decoder's Python code, and a flood of tiny ones costs seconds).
    """
    fp.seek(_PNG_SIGNATURE_BYTES)
    count = 0
    while count <= stop_after and len(header := fp.read(_PNG_CHUNK.size)) == _PNG_CHUNK.size:
        length, _ = _PNG_CHUNK.unpack(header)
        fp.seek(length + _PNG_CHUNK_OVERHEAD - _PNG_CHUNK.size, 1)
        count += 1
    return count


def heif_coded_pixels(fp: IO[bytes]) -> int | None:
    """The most pixels any item of the HEIF file is coded with (its `ispe` properties), or
    None if its meta box cannot be found or is larger than MAX_META_BYTES.
    """
    meta = _top_level_box(fp, b"meta")
    if meta is None:
        return None
    sizes = [_ISPE.unpack_from(body) for body in _boxes_named(meta[_FULL_BOX_HEADER:], b"ispe")]
    return max((width * height for width, height in sizes), default=None)


def _top_level_box(fp: IO[bytes], wanted: bytes) -> bytes | None:
    fp.seek(0)
    while header := fp.read(_BOX_HEADER.size):
        if len(header) < _BOX_HEADER.size:
            return None
        size, kind = _BOX_HEADER.unpack(header)
        start = _BOX_HEADER.size
        if size == 1:
            large = fp.read(_LARGE_SIZE.size)
            if len(large) < _LARGE_SIZE.size:
                return None
            size, start = _LARGE_SIZE.unpack(large)[0], start + _LARGE_SIZE.size
        if size == 0 or size < start:
            return None  # to the end of the file, or malformed: no box after it to read
        if kind == wanted:
            return fp.read(size - start) if size - start <= MAX_META_BYTES else None
        fp.seek(size - start, 1)
    return None


def _boxes_named(data: bytes, wanted: bytes, depth: int = 0) -> Iterator[bytes]:
    """The bodies of the boxes named `wanted` in `data`, looking inside iprp and ipco (as deep
    as they nest in a real file: a crafted one may nest thousands).
    """
    for kind, body in _boxes(data):
        if kind == wanted and len(body) >= _ISPE.size:
            yield body
        elif kind in _CONTAINERS and depth < _MAX_NESTING:
            yield from _boxes_named(body, wanted, depth + 1)


def _boxes(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    at = 0
    while at + _BOX_HEADER.size <= len(data):
        size, kind = _BOX_HEADER.unpack_from(data, at)
        if size < _BOX_HEADER.size or at + size > len(data):
            return  # a 64-bit or damaged size: no property box is that large
        yield kind, data[at + _BOX_HEADER.size : at + size]
        at += size
