"""The `offset` query parameter of every paged list: the gallery, the API and the console."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Query

# Far past any real list, yet small enough for every database's integer (SQLite's are 64-bit:
# a larger offset made the query raise, a 500 instead of a 422).
MAX_OFFSET: Final = 1_000_000

Offset = Annotated[
    int, Query(ge=0, le=MAX_OFFSET, description="How many items to skip (at most 1,000,000)")
]
