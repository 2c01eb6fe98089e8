"""Upload accept throughput with full validation: `photogate web` (embedded default) must accept at
least 0.5 x the uploads per second of a bare Starlette route that only parses the same multipart
body and writes the file to disk (benchmarks/_bare_upload.py), both served by uvicorn on
loopback and sent the same bodies by the same clients, in the same run.

    python -m benchmarks.accept_throughput [--quick] [--json PATH] [--limits-on] [--floors]

The two servers take turns (several rounds) so that noise from other processes on the machine
falls on both alike. Each server's CPU time per upload (all its threads, from /proc) and the
clients' are reported too: on a machine with few cores they say where the time goes.

The per-IP and per-email upload limits are off for the run (its clients share one address);
`--limits-on` keeps them at work, set too high to refuse anything, to measure what checking
and counting them costs.

`--floors` adds two more servers to the rounds (benchmarks/_floor_upload.py): the least work a
durable intake can do, no framework and no ports, with a header-only check and with photogate's
full check. Their ratios to the bare route show what any design could reach with each check on
this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from benchmarks._harness import (
    child,
    cpu_seconds,
    free_port,
    healthy,
    run_and_report,
    verdict,
    wait_for,
)
from benchmarks._stack import Served, Workspace, web, workspace
from benchmarks._uploads import Sent, send_uploads

TARGET = 0.5
WARM_UP = 10
SERVERS = ("bare", "photogate")
FLOORS = ("floor-header", "floor-full")
# Limits that are checked and counted on every upload but never reached in a run.
LIMITS_ON = {
    "PHOTOGATE_UPLOADS__PER_IP_PER_HOUR": "100000000",
    "PHOTOGATE_UPLOADS__PER_EMAIL_PER_PRODUCT_PER_DAY": "100000000",
}


@dataclass(frozen=True)
class Plan:
    """Uploads per server per round, rounds, concurrent clients, whether photogate's upload
    limits are at work, and whether the floors run too.
    """

    uploads: int = 200
    rounds: int = 3
    clients: int = 4
    limits_on: bool = False
    floors: bool = False

    @property
    def servers(self) -> tuple[str, ...]:
        """The servers that take turns: the bare route and photogate, then any floors."""
        return SERVERS + FLOORS if self.floors else SERVERS


@dataclass(frozen=True)
class Round:
    """What one server's round saw, and the CPU seconds the server and the clients spent."""

    sent: Sent
    server_cpu_s: float
    client_cpu_s: float


@dataclass
class Tally:
    """One server's totals over the rounds."""

    accepted: int = 0
    refused: int = 0
    elapsed_s: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0

    def add(self, one: Round) -> None:
        """Count one round."""
        self.accepted += one.sent.accepted
        self.refused += sum(one.sent.refused.values())
        self.elapsed_s += one.sent.elapsed_s
        self.server_cpu_s += one.server_cpu_s
        self.client_cpu_s += one.client_cpu_s

    @property
    def per_s(self) -> float:
        """Accepted uploads per second over every round."""
        return self.accepted / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def server_cpu_ms(self) -> float:
        """The server's CPU milliseconds per accepted upload."""
        return 1000 * self.server_cpu_s / self.accepted if self.accepted else 0.0

    @property
    def client_cpu_ms(self) -> float:
        """The clients' CPU milliseconds per accepted upload."""
        return 1000 * self.client_cpu_s / self.accepted if self.accepted else 0.0


def run(plan: Plan, console: Console | None = None) -> dict[str, Any]:
    """Serve both apps, send each the same uploads in turns, and return the figures."""
    tallies = {name: Tally() for name in plan.servers}
    with workspace() as space, _servers(space, plan) as servers:
        for name in plan.servers:
            asyncio.run(send_uploads(servers[name].url, WARM_UP, plan.clients, first=-WARM_UP))
        with Progress(console=console, transient=True, disable=console is None) as progress:
            total = plan.uploads * plan.rounds * len(plan.servers)
            task = progress.add_task("uploads", total=total)
            for round_number in range(plan.rounds):
                for name in plan.servers:
                    tallies[name].add(_round(servers[name], plan, round_number * plan.uploads))
                    progress.advance(task, plan.uploads)
    return figures(plan, tallies)


def _round(server: Served, plan: Plan, first: int) -> Round:
    """Send one round of uploads to `server`, timing its CPU and the clients' (this process)."""
    server_before, client_before = cpu_seconds(server.pid), time.process_time()
    sent = asyncio.run(send_uploads(server.url, plan.uploads, plan.clients, first=first))
    return Round(sent, cpu_seconds(server.pid) - server_before, time.process_time() - client_before)


