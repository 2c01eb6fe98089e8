"""Use case: thank the customer. Concurrent deliveries of one notification send one email."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from photogate.adapters.memory.catalog import InMemoryCatalog
from photogate.adapters.memory.mailer import InMemoryMailer
from photogate.bootstrap import bootstrap
from photogate.domain.catalog import EmailStatus
from photogate.errors import EmailInFlight, MailDeferred, Throttled
from photogate.notifying.thank_customer import NotifyPolicy, thank_customer
from photogate.scanning.scan_submission import ScanPolicy
from photogate.settings import MailSettings, Settings
from tests.unit.conftest import Fakes
from tests.unit.test_thank_customer import owed_email

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


class GatedMailer(InMemoryMailer):
    """Holds every send at a gate until `open` is called, as a slow mail server would."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = asyncio.Event()
        self._gate = asyncio.Event()

    def open(self) -> None:
        """Let held and later sends through."""
        self._gate.set()

    async def send(self, message: EmailMessage) -> None:
        """Wait at the gate, then record the message (or raise a planned failure)."""
        self.waiting.set()
        await self._gate.wait()
        await super().send(message)


class StoppedClock:
    """A clock that moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def gated(fakes: Fakes) -> GatedMailer:
    fakes.mailer = GatedMailer()
    return fakes.mailer


@pytest.fixture
def clock() -> StoppedClock:
    return StoppedClock()


@pytest.fixture
def policy(notify_policy: NotifyPolicy, clock: StoppedClock) -> NotifyPolicy:
    return replace(notify_policy, clock=clock)


async def until(condition: Callable[[], bool], seconds: float = 5) -> None:
    """Let other tasks run until `condition` holds; fail after `seconds`."""
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0)


async def sending(
    fakes: Fakes, gated: GatedMailer, email_id: str, policy: NotifyPolicy
) -> asyncio.Task[EmailStatus | None]:
    """A delivery started and held at the mail server's gate."""
    task = asyncio.create_task(thank_customer(email_id, ports=fakes.ports, policy=policy))
    await asyncio.wait_for(gated.waiting.wait(), timeout=5)
    return task


async def test_two_concurrent_deliveries_send_one_email(
    fakes: Fakes, gated: GatedMailer, tmp_path: Path, scan_policy: ScanPolicy, policy: NotifyPolicy
) -> None:
    """While one delivery sends, a second one is throttled; its retry finds the email sent."""
    email_id = await owed_email(fakes, tmp_path, scan_policy)
    first = await sending(fakes, gated, email_id, policy)
    with pytest.raises(EmailInFlight) as held_back:
        await thank_customer(email_id, ports=fakes.ports, policy=policy)
    assert isinstance(held_back.value, Throttled) and held_back.value.retry_after == 10
    gated.open()
    assert await first is EmailStatus.SENT
    assert await thank_customer(email_id, ports=fakes.ports, policy=policy) is None
    assert len(gated.sent) == 1


async def test_many_concurrent_deliveries_have_one_sender(
    fakes: Fakes, gated: GatedMailer, tmp_path: Path, scan_policy: ScanPolicy, policy: NotifyPolicy
) -> None:
    """Of several deliveries started at once, one sends and every other one is held back."""
    email_id = await owed_email(fakes, tmp_path, scan_policy)
    tasks = [
        asyncio.create_task(thank_customer(email_id, ports=fakes.ports, policy=policy))
        for _ in range(5)
    ]
    await until(lambda: sum(task.done() for task in tasks) == 4)
    gated.open()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results.count(EmailStatus.SENT) == 1
    assert sum(isinstance(result, EmailInFlight) for result in results) == 4
    assert len(gated.sent) == 1


