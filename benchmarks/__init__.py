"""Benchmarks of photogate's pipeline (run them as modules: python -m benchmarks.<name>)."""