def figures(plan: Plan, tallies: dict[str, Tally]) -> dict[str, Any]:
    """Each server's uploads per second and CPU per upload, the ratio photogate / bare, and
    the verdict; with floors, each floor's ratio to bare under "floor_ratios".
    """
    if tallies["bare"].per_s == 0:
        raise RuntimeError("the bare route accepted no upload: see its log in the workspace")
    ratio = tallies["photogate"].per_s / tallies["bare"].per_s
    servers = {
        name: {
            **asdict(t),
            "per_s": t.per_s,
            "server_cpu_ms": t.server_cpu_ms,
            "client_cpu_ms": t.client_cpu_ms,
        }
        for name, t in tallies.items()
    }
    bare_cpu = tallies["bare"].server_cpu_ms
    floors = {n: tallies[n].per_s / tallies["bare"].per_s for n in FLOORS if n in tallies}
    return {
        "plan": asdict(plan),
        **servers,
        "ratio": ratio,
        "cpu_ratio": tallies["photogate"].server_cpu_ms / bare_cpu if bare_cpu else None,
        "target": TARGET,
        "passed": ratio >= TARGET,
        **({"floor_ratios": floors} if floors else {}),
    }


@contextmanager
def _servers(space: Workspace, plan: Plan) -> Iterator[dict[str, Served]]:
    with ExitStack() as stack:
        limits = LIMITS_ON if plan.limits_on else None
        servers = {"photogate": stack.enter_context(web(space, limits))}
        servers["bare"] = stack.enter_context(_plain(space, "bare", "benchmarks._bare_upload"))
        for name in FLOORS if plan.floors else ():
            check = ["--check", name.removeprefix("floor-")]
            floor = _plain(space, name, "benchmarks._floor_upload", check)
            servers[name] = stack.enter_context(floor)
        yield servers


@contextmanager
def _plain(space: Workspace, name: str, module: str, extra: Sequence[str] = ()) -> Iterator[Served]:
    """One of the reference servers, `module`, serving files under the workspace."""
    port = free_port()
    args = ["--port", str(port), "--dir", str(space.root / f"{name}-files"), *extra]
    with child(module, args, {}, space.log(name)) as process:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: healthy(f"{url}/healthz"), f"the {name} app answering /healthz")
        yield Served(url, process.pid)


def print_figures(result: dict[str, Any], console: Console) -> None:
    """Each server's uploads per second and CPU per upload, the ratio and PASS/FAIL."""
    for name in (n for n in (*SERVERS, *FLOORS) if n in result):
        tally = result[name]
        console.print(
            f"{name:>9}: {tally['accepted']} accepted ({tally['refused']} refused) in "
            f"{tally['elapsed_s']:.1f} s = {tally['per_s']:.1f} uploads/s\n"
            f"{'':>11}CPU per upload: server {tally['server_cpu_ms']:.2f} ms, "
            f"clients {tally['client_cpu_ms']:.2f} ms"
        )
    if result["cpu_ratio"] is not None:
        console.print(f"server CPU per upload photogate/bare = {result['cpu_ratio']:.1f}")
    console.print(
        f"throughput ratio photogate/bare = {result['ratio']:.2f} (target >= {TARGET}): "
        f"{verdict(result['passed'])}"
    )
    for name, ratio in result.get("floor_ratios", {}).items():
        console.print(f"{name}/bare = {ratio:.2f} (the least a durable intake does, this check)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line; exit status 1 if the target is missed."""
    args = _parser().parse_args(argv)
    default = Plan(uploads=60, rounds=2) if args.quick else Plan()
    plan = Plan(
        args.uploads or default.uploads,
        args.rounds or default.rounds,
        args.clients,
        args.limits_on,
        args.floors,
    )
    return run_and_report(partial(run, plan), print_figures, args.json)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.accept_throughput")
    parser.add_argument("--quick", action="store_true", help="2 rounds of 60 uploads (< 60 s)")
    parser.add_argument("--uploads", type=int, default=0, help="uploads per server per round (200)")
    parser.add_argument("--rounds", type=int, default=0, help="rounds, servers taking turns (3)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (4)")
    parser.add_argument(
        "--limits-on", action="store_true", help="keep the upload limits at work (never reached)"
    )
    parser.add_argument(
        "--floors", action="store_true", help="add the minimal durable intakes (header, full check)"
    )
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    return parser


if __name__ == "__main__":
    sys.exit(main())
