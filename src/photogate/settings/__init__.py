"""All configuration: one pydantic-settings model, prefix PHOTOGATE_, nested groups with `__`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from photogate.errors import ConfigError
from photogate.settings.azure import AzureSettings
from photogate.settings.console import ConsoleSettings, StaffUser
from photogate.settings.database import DatabaseSettings, check_database_url
from photogate.settings.diagnostics import (
    describe_settings_error,
    describe_validation,
    variables,
    warn_unknown,
)
from photogate.settings.privacy import PrivacySettings
from photogate.settings.screening import ScreeningSettings

__all__ = [
    "AzureSettings",
    "ConsoleSettings",
    "DatabaseSettings",
    "MailSettings",
    "PrivacySettings",
    "QueueSettings",
    "ScannerSettings",
    "ScreeningSettings",
    "Settings",
    "StaffUser",
    "UploadSettings",
    "WebSettings",
    "load_settings",
]

MiB = 1024 * 1024
AZURE_POLL_INTERVAL_S = 2.0


class ScannerSettings(BaseModel):
    """How to reach the scanning API and how hard to lean on it."""

    url: str = "http://127.0.0.1:8081"
    api_key: SecretStr = SecretStr("")
    timeout_s: float = Field(30.0, gt=0)
    # The adaptive limit on calls in flight per worker starts at initial_limit and stays within
    # min_limit..max_in_flight; max_per_second optionally caps how many calls start per second.
    max_in_flight: int = Field(64, ge=1, le=512)
    initial_limit: int = Field(4, ge=1, le=512)
    min_limit: int = Field(1, ge=1, le=512)
    max_per_second: float | None = Field(None, gt=0)
    probe_interval_s: float = Field(10.0, gt=0)
    # The circuit breaker: after breaker_failures failed calls in a row (5xx, timeouts, no
    # answer) every call pauses, breaker_pause_s at first, doubling up to breaker_max_pause_s
    # while the one probe call after each pause fails; a refused API key or URL pauses at once.
    breaker_failures: int = Field(3, ge=1)
    breaker_pause_s: float = Field(1.0, gt=0)
    breaker_max_pause_s: float = Field(60.0, gt=0)
    # The longest one Retry-After pauses every call (a longer one is cut to this).
    max_pause_s: float = Field(300.0, gt=0)
    # When set, the worker appends its limiter's state to this file as JSON lines, every
    # limiter_trace_every_s (for charts and benchmarks; see photogate.worker.limiter_trace).
    limiter_trace_path: Path | None = None
    limiter_trace_every_s: float = Field(0.1, gt=0)
    # While scans are under way the worker logs what its calls did this often (0: never).
    limiter_log_every_s: float = Field(60.0, ge=0)
    # Our own per-category limits; they can only make a verdict stricter.
    fail_thresholds: dict[str, float] = Field(default_factory=dict)
    review_thresholds: dict[str, float] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        try:  # the message must not repeat the value: it may hold a key
            parts = urlsplit(value)
            _ = parts.port
        except ValueError:
            raise ValueError("is not a well-formed URL (check brackets and the port)") from None
        if not parts.hostname:
            raise ValueError("names no host")
        return value.rstrip("/")

    @field_validator("fail_thresholds", "review_thresholds")
    @classmethod
    def _scores(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [name for name, score in value.items() if not 0.0 <= score <= 1.0]
        if bad:
            raise ValueError(f"scores must be between 0 and 1 (check {', '.join(bad)})")
        return value

    @model_validator(mode="after")
    def _limits_in_order(self) -> ScannerSettings:
        if not self.min_limit <= self.initial_limit <= self.max_in_flight:
            raise ValueError(
                "need PHOTOGATE_SCANNER__MIN_LIMIT <= PHOTOGATE_SCANNER__INITIAL_LIMIT"
                " <= PHOTOGATE_SCANNER__MAX_IN_FLIGHT, got"
                f" {self.min_limit}, {self.initial_limit}, {self.max_in_flight}"
            )
        return self

    @model_validator(mode="after")
    def _breaker_pauses_in_order(self) -> ScannerSettings:
        if self.breaker_pause_s > self.breaker_max_pause_s:
            raise ValueError(
                "need PHOTOGATE_SCANNER__BREAKER_PAUSE_S <= PHOTOGATE_SCANNER__BREAKER_MAX_PAUSE_S,"
                f" got {self.breaker_pause_s:g} and {self.breaker_max_pause_s:g}"
            )
        return self


class UploadSettings(BaseModel):
    """Limits on what a customer may upload."""

    max_bytes: int = Field(15 * MiB, ge=1024)
    max_pixels: int = Field(64_000_000, ge=10_000)
    max_caption: int = Field(500, ge=0)
    # Abuse limits on accepted uploads (0 turns one off), counted in the catalog database.
    per_ip_per_hour: int = Field(20, ge=0)
    per_email_per_product_per_day: int = Field(5, ge=0)
    # Browsers put the file straight into quarantine with a short-lived create-only grant
    # (a valet key) when the blob store can issue one (backend azure); else they post it here.
    direct_uploads: bool = True
    # How long a direct-upload grant stays valid; never more than 10 minutes.
    direct_upload_ttl_s: int = Field(600, ge=30, le=600)


class QueueSettings(BaseModel):
    """Delivery of queue messages to workers."""

    max_attempts: int = Field(5, ge=1)
    visibility_timeout_s: float = Field(120.0, gt=0)
    # The longest an idle consumer waits before it looks at the queue again; a wake-up from
    # a sender (SQLite queue) usually ends the wait at once.
    poll_interval_s: float = Field(0.2, gt=0)
    backoff_base_s: float = Field(1.0, gt=0)
    backoff_max_s: float = Field(300.0, gt=0)
    # A scannable submission unchanged this long with its message sent has lost that message
    # (or waits behind it); the reconciler, run every reconcile_every_s, queues it again.
    # Each attempt at a scan counts as a change, so it must outlast backoff_max_s plus an
    # attempt (visibility_timeout_s).
    reconcile_after_s: float = Field(600.0, gt=0, validate_default=True)
    reconcile_every_s: float = Field(60.0, gt=0)

    @field_validator("reconcile_after_s")
    @classmethod
    def _after_visibility(cls, value: float, info: ValidationInfo) -> float:
        # Shorter, and a message hidden while a worker holds it, or between two attempts,
        # would be taken for lost.
        visibility = info.data.get("visibility_timeout_s")
        if visibility is not None and value <= visibility:
            raise ValueError(f"must exceed the visibility timeout ({visibility:g} s)")
        backoff = info.data.get("backoff_max_s")
        if backoff is not None and visibility is not None and value <= backoff + visibility:
            # Between two attempts' notes: one attempt (held up to the visibility timeout)
            # and the longest delay before the next.
            raise ValueError(
                f"must exceed the longest retry delay and an attempt, backoff_max_s + "
                f"visibility_timeout_s ({backoff + visibility:g} s)"
            )
        return value


class MailSettings(BaseModel):
    """Where thank-you emails go: .eml files (default) or an SMTP relay."""

    backend: Literal["file", "smtp"] = "file"
    sender: str = "Tailwind Traders <photos@tailwindtraders.example>"
    smtp_host: str = ""
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_timeout_s: float = Field(30.0, gt=0)
    # A send still running after this long is cut off and retried; a sender's claim on the
    # email lasts a quarter longer (notifying/thank_customer.py says why 240 s).
    send_deadline_s: float = Field(240.0, gt=0)


class WebSettings(BaseModel):
    """The storefront and API process."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    public_base_url: str = ""
    # Proxies in front of the app that append the client's address to X-Forwarded-For
    # (1 behind App Service or one load balancer); 0 trusts only the connection's address.
    trusted_proxy_hops: int = Field(0, ge=0, le=5)
    # Open connections and requests at once before new requests get 503: bounds the memory
    # that uploads in progress hold (a photo up to 1 MiB is kept in memory while it arrives).
    max_connections: int = Field(1000, ge=1, le=100_000)
    # Seconds a request body may go without a byte arriving before the request is answered
    # 408: a client that stops sending mid-upload would otherwise hold its connection forever.
    body_idle_timeout_s: float = Field(30.0, gt=0, le=3600)

    def base_url(self) -> str:
        """The absolute URL customers reach the shop at (used in emails)."""
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")


