"""Blob name checks shared by the blob stores, so that no name can escape its container."""

from __future__ import annotations

from urllib.parse import quote

# Most filesystems cap one path segment at 255 bytes; the fakes enforce it too, so a name
# that works in unit tests also works on disk.
_MAX_SEGMENT_BYTES = 255


def check_blob_name(name: str) -> str:
    """Return `name` if it is a safe relative name ("a/b.webp"); raise ValueError otherwise.

    Refused: empty names, absolute names, backslashes, control characters (NUL included),
    empty segments ("a//b", "a/"), "." and "..", and any segment starting with a dot, which
    is reserved for the stores' temporary files.
    """
    if not name:
        raise ValueError("blob name is empty")
    if name.startswith("/"):
        raise ValueError(f"blob name {name!r} is absolute")
    if "\\" in name or any(ord(char) < 32 or char == "\x7f" for char in name):
        raise ValueError(f"blob name {name!r} contains a backslash or a control character")
    for segment in name.split("/"):
        _check_segment(name, segment)
    return name


def _check_segment(name: str, segment: str) -> None:
    if not segment:
        raise ValueError(f"blob name {name!r} has an empty segment")
    if segment.startswith("."):
        raise ValueError(f"blob name {name!r} has a segment starting with a dot")
    if len(segment.encode()) > _MAX_SEGMENT_BYTES:
        raise ValueError(f"blob name {name!r} has a segment over {_MAX_SEGMENT_BYTES} bytes")


def blob_url(base_url: str, name: str) -> str:
    """The URL of a public blob: `base_url` joined with the (checked, percent-encoded) name."""
    return f"{base_url.rstrip('/')}/{quote(check_blob_name(name))}"
