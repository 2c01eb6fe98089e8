"""The Azure Functions entry point: triggers that call the same use cases as `photogate worker`."""

from __future__ import annotations

from photogate.entrypoints.functions.app import create_function_app
from photogate.entrypoints.functions.shared import SharedServices

__all__ = ["SharedServices", "create_function_app"]
