"""The pipeline at a glance: queues, poison queues, submissions by state and the scan workers'
heartbeats, for staff.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from photogate.domain.heartbeat import BEAT_EVERY, SHOWN_WITHIN
from photogate.domain.submission import Status
from photogate.entrypoints.web.console.auth import ModeratorPage
from photogate.entrypoints.web.console.rendering import render
from photogate.entrypoints.web.deps import ServicesDep
from photogate.recovery.overview import age_text, overview

# The console's lists of the photos in a state, which the page's counts link to.
LISTS: Final = {Status.NEEDS_REVIEW: "/console/review", Status.APPROVED: "/console/photos"}

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/pipeline")
async def pipeline_page(
    request: Request, staff: ModeratorPage, services: ServicesDep
) -> HTMLResponse:
    """How many photos wait where, for how long the oldest of each has waited, and which scan
    workers have reported lately, with any warnings.
    """
    seen = await overview(services.ports)
    context = {
        "seen": seen,
        "lists": LISTS,
        "age_text": age_text,
        "shown_within": SHOWN_WITHIN,
        "beat_every": BEAT_EVERY,
    }
    return render(request, "pipeline.html", context, staff=staff)
