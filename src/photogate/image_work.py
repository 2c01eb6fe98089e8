"""The few threads a process decodes and encodes images on, so a burst queues, not piles up.

Each image job may hold a full-size decode (up to 64 MP, a quarter of a GiB). Run on the
default executor, a burst of uploads or scans would decode that many images at once; here at
most `image_threads()` run and the rest wait their turn without holding any pixels. The pool
is the process's, not an event loop's, so any number of loops (tests, the web app beside
the worker) share the bound; it starts its first thread on first use.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final, ParamSpec, TypeVar

_P = ParamSpec("_P")
_T = TypeVar("_T")
# More threads than cores buys no speed (the work is CPU-bound and Pillow releases the GIL),
# only a higher peak; this many big decodes at once still fits a small instance.
MAX_IMAGE_THREADS: Final = 4


def image_threads() -> int:
    """How many images this process works on at once: one per CPU, at most MAX_IMAGE_THREADS."""
    return max(1, min(MAX_IMAGE_THREADS, os.cpu_count() or 1))


async def run_image_work(func: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """asyncio.to_thread for blocking image work, on the process's bounded image threads."""
    call = functools.partial(contextvars.copy_context().run, func, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_pool(), call)


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(image_threads(), thread_name_prefix="photogate-image")