class Settings(BaseSettings):
    """photogate's settings; the embedded default needs none of them."""

    model_config = SettingsConfigDict(
        env_prefix="PHOTOGATE_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    backend: Literal["embedded", "azure"] = "embedded"
    data_dir: Path = Path("var")
    # Holds the password on a server: a secret, so no repr or log of the settings shows it.
    database_url: SecretStr = SecretStr("")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    scanner: ScannerSettings = Field(default_factory=ScannerSettings)
    uploads: UploadSettings = Field(default_factory=UploadSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    azure: AzureSettings = Field(default_factory=AzureSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    screening: ScreeningSettings = Field(default_factory=ScreeningSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)

    @field_validator("database_url")
    @classmethod
    def _usable_database_url(cls, value: SecretStr) -> SecretStr:
        check_database_url(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _azure_has_an_account(self) -> Settings:
        missing = self.azure.missing_variables() if self.backend == "azure" else []
        if missing:
            raise ValueError(
                "PHOTOGATE_BACKEND=azure needs PHOTOGATE_AZURE__CONNECTION_STRING,"
                f" or else {' and '.join(missing)}"
            )
        return self

    @model_validator(mode="after")
    def _azure_shares_its_keys(self) -> Settings:
        # Functions instances share no data dir: each would make a key of its own, and a
        # session or withdrawal link signed by one would be refused by the next.
        if self.backend == "azure" and not self.console.secret_key.get_secret_value():
            raise ValueError(
                "PHOTOGATE_BACKEND=azure needs PHOTOGATE_CONSOLE__SECRET_KEY: every instance"
                " must sign console sessions, and withdrawal links unless"
                " PHOTOGATE_PRIVACY__LINK_SECRET_KEY is set, with the same key"
            )
        return self

    @model_validator(mode="after")
    def _azure_polls_less_often(self) -> Settings:
        # Every look at an Azure queue is a billed request and nothing wakes a waiting worker:
        # unless set, poll like host.json's maxPollingInterval, not 5 times a second.
        if self.backend == "azure" and "poll_interval_s" not in self.queue.model_fields_set:
            self.queue.poll_interval_s = AZURE_POLL_INTERVAL_S
        return self

    def catalog_url(self) -> str:
        """The SQLAlchemy URL of the catalog database (SQLite under data_dir by default)."""
        if url := self.database_url.get_secret_value():
            return url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'catalog.sqlite3').resolve()}"

    @property
    def queue_path(self) -> Path:
        """The SQLite file holding the embedded message queue."""
        return self.data_dir / "queue.sqlite3"

    @property
    def blob_dir(self) -> Path:
        """Root of the filesystem blob containers."""
        return self.data_dir / "blobs"

    @property
    def outbox_dir(self) -> Path:
        """Where the file mailer writes .eml files."""
        return self.data_dir / "outbox"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and .env; a bad value raises ConfigError naming it.

    Each PHOTOGATE_ variable of the environment that no setting reads is logged as a warning.
    """
    known = variables(Settings)
    warn_unknown(known, os.environ)
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_validation(exc)) from None
    except SettingsError as exc:
        raise ConfigError(describe_settings_error(exc, known, os.environ)) from None
