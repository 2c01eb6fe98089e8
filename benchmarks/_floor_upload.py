"""A floor for the throughput benchmark (`--floors`): the least work a durable intake can do,
with no framework and no ports, to show how fast any design could accept with a given check.

    python -m benchmarks._floor_upload --port PORT --dir DIR --check {header,full}

Each upload is parsed as the bare route parses it, then in one trip to a thread: checked
(`header`: Pillow reads the header only, format and size; `full`: photogate's own check,
which decodes the pixels and hashes them), written to a file with fsync and rename, and
recorded with its queue message in one SQLite transaction (WAL, synchronous=FULL). Served by
uvicorn as `photogate web` is (one process, loopback).
"""

from __future__ import annotations

import io
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

import anyio
from PIL import Image
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse

from benchmarks._bare_upload import reference_app, reference_arguments, serve
from photogate.adapters.atomic_files import write_atomically
from photogate.intake.image_check import MIN_SIDE, examine
from photogate.settings import UploadSettings

CHECKS: Final = ("header", "full")
_FORMATS: Final = frozenset({"JPEG", "PNG", "WEBP"})
_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS submissions (id TEXT PRIMARY KEY, blob TEXT, width INTEGER,"
    " height INTEGER, created REAL)",
    "CREATE TABLE IF NOT EXISTS audit (submission TEXT, at REAL, event TEXT)",
    "CREATE TABLE IF NOT EXISTS queue (id TEXT PRIMARY KEY, body TEXT, visible_at REAL)",
)


class Refused(Exception):
    """The upload is not a photo the floor accepts."""


def header_check(data: bytes) -> tuple[int, int]:
    """Width and height from the header alone; Refused unless a large enough JPEG/PNG/WebP."""
    with Image.open(io.BytesIO(data)) as img:
        if img.format not in _FORMATS or min(img.size) < MIN_SIDE:
            raise Refused(f"{img.format} {img.size}")
        return img.size


def full_check(data: bytes) -> tuple[int, int]:
    """Width and height after photogate's full check (decode and hash); Refused as it refuses."""
    try:
        info, _ = examine(data, UploadSettings())
    except Exception as exc:
        raise Refused(str(exc)) from None
    return info.width, info.height


class Intake:
    """Checks, stores and records one upload at a time per call; thread-safe."""

    def __init__(self, root: Path, check: Callable[[bytes], tuple[int, int]]) -> None:
        self._files, self._check, self._lock = root / "quarantine", check, threading.Lock()
        self._files.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            root / "floor.sqlite3", isolation_level=None, check_same_thread=False
        )
        for statement in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", *_SCHEMA):
            self._db.execute(statement)

    def take(self, data: bytes) -> str:
        """Check `data`, write it durably, record it and its queue message; its id."""
        width, height = self._check(data)
        name = secrets.token_hex(16)
        write_atomically(self._files / name, data)
        with self._lock:
            self._record(name, width, height, time.time())
        return name

    def _record(self, name: str, width: int, height: int, now: float) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute(
                "INSERT INTO submissions VALUES (?,?,?,?,?)", (name, name, width, height, now)
            )
            self._db.execute("INSERT INTO audit VALUES (?,?,?)", (name, now, "received"))
            body = json.dumps({"submission": name})
            self._db.execute("INSERT INTO queue VALUES (?,?,?)", (secrets.token_hex(16), body, now))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise


def floor_app(intake: Intake) -> Starlette:
    """POST PATH takes the form's file through `intake`; GET /healthz answers ok."""

    async def upload(request: Request) -> JSONResponse:
        async with request.form() as form:
            photo = form["file"]
            if not isinstance(photo, UploadFile):
                return JSONResponse({"error": "file_required"}, status_code=400)
            data = await photo.read()
        try:
            name = await anyio.to_thread.run_sync(intake.take, data)
        except Refused as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"id": name}, status_code=202)

    return reference_app(upload)


def main() -> None:
    """Serve the floor until SIGTERM."""
    parser = reference_arguments("python -m benchmarks._floor_upload")
    parser.add_argument("--check", choices=CHECKS, required=True)
    args = parser.parse_args()
    check = header_check if args.check == "header" else full_check
    args.dir.mkdir(parents=True, exist_ok=True)
    serve(floor_app(Intake(args.dir, check)), args.port)


if __name__ == "__main__":
    main()
