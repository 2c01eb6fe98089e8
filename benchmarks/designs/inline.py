"""Design (a), the naive one: the upload request scans inline and answers only once decided.

A tiny web app with the same upload URL as photogate's: it accepts the upload with photogate's
use case, then calls the scanner directly (no queue, no limiter) before it answers. When the
scanner refuses (429) or fails, the customer gets 503 and the submission is failed.

Run as `python -m benchmarks.designs.inline --port PORT`, configured by PHOTOGATE_* variables.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from photogate.adapters.http_scanner import HttpScanner
from photogate.bootstrap import Services, bootstrap
from photogate.domain.submission import SCANNABLE, Status
from photogate.errors import InputError, TransientError
from photogate.intake.accept_upload import accept_upload
from photogate.intake.form import UploadForm
from photogate.ports import Ports
from photogate.scanning.scan_submission import scan_submission
from photogate.settings import Settings, load_settings


@dataclasses.dataclass
class Inline:
    """The app's state: photogate's services, with the scanner called directly."""

    services: Services
    ports: Ports


def create_app(settings: Settings) -> FastAPI:
    """The inline-scanning upload app."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await bootstrap(settings)
        scanner = HttpScanner(settings.scanner)
        app.state.inline = Inline(services, dataclasses.replace(services.ports, scanner=scanner))
        yield
        await scanner.aclose()
        await services.aclose()

    app = FastAPI(lifespan=lifespan)
    app.post("/api/products/{sku}/photos")(upload)
    app.get("/healthz")(healthz)
    return app


async def healthz() -> dict[str, str]:
    """Ready once started."""
    return {"status": "ok"}


async def upload(sku: str, request: Request) -> JSONResponse:
    """Accept the upload, scan it, and answer with its final state (202), or 503 when busy."""
    inline: Inline = request.app.state.inline
    form = await request.form()
    file = form.get("file")
    if not isinstance(file, UploadFile):
        return JSONResponse({"error": "file_required"}, status_code=400)
    fields = UploadForm(
        sku=sku,
        email=str(form.get("email", "")),
        display_name=str(form.get("display_name", "")),
        caption=str(form.get("caption", "")),
        consent=True,
    )
    try:
        submission_id = await _accept(inline, fields, await file.read())
    except InputError as exc:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)
    return await _scan(inline, submission_id)


async def _accept(inline: Inline, form: UploadForm, data: bytes) -> str:
    limits = inline.services.settings.uploads
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload"
        path.write_bytes(data)
        submission = await accept_upload(form, path, len(data), ports=inline.ports, limits=limits)
    return submission.id


async def _scan(inline: Inline, submission_id: str) -> JSONResponse:
    policy = inline.services.scan_policy
    try:
        status = await scan_submission(submission_id, ports=inline.ports, policy=policy)
    except TransientError as exc:
        await inline.ports.catalog.transition(
            submission_id, allowed_from=SCANNABLE, to=Status.FAILED, actor="web", reason=str(exc)
        )
        return JSONResponse({"id": submission_id, "error": str(exc)}, status_code=503)
    return JSONResponse({"id": submission_id, "status": str(status)}, status_code=202)


def main() -> None:
    """Serve the app on 127.0.0.1:--port."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    app = create_app(load_settings())
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
