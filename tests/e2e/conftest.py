"""Fixtures of the end-to-end tests of `photogate up --backend azure`: database, storage, inbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.up_azure import Inbox, azurite_storage, postgres_database, smtp_inbox


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on a free loopback port, and what it received."""
    with smtp_inbox() as received:
        yield received


@pytest.fixture
def database() -> Iterator[str]:
    """A new, empty PostgreSQL database (`up` migrates it), dropped afterwards."""
    with postgres_database() as url:
        yield url


@pytest.fixture
def storage() -> Iterator[tuple[str, str]]:
    """Azurite's connection string and a prefix for this test's own containers and queues."""
    with azurite_storage() as names:
        yield names
