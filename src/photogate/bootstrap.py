"""The composition root: the one place that turns settings into adapters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache, partial

from photogate.clock import Clock, utcnow
from photogate.domain.scan import Thresholds
from photogate.notifying.thank_customer import NotifyPolicy
from photogate.ports import BlobStore, Catalog, Mailer, MessageQueue, Ports, Scanner
from photogate.privacy.links import WithdrawalLinks, link_key
from photogate.scanning.limiter import AdaptiveLimiter, AdaptiveScanner, limiter_for
from photogate.scanning.scan_submission import ScanPolicy
from photogate.screening.screen import Screener
from photogate.secret_key import console_secret
from photogate.settings import Settings
from photogate.worker.heartbeat import HeartbeatWriter

Closer = Callable[[], Awaitable[None]]


@dataclass
class Services:
    """Everything an entry point needs: settings, the ports' adapters and the policies."""

    settings: Settings
    ports: Ports
    scan_policy: ScanPolicy
    notify_policy: NotifyPolicy
    closers: list[Closer] = field(default_factory=list)
    # The limiter of scanner calls (ports.scanner goes through it); consumers ask it for room.
    scan_limiter: AdaptiveLimiter | None = None
    # What entry points read the time from (claims, the undo window, the customer's view of a
    # rejection); tests put a clock they move here.
    clock: Clock = utcnow
    # Writes the limiter's state to the catalog while this process scans (worker/heartbeat.py).
    heartbeat: HeartbeatWriter | None = None

    async def aclose(self) -> None:
        """Release connections and files, last opened first."""
        for close in reversed(self.closers):
            await close()
        self.closers.clear()


async def bootstrap(
    settings: Settings,
    *,
    blobs: BlobStore | None = None,
    queue: MessageQueue | None = None,
    catalog: Catalog | None = None,
    scanner: Scanner | None = None,
    mailer: Mailer | None = None,
) -> Services:
    """Build the services for `settings`; tests may pass any port's adapter in directly."""
    closers: list[Closer] = []
    # The catalog first: one missing or not migrated is refused before anything is written.
    catalog = catalog or await _catalog(settings, closers)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    limiter = limiter_for(settings.scanner)
    ports = Ports(
        blobs=blobs or _blobs(settings, closers),
        queue=queue or _queue(settings, closers),
        catalog=catalog,
        scanner=AdaptiveScanner(scanner or _scanner(settings, closers), limiter),
        mailer=mailer or _mailer(settings),
    )
    policies = _scan_policy(settings), _notify_policy(settings)
    heartbeat = HeartbeatWriter(catalog, limiter)
    return Services(settings, ports, *policies, closers, scan_limiter=limiter, heartbeat=heartbeat)


def _scan_policy(settings: Settings) -> ScanPolicy:
    thresholds = Thresholds(
        fail=settings.scanner.fail_thresholds, review=settings.scanner.review_thresholds
    )
    return ScanPolicy(thresholds, screener=Screener.from_settings(settings.screening))


def _notify_policy(settings: Settings) -> NotifyPolicy:
    shop_url = settings.web.base_url()
    links = withdrawal_links(settings)
    deadline = timedelta(seconds=settings.mail.send_deadline_s)
    return NotifyPolicy(settings.mail.sender, shop_url, links=links, send_deadline=deadline)


def withdrawal_links(settings: Settings) -> WithdrawalLinks:
    """The signer of withdrawal links: the worker signs them, the web app checks them.

    Both derive its key from PHOTOGATE_PRIVACY__LINK_SECRET_KEY, else from the console's key
    (PHOTOGATE_CONSOLE__SECRET_KEY, else the data dir's key file), so they agree. The key is
    found when the first link is made or checked: a command that does neither writes no key file.
    """
    ttl = timedelta(days=settings.privacy.link_ttl_days)
    return WithdrawalLinks(cache(partial(_link_key, settings)), settings.web.base_url(), ttl)


def _link_key(settings: Settings) -> bytes:
    configured = settings.privacy.link_secret_key.get_secret_value()
    return link_key(configured.encode() if configured else console_secret(settings))


def _blobs(settings: Settings, closers: list[Closer]) -> BlobStore:
    if settings.backend == "azure":
        from photogate.adapters.azure_blobs import AzureBlobStore

        store = AzureBlobStore.from_settings(settings.azure)
        closers.append(store.aclose)
        return store
    from photogate.adapters.filesystem_blobs import FilesystemBlobStore

    return FilesystemBlobStore(settings.blob_dir, public_base_url="/media")


def _queue(settings: Settings, closers: list[Closer]) -> MessageQueue:
    if settings.backend == "azure":
        from photogate.adapters.azure_queue import AzureStorageQueue

        azure_queue = AzureStorageQueue.from_settings(settings.azure)
        closers.append(azure_queue.aclose)
        return azure_queue
    from photogate.adapters.sqlite_queue import SqliteMessageQueue

    queue = SqliteMessageQueue(settings.queue_path)

    async def close() -> None:
        queue.close()

    closers.append(close)
    return queue


async def check_catalog(settings: Settings) -> None:
    """Open the catalog database once and close it again: raises what bootstrap would (a
    ConfigError if it is missing or not migrated, StorageUnavailable if it cannot be reached).
    """
    closers: list[Closer] = []
    await _catalog(settings, closers)
    for close in closers:
        await close()


async def check_storage(settings: Settings) -> None:
    """Make the Azure blob and queue clients once and close them again, sending no request:
    raises what bootstrap would for storage settings that cannot work (a ConfigError for a
    connection string that does not parse). Files and SQLite queues have nothing to check.
    """
    if settings.backend != "azure":
        return
    closers: list[Closer] = []
    try:
        _blobs(settings, closers)
        _queue(settings, closers)
    finally:
        for close in closers:
            await close()


async def _catalog(settings: Settings, closers: list[Closer]) -> Catalog:
    from photogate.adapters.sql.catalog import open_sql_catalog

    catalog = await open_sql_catalog(settings.catalog_url(), pools=settings.database)
    closers.append(catalog.aclose)
    return catalog


def _scanner(settings: Settings, closers: list[Closer]) -> Scanner:
    from photogate.adapters.http_scanner import HttpScanner

    scanner = HttpScanner(settings.scanner)
    closers.append(scanner.aclose)
    return scanner


def _mailer(settings: Settings) -> Mailer:
    if settings.mail.backend == "smtp":
        from photogate.adapters.smtp_mailer import SmtpMailer

        return SmtpMailer(settings.mail)
    from photogate.adapters.file_mailer import FileMailer

    return FileMailer(settings.outbox_dir)
