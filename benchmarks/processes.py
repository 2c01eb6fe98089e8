"""The load-leveling benchmark's child processes, on the shared harness: run, wait, stop."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
from functools import partial
from pathlib import Path

from benchmarks import _harness
from benchmarks._harness import child, free_port, healthy, wait_for

__all__ = ["child", "copy_data_dir", "free_port", "fresh_dir", "run_once", "wait_healthy"]


def run_once(module: str, args: list[str], env: Mapping[str, str], log: Path) -> None:
    """Run `python -m MODULE ARGS` to completion; RuntimeError (pointing at `log`) if it fails."""
    _harness.run_once([sys.executable, "-m", module, *args], env, log)


def wait_healthy(urls: list[str], timeout_s: float = 60.0) -> None:
    """Wait until every URL answers 200; RuntimeError naming the first that does not."""
    for url in urls:
        wait_for(partial(healthy, url), f"{url} becoming healthy", timeout_s)


def fresh_dir(path: Path) -> Path:
    """`path` as a new, empty directory (whatever was there is removed)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def copy_data_dir(template: Path, target: Path) -> Path:
    """A copy of a migrated, seeded data dir at `target`, which must not exist."""
    shutil.copytree(template, target)
    return target
