"""run_image_work: blocking image work on a few threads per process, from any event loop."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from photogate.image_work import MAX_IMAGE_THREADS, image_threads, run_image_work


class Gauge:
    """Counts the jobs running at once and remembers the most it saw."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0

    def job(self, seconds: float) -> str:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(seconds)
        with self._lock:
            self.running -= 1
        return threading.current_thread().name


def test_image_threads_follow_the_cpus_within_bounds() -> None:
    """A process works on one image per CPU at most, and never on more than the cap."""
    assert 1 <= image_threads() <= MAX_IMAGE_THREADS


async def test_a_burst_runs_no_more_jobs_at_once_than_the_threads() -> None:
    """Many jobs submitted together run at most image_threads() at a time, on image threads."""
    gauge = Gauge()
    names = await asyncio.gather(*(run_image_work(gauge.job, 0.02) for _ in range(12)))
    assert gauge.most <= image_threads()
    assert all(name.startswith("photogate-image") for name in names)


async def test_errors_reach_the_caller() -> None:
    """An exception raised by the work is raised by the await, unchanged."""

    def broken() -> None:
        raise ValueError("cannot decode")

    with pytest.raises(ValueError, match="cannot decode"):
        await run_image_work(broken)


def test_the_threads_serve_one_event_loop_after_another() -> None:
    """The pool belongs to the process, so a second event loop uses it as the first did."""

    async def one() -> int:
        return await run_image_work(sum, [1, 2, 3])

    assert asyncio.run(one()) == 6
    assert asyncio.run(one()) == 6
