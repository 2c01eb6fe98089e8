"""Prompt pickup on the SQLite queue: a send from another process wakes an idle consumer at
once. The 250 ms p99 target is measured by benchmarks/prompt_pickup.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks.prompt_pickup import measure

from photogate.settings import QueueSettings

pytestmark = pytest.mark.integration

# Polling alone would take seconds: an idle consumer's first wait is an eighth of this, 3.75 s.
LONG_POLL_S = 30.0


async def test_a_send_from_another_process_wakes_an_idle_consumer(tmp_path: Path) -> None:
    """With a 30 s poll interval, 40 single sends from another process are each handled well
    within the 3.75 s the first idle wait would take: the wake-up, not polling, started them.
    An idle consumer then barely looks at the queue.
    """
    pickup = await measure(
        tmp_path / "queue.sqlite3", 40, QueueSettings(poll_interval_s=LONG_POLL_S)
    )
    p50, p99 = pickup.percentile(0.5), pickup.percentile(0.99)
    idle = pickup.idle_receives
    print(f"\npickup p50 {p50 * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms; idle looks {idle}")
    assert len(pickup.delays) == 40
    assert p99 < 2.0
    assert idle <= 2
