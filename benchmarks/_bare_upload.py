"""The throughput baseline: a bare Starlette route that parses the multipart form, writes the file
to disk and answers 202, served by uvicorn as `photogate web` is (one process, loopback).

    python -m benchmarks._bare_upload --port PORT --dir DIR
"""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from benchmarks._uploads import PATH


def bare_app(directory: Path) -> Starlette:
    """The app: POST PATH stores the form's file under `directory`; GET /healthz answers ok."""

    async def upload(request: Request) -> JSONResponse:
        async with request.form() as form:
            photo = form["file"]
            if not isinstance(photo, UploadFile):
                return JSONResponse({"error": "file_required"}, status_code=400)
            name = secrets.token_hex(16)
            await anyio.Path(directory / name).write_bytes(await photo.read())
        return JSONResponse({"id": name}, status_code=202)

    async def health(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    routes = [Route(PATH, upload, methods=["POST"]), Route("/healthz", health)]
    return Starlette(routes=routes)


def main() -> None:
    """Serve the bare app until SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks._bare_upload")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    # The same uvicorn settings as `photogate web` (entrypoints/cli.py).
    uvicorn.run(bare_app(args.dir), host="127.0.0.1", port=args.port, log_level="info")


if __name__ == "__main__":
    main()
