"""Helpers shared by the test suites, benchmarks and the end-to-end run (sample uploads)."""
