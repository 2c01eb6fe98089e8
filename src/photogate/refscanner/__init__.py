"""The reference scanner: a stand-in for the in-house scanning API, serving its contract exactly."""

from __future__ import annotations

from photogate.refscanner.app import create_app
from photogate.refscanner.config import RefScannerConfig
from photogate.refscanner.faults import FaultConfig
from photogate.refscanner.rules import RULES
from photogate.refscanner.server import BackgroundRefScanner, serve

__all__ = [
    "RULES",
    "BackgroundRefScanner",
    "FaultConfig",
    "RefScannerConfig",
    "create_app",
    "serve",
]
