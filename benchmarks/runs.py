"""One run of one design: its processes, a burst of uploads, capacity changes, and what happened."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import Progress

import photogate
from benchmarks.load import (
    Recording,
    Sampler,
    burst,
    count_pending_emails,
    count_waiting,
    photos,
    wait_until,
)
from benchmarks.outcome import Outcome, read_outcome
from benchmarks.processes import (
    child,
    copy_data_dir,
    free_port,
    fresh_dir,
    run_once,
    wait_healthy,
)

DESIGNS = ("inline", "functions", "photogate")
TRACE_FILE = "limiter.jsonl"
MIGRATIONS = Path(photogate.__file__).parent / "adapters" / "sql" / "migrations" / "versions"


@dataclass(frozen=True)
class Plan:
    """A run's load: uploads and clients, the scanner's capacity, and changes to it over time
    (seconds after the burst starts, new slot count).
    """

    uploads: int
    clients: int
    slots: int
    latency_s: float
    changes: tuple[tuple[float, int], ...] = ()
    retry_after_s: int = 1

    @property
    def capacity(self) -> float:
        """Scans per second the scanner can do at the start."""
        return self.slots / self.latency_s

    @property
    def deadline_s(self) -> float:
        """How long after the burst every accepted upload must be settled, or count as lost."""
        return 60.0 + 2 * self.uploads / self.capacity


@dataclass
class Run:
    """What one run of one design observed."""

    design: str
    plan: Plan
    started: float
    recording: Recording
    outcome: Outcome
    trace: list[dict[str, float]] = field(default_factory=list)
    changed_at: list[tuple[float, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Child:
    """A process of a design: `python -m MODULE ARGS`, ready when `ready` says so."""

    name: str
    module: str
    args: list[str]
    ready: Callable[[], bool] = lambda: True


def prepare_template(work: Path) -> Path:
    """A migrated data dir with the demo catalog under `work`, copied for every run; kept
    between runs while the migrations stay the same.
    """
    directory = work / f"template-{_schema_version()}"
    if (directory / "catalog.sqlite3").exists():
        return directory
    env, log = {"PHOTOGATE_DATA_DIR": str(directory)}, work / "prepare.log"
    directory.mkdir(parents=True)
    run_once("photogate", ["db", "upgrade"], env, log)
    run_once("photogate", ["demo", "seed"], env, log)
    return directory


def _schema_version() -> str:
    """A digest of the migration scripts: a new or edited one means a new template."""
    digest = hashlib.sha256()
    for script in sorted(MIGRATIONS.glob("*.py")):
        digest.update(script.name.encode() + script.read_bytes())
    return digest.hexdigest()[:12]


def run_design(
    design: str, plan: Plan, template: Path, work: Path, *, console: Console | None = None
) -> Run:
    """Start the design's processes on a copy of `template`, load it, and record the run;
    with a `console`, show a progress bar of the scans done.
    """
    logs = work / design
    # Logs are read to tell when a process is ready: none may be left from an earlier run.
    data_dir = copy_data_dir(template, fresh_dir(logs) / "data")
    scanner_port, web_port = free_port(), free_port()
    env = _env(data_dir, scanner_port, web_port)
    scanner = f"http://127.0.0.1:{scanner_port}"
    web = f"http://127.0.0.1:{web_port}"
    children = [_scanner(plan, scanner_port), *_children(design, web_port, logs)]
    with ExitStack() as stack:
        for spec in children:
            stack.enter_context(child(spec.module, spec.args, env, logs / f"{spec.name}.log"))
        wait_healthy([f"{scanner}/v1/health", f"{web}/healthz"])
        _wait_ready(children)
        with Progress(console=console, transient=True, disable=console is None) as progress:
            task = progress.add_task(f"{design}: scans", total=plan.uploads)
            sampler = Sampler(scanner, data_dir / "catalog.sqlite3")
            sampler.on_sample = lambda done: progress.update(task, completed=done)
            run = asyncio.run(_load(design, plan, sampler, scanner, web, data_dir))
    if not any(upload.accepted for upload in run.recording.uploads):
        raise RuntimeError(f"{design}: not one upload was accepted; see the logs in {logs}")
    return run


def _env(data_dir: Path, scanner_port: int, web_port: int) -> dict[str, str]:
    return {
        "PHOTOGATE_DATA_DIR": str(data_dir),
        "PHOTOGATE_SCANNER__URL": f"http://127.0.0.1:{scanner_port}",
        "PHOTOGATE_WEB__PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
        "PHOTOGATE_UPLOADS__PER_IP_PER_HOUR": "0",
        "PHOTOGATE_UPLOADS__PER_EMAIL_PER_PRODUCT_PER_DAY": "0",
        "PHOTOGATE_SCANNER__LIMITER_TRACE_PATH": str(data_dir / TRACE_FILE),
    }


def _scanner(plan: Plan, port: int) -> Child:
    args = ["--port", str(port), "--slots", str(plan.slots), "--latency", str(plan.latency_s)]
    args += ["--retry-after", str(plan.retry_after_s)]
    return Child("scanner", "photogate.refscanner", args)


def _children(design: str, web_port: int, logs: Path) -> list[Child]:
    web = Child("web", "photogate", ["web", "--port", str(web_port)])
    notifier = _logged("worker", "photogate", ["worker", "--no-scans"], logs, "worker started")
    if design == "photogate":
        return [web, _logged("worker", "photogate", ["worker"], logs, "worker started")]
    if design == "functions":
        module = "benchmarks.designs.functions_default"
        hosts = [_logged(f"functions-{n}", module, [], logs, "ready") for n in (1, 2)]
        return [web, notifier, *hosts]
    if design == "inline":
        inline = Child("inline", "benchmarks.designs.inline", ["--port", str(web_port)])
        return [inline, notifier]
    raise ValueError(f"unknown design {design!r}; known: {', '.join(DESIGNS)}")


def _logged(name: str, module: str, args: list[str], logs: Path, text: str) -> Child:
    log = logs / f"{name}.log"
    return Child(name, module, args, lambda: log.exists() and text in log.read_text())


def _wait_ready(children: list[Child], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    for spec in children:
        while not spec.ready():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{spec.name} did not start within {timeout_s:g} s")
            time.sleep(0.05)  # polling another process's log, with a deadline


async def _load(
    design: str, plan: Plan, sampler: Sampler, scanner: str, web: str, data_dir: Path
) -> Run:
    catalog, stop = data_dir / "catalog.sqlite3", asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop))
    started = time.time()
    changes = asyncio.create_task(_change_capacity(scanner, plan, started))
    uploads = await burst(web, plan.uploads, plan.clients, photos())
    await wait_until(lambda: count_waiting(catalog) == 0, plan.deadline_s)
    await wait_until(lambda: count_pending_emails(catalog) == 0, 10)
    stop.set()
    await sampling
    changed_at = await changes
    recording = Recording(uploads=uploads, samples=sampler.samples)
    _keep(recording, data_dir.parent / "recording.json")
    trace = _read_trace(data_dir / TRACE_FILE)
    return Run(design, plan, started, recording, read_outcome(data_dir), trace, changed_at)


async def _change_capacity(scanner: str, plan: Plan, started: float) -> list[tuple[float, int]]:
    done: list[tuple[float, int]] = []
    async with httpx.AsyncClient(timeout=5) as client:
        for after_s, slots in plan.changes:
            await asyncio.sleep(max(0.0, started + after_s - time.time()))
            await client.post(f"{scanner}/v1/admin/capacity", json={"slots": slots})
            done.append((time.time(), slots))
    return done


def _keep(recording: Recording, path: Path) -> None:
    """The raw observations beside the run's logs, for a closer look."""
    path.write_text(json.dumps(dataclasses.asdict(recording)))


def _read_trace(path: Path) -> list[dict[str, float]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
