"""Thin entry points: the CLI, the web app and the worker, each a translation into use cases."""