async def test_a_deferred_send_releases_the_claim_for_the_next_try(
    fakes: Fakes, tmp_path: Path, scan_policy: ScanPolicy, policy: NotifyPolicy
) -> None:
    """After a 4xx the next delivery sends at once, without waiting for the lease to run out."""
    email_id = await owed_email(fakes, tmp_path, scan_policy)
    fakes.mailer.fail_next(1, MailDeferred("451 try later"))
    with pytest.raises(MailDeferred):
        await thank_customer(email_id, ports=fakes.ports, policy=policy)
    assert await thank_customer(email_id, ports=fakes.ports, policy=policy) is EmailStatus.SENT
    assert len(fakes.mailer.sent) == 1


async def test_a_crashed_senders_claim_runs_out_and_the_email_is_sent(
    fakes: Fakes,
    gated: GatedMailer,
    tmp_path: Path,
    scan_policy: ScanPolicy,
    policy: NotifyPolicy,
    clock: StoppedClock,
) -> None:
    """A sender that dies mid-send holds the email until its lease ends; then a retry sends it."""
    email_id = await owed_email(fakes, tmp_path, scan_policy)
    crashed = await sending(fakes, gated, email_id, policy)
    crashed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await crashed
    gated.open()
    clock.now += policy.claim_lease - timedelta(seconds=1)
    with pytest.raises(EmailInFlight):
        await thank_customer(email_id, ports=fakes.ports, policy=policy)
    clock.now += timedelta(seconds=1)
    assert await thank_customer(email_id, ports=fakes.ports, policy=policy) is EmailStatus.SENT
    assert len(gated.sent) == 1


async def test_a_send_past_its_deadline_is_a_deferral_that_frees_the_email(
    fakes: Fakes, gated: GatedMailer, tmp_path: Path, scan_policy: ScanPolicy, policy: NotifyPolicy
) -> None:
    """A send still running at the deadline is cut off, recorded as deferred and released."""
    email_id = await owed_email(fakes, tmp_path, scan_policy)
    hurried = replace(policy, send_deadline=timedelta(milliseconds=50))
    with pytest.raises(MailDeferred, match="did not finish"):
        await thank_customer(email_id, ports=fakes.ports, policy=hurried)
    record = await fakes.catalog.get_email(email_id)
    assert record is not None and record.status is EmailStatus.PENDING and record.attempts == 1
    gated.open()
    assert await thank_customer(email_id, ports=fakes.ports, policy=policy) is EmailStatus.SENT


def test_the_claim_outlasts_the_send_deadline() -> None:
    """The default lease is five minutes: the four-minute send deadline and a quarter more."""
    policy = NotifyPolicy(sender="s@example.com", shop_url="http://shop.example")
    assert policy.send_deadline == timedelta(minutes=4)
    assert policy.claim_lease == timedelta(minutes=5)


async def test_a_held_back_delivery_never_waits_past_a_short_lease(
    fakes: Fakes, gated: GatedMailer, tmp_path: Path, scan_policy: ScanPolicy, policy: NotifyPolicy
) -> None:
    """EmailInFlight asks for a retry in 10 s, or when the lease ends if that is sooner."""
    email_id = await owed_email(fakes, tmp_path, scan_policy)
    brief = replace(policy, send_deadline=timedelta(seconds=4))
    first = await sending(fakes, gated, email_id, brief)
    with pytest.raises(EmailInFlight) as held_back:
        await thank_customer(email_id, ports=fakes.ports, policy=brief)
    assert held_back.value.retry_after == 5
    gated.open()
    assert await first is EmailStatus.SENT


async def test_bootstrap_takes_the_send_deadline_from_the_mail_settings(tmp_path: Path) -> None:
    """PHOTOGATE_MAIL__SEND_DEADLINE_S sets the notify policy's deadline, and so its lease."""
    settings = Settings(data_dir=tmp_path, mail=MailSettings(send_deadline_s=8))
    services = await bootstrap(settings, catalog=InMemoryCatalog())
    try:
        assert services.notify_policy.send_deadline == timedelta(seconds=8)
        assert services.notify_policy.claim_lease == timedelta(seconds=10)
    finally:
        await services.aclose()
