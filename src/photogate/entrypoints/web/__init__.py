"""The storefront and JSON API: a thin FastAPI layer over the intake use case and the catalog."""

from __future__ import annotations

from photogate.entrypoints.web.app import create_app

__all__ = ["create_app"]
