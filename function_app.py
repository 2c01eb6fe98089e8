"""Azure Functions' entry point (the host imports `app` from here); the wiring is in the package."""

from __future__ import annotations

from photogate.entrypoints.functions import create_function_app

app = create_function_app()
