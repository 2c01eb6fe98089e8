"""Fixtures of the fault tests: a migrated data dir with one product, made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.pipeline import make_template


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated catalog with the test product, to copy for each test."""
    root = tmp_path_factory.mktemp("faults-template")
    return make_template(root / "data", root / "template.log")
