"""A blocklist of words and phrases read from a file, read again whenever the file changes."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

from photogate.errors import ConfigError

log = logging.getLogger(__name__)
DEFAULT_PATH: Final = Path(__file__).with_name("blocklist.txt")
# Letters, digits and underscores on both sides of a term make it part of a longer word.
_WORD: Final = r"\w"


def read_terms(lines: Iterable[str]) -> list[str]:
    """The terms of a blocklist file: one per line, `#` starts a comment, blank lines skipped."""
    terms = (unicodedata.normalize("NFC", line.partition("#")[0]) for line in lines)
    unique = {" ".join(term.split()).casefold(): " ".join(term.split()) for term in terms}
    return sorted(term for key, term in unique.items() if key)


def compile_terms(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern finding any term as a whole word; None for no terms."""
    ordered = sorted(terms, key=len, reverse=True)  # the longest phrase wins an overlap
    if not ordered:
        return None
    words = (r"\s+".join(re.escape(part) for part in term.split()) for term in ordered)
    return re.compile(rf"(?<!{_WORD})(?:{'|'.join(words)})(?!{_WORD})", re.IGNORECASE)


class Blocklist:
    """The terms of the file at `path`; a change to the file is picked up at the next look.

    Safe to share between threads: a reload swaps the compiled pattern in one assignment.
    """

    def __init__(self, path: Path = DEFAULT_PATH) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._pattern: re.Pattern[str] | None = None
        self._load()

    def find(self, text: str) -> Iterator[re.Match[str]]:
        """Every whole-word occurrence of a blocked term in `text`."""
        pattern = self._current()
        return iter(()) if pattern is None else pattern.finditer(text)

    def _current(self) -> re.Pattern[str] | None:
        if self._stamp_now() != self._stamp:
            with self._lock:
                self._reload()
        return self._pattern

    def _reload(self) -> None:
        try:
            self._load()
        except ConfigError as exc:
            # A file being replaced or half-written must not stop scanning: keep the last good
            # list, and try again only once the file changes again.
            self._stamp = self._stamp_now()
            log.warning("keeping the previous blocklist: %s", exc)

    def _load(self) -> None:
        """Read and compile the file; raises ConfigError if it cannot be read."""
        stamp = self._stamp_now()
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the blocklist {self.path}: {exc}") from None
        self._pattern = compile_terms(read_terms(text.splitlines()))
        self._stamp = stamp

    def _stamp_now(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size
