"""The load: a burst of uploads through the real HTTP API, and samples of the system meanwhile."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from photogate.testing import samples

SKU = "TT-TENT-2P"
# Small photos: the scanner's capacity, not our image work, should be the bottleneck.
IMAGE_SIZE = (320, 240)
VARIANTS = 16
WAITING = ("received", "queued", "scanning")


@dataclass
class Upload:
    """One upload: when it was sent and answered (wall clock), its HTTP status and id."""

    sent: float
    answered: float = 0.0
    status: int = 0
    submission_id: str = ""

    @property
    def accepted(self) -> bool:
        """The service took the photo (202)."""
        return self.status == 202


@dataclass
class Sample:
    """The system at one moment: the scanner's counters and slots, and the backlog."""

    t: float
    scans: int
    busy: int
    calls: int
    in_flight: int
    slots: int
    latency_s: float
    backlog: int


@dataclass
class Recording:
    """Everything observed during one run."""

    uploads: list[Upload] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)


def photos() -> list[bytes]:
    """A few distinct small JPEGs that the reference scanner passes."""
    return [samples.clean_jpeg(*IMAGE_SIZE, seed=seed) for seed in range(VARIANTS)]


async def burst(url: str, count: int, clients: int, images: list[bytes]) -> list[Upload]:
    """Send `count` uploads to `url` from `clients` concurrent connections, as fast as it takes."""
    uploads: list[Upload] = []
    numbers = iter(range(count))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:

        async def sender() -> None:
            for number in numbers:
                image = unique(images[number % len(images)], number)
                uploads.append(await _upload(client, image, number))

        await asyncio.gather(*(sender() for _ in range(clients)))
    return uploads


def unique(jpeg: bytes, number: int) -> bytes:
    """`jpeg` with a comment segment naming `number`: the same pixels, a different file (intake
    refuses a file sent again for the same product).
    """
    comment = f"benchmark upload {number}".encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return jpeg[:2] + segment + jpeg[2:]


async def _upload(client: httpx.AsyncClient, image: bytes, number: int) -> Upload:
    upload = Upload(sent=time.time())
    form = {"email": f"bench{number}@example.com", "display_name": "Bench", "consent": "true"}
    try:
        response = await client.post(
            f"/api/products/{SKU}/photos", data=form, files={"file": ("p.jpg", image, "image/jpeg")}
        )
    except httpx.HTTPError:
        upload.answered = time.time()
        return upload
    upload.answered, upload.status = time.time(), response.status_code
    if response.status_code in (202, 503):
        upload.submission_id = str(response.json().get("id", ""))
    return upload


class Sampler:
    """Samples the scanner's /v1/stats and the catalog's backlog every `every_s`."""

    def __init__(self, scanner_url: str, catalog: Path, every_s: float = 0.1) -> None:
        self._scanner_url = scanner_url
        self._catalog = catalog
        self._every_s = every_s
        self.samples: list[Sample] = []
        # Told the scans done since the first sample, after each sample (a progress bar).
        self.on_sample: Callable[[int], object] | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Sample until `stop` is set."""
        async with httpx.AsyncClient(timeout=5) as client:
            while not stop.is_set():
                self._record(await self._sample(client))
                await _wait(stop, self._every_s)
            self._record(await self._sample(client))

    def _record(self, sample: Sample) -> None:
        self.samples.append(sample)
        if self.on_sample is not None:
            self.on_sample(sample.scans - self.samples[0].scans)

    async def _sample(self, client: httpx.AsyncClient) -> Sample:
        stats = (await client.get(f"{self._scanner_url}/v1/stats")).json()
        backlog = await asyncio.to_thread(count_waiting, self._catalog)
        calls = sum(int(stats[k]) for k in ("scans", "replays", "busy", "unavailable_answers"))
        return Sample(
            t=time.time(),
            scans=int(stats["scans"]),
            busy=int(stats["busy"]),
            calls=calls + int(stats["rejected"]),
            in_flight=int(stats["in_flight"]),
            slots=int(stats["slots"]),
            latency_s=float(stats["latency_s"]),
            backlog=backlog,
        )


def count_waiting(catalog: Path) -> int:
    """Submissions not yet decided (received, queued or being scanned)."""
    with closing(_read_only(catalog)) as db:
        marks = ",".join("?" * len(WAITING))
        row = db.execute(f"SELECT count(*) FROM submissions WHERE status IN ({marks})", WAITING)
        return int(row.fetchone()[0])


def count_pending_emails(catalog: Path) -> int:
    """Thank-you emails owed but not sent yet."""
    with closing(_read_only(catalog)) as db:
        row = db.execute("SELECT count(*) FROM emails WHERE status = 'pending'")
        return int(row.fetchone()[0])


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)


async def wait_until(done: Callable[[], bool], timeout_s: float, step_s: float = 0.2) -> bool:
    """Poll `done` (off the event loop) until true or `timeout_s`; returns whether it came true."""
    deadline = time.monotonic() + timeout_s
    while not await asyncio.to_thread(done):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step_s)
    return True


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return
