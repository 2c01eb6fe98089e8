"""The throughput baseline: a bare Starlette route that parses the multipart form, writes the file
to disk and answers 202, served by uvicorn as `photogate web` is (one process, loopback).

    python -m benchmarks._bare_upload --port PORT --dir DIR
"""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
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

    return reference_app(upload)


def reference_app(upload: Callable[[Request], Awaitable[Response]]) -> Starlette:
    """A reference server's app: `upload` at POST PATH, and GET /healthz answering ok."""

    async def health(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    routes = [Route(PATH, upload, methods=["POST"]), Route("/healthz", health)]
    return Starlette(routes=routes)


def reference_arguments(prog: str) -> argparse.ArgumentParser:
    """The command line every reference server takes: --port, and --dir for its files."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    return parser


def serve(app: Starlette, port: int) -> None:
    """Serve `app` until SIGTERM, with the same uvicorn settings as `photogate web`
    (entrypoints/cli.py): one process, loopback.
    """
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="info")


def main() -> None:
    """Serve the bare app until SIGTERM."""
    args = reference_arguments("python -m benchmarks._bare_upload").parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    serve(bare_app(args.dir), args.port)


if __name__ == "__main__":
    main()
