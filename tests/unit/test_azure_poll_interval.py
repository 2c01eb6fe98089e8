"""Idle workers on Azure Storage Queues poll every 2 s unless told otherwise: polls are billed."""

from __future__ import annotations

from photogate.settings import AZURE_POLL_INTERVAL_S, QueueSettings, Settings

AZURE = {
    "backend": "azure",
    "azure": {"connection_string": "UseDevelopmentStorage=true"},
    "console": {"secret_key": "k" * 32},
}


def test_azure_backend_polls_every_two_seconds_by_default() -> None:
    """With backend azure and no poll interval set, an idle consumer waits up to 2 s."""
    assert Settings(_env_file=None, **AZURE).queue.poll_interval_s == AZURE_POLL_INTERVAL_S == 2.0


def test_an_explicit_poll_interval_wins_on_azure() -> None:
    """PHOTOGATE_QUEUE__POLL_INTERVAL_S set by hand is kept on Azure too."""
    settings = Settings(_env_file=None, queue=QueueSettings(poll_interval_s=0.5), **AZURE)
    assert settings.queue.poll_interval_s == 0.5


def test_the_embedded_backend_keeps_its_fast_poll() -> None:
    """The embedded default (woken by its doorbell) keeps the 0.2 s bound."""
    assert Settings(_env_file=None).queue.poll_interval_s == 0.2
