"""`python -m photogate.refscanner`: run the reference scanner from the command line."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence

from photogate.refscanner.config import RefScannerConfig
from photogate.refscanner.faults import KINDS, FaultConfig, parse_weights, sizes
from photogate.refscanner.rules import RULES
from photogate.refscanner.server import serve


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        config = config_from(args)
    except ValueError as exc:
        parser.error(str(exc))
    asyncio.run(serve(config, args.host, args.port))


def config_from(args: argparse.Namespace) -> RefScannerConfig:
    """The scanner's configuration from parsed arguments; ValueError names a bad one."""
    return RefScannerConfig(
        slots=args.slots,
        latency_s=args.latency,
        api_key=args.api_key,
        retry_after_s=args.retry_after,
        nudity=args.nudity,
        faults=_faults_from(args),
    )


def _faults_from(args: argparse.Namespace) -> FaultConfig:
    weights = FaultConfig().weights if args.fault_kinds is None else parse_weights(args.fault_kinds)
    return FaultConfig(
        share=args.fault_share,
        weights=weights,
        hang_s=args.hang,
        slow_s=args.slow,
        seed=args.fault_seed,
        fail_sizes=sizes(args.fail_size),
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m photogate.refscanner",
        description="The reference image scanner (serves the in-house scanner API contract).",
        epilog=RULES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--slots", type=int, default=8, help="scans in parallel (default 8)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per scan (0.1)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("REFSCANNER_API_KEY", ""),
        help="required Ocp-Apim-Subscription-Key (default: $REFSCANNER_API_KEY; empty = none)",
    )
    parser.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds (1)")
    parser.add_argument(
        "--nudity", action="store_true", help="also run NudeNet (photogate[nudity])"
    )
    _fault_arguments(parser.add_argument_group("fault injection (off by default)"))
    return parser


def _fault_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--fault-share", type=float, default=0.0, help="share of scans that go wrong, 0-1 (0)"
    )
    group.add_argument(
        "--fault-kinds",
        metavar="KIND=WEIGHT,...",
        help=f"which faults, weighted (default: all alike); kinds: {', '.join(KINDS)}",
    )
    group.add_argument("--hang", type=float, default=30.0, help="seconds a hang lasts (30)")
    group.add_argument("--slow", type=float, default=1.0, help="seconds a slow answer waits (1)")
    group.add_argument("--fault-seed", type=int, help="seed for repeatable fault draws")
    group.add_argument(
        "--fail-size",
        action="append",
        default=[],
        metavar="WxH",
        help="images of this size always get a 500 (repeatable)",
    )


if __name__ == "__main__":
    main()
