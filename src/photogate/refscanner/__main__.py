"""`python -m photogate.refscanner`: run the reference scanner from the command line."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence

from photogate.refscanner.config import RefScannerConfig
from photogate.refscanner.rules import RULES
from photogate.refscanner.server import serve


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        config = RefScannerConfig(
            slots=args.slots,
            latency_s=args.latency,
            api_key=args.api_key,
            retry_after_s=args.retry_after,
            nudity=args.nudity,
        )
    except ValueError as exc:
        parser.error(str(exc))
    asyncio.run(serve(config, args.host, args.port))


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
    return parser


if __name__ == "__main__":
    main()
