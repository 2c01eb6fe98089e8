"""Uploads through real HTTP: multipart bodies built once, sent by a few concurrent clients."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from benchmarks._harness import SKU
from photogate.testing import samples

PHOTO_SIZE = (1200, 900)  # a realistic phone-sized JPEG of about 400 KB
PATH = f"/api/products/{SKU}/photos"


@dataclass
class Sent:
    """What a series of uploads saw: latency (s) of each accepted one, other statuses, time."""

    latencies: list[float] = field(default_factory=list)
    refused: dict[int, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def accepted(self) -> int:
        """Uploads answered 202."""
        return len(self.latencies)

    @property
    def per_s(self) -> float:
        """Accepted uploads per second of wall time."""
        return self.accepted / self.elapsed_s if self.elapsed_s > 0 else 0.0


def photo() -> bytes:
    """The JPEG every upload sends (each with its own comment, so each is a distinct file)."""
    return samples.clean_jpeg(*PHOTO_SIZE, seed=3)


def distinct(jpeg: bytes, number: int) -> bytes:
    """`jpeg` with a comment naming `number`: the same pixels, a different file (intake
    answers a file sent again for the same product with its first submission).
    """
    comment = f"benchmark upload {number} {secrets.token_hex(4)}".encode()
    return jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:]


def multipart(jpeg: bytes, number: int) -> tuple[bytes, str]:
    """The body and content type of the upload form (a browser's fields and file)."""
    boundary = secrets.token_hex(16)
    fields = {"email": f"bench{number}@example.com", "display_name": "Bench", "consent": "true"}
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    body = b"".join([*parts, head, distinct(jpeg, number), f"\r\n--{boundary}--\r\n".encode()])
    return body, f"multipart/form-data; boundary={boundary}"


async def send_uploads(
    base_url: str,
    count: int,
    clients: int,
    *,
    first: int = 0,
    progress: Callable[[int], object] = lambda _: None,
) -> Sent:
    """POST `count` uploads (numbered from `first`) from `clients` concurrent connections."""
    jpeg, sent, numbers = photo(), Sent(), iter(range(first, first + count))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:

        async def sender() -> None:
            for number in numbers:
                await _one(client, multipart(jpeg, number), sent)
                progress(sent.accepted + sum(sent.refused.values()))

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(clients)))
        sent.elapsed_s = time.perf_counter() - started
    return sent


async def _one(client: httpx.AsyncClient, form: tuple[bytes, str], sent: Sent) -> None:
    body, content_type = form
    started = time.perf_counter()
    response = await client.post(PATH, content=body, headers={"content-type": content_type})
    if response.status_code == 202:
        sent.latencies.append(time.perf_counter() - started)
    else:
        sent.refused[response.status_code] = sent.refused.get(response.status_code, 0) + 1
