"""All configuration: one pydantic-settings model, prefix PHOTOGATE_, nested groups with `__`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from photogate.errors import ConfigError

MiB = 1024 * 1024


class ScannerSettings(BaseModel):
    """How to reach the scanning API and how hard to lean on it."""

    url: str = "http://127.0.0.1:8081"
    api_key: SecretStr = SecretStr("")
    timeout_s: float = Field(30.0, gt=0)
    max_in_flight: int = Field(4, ge=1, le=512)
    # Our own per-category limits; they can only make a verdict stricter.
    fail_thresholds: dict[str, float] = Field(default_factory=dict)
    review_thresholds: dict[str, float] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("fail_thresholds", "review_thresholds")
    @classmethod
    def _scores(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [name for name, score in value.items() if not 0.0 <= score <= 1.0]
        if bad:
            raise ValueError(f"scores must be between 0 and 1 (check {', '.join(bad)})")
        return value


class UploadSettings(BaseModel):
    """Limits on what a customer may upload."""

    max_bytes: int = Field(15 * MiB, ge=1024)
    max_pixels: int = Field(64_000_000, ge=10_000)
    max_caption: int = Field(500, ge=0)


class QueueSettings(BaseModel):
    """Delivery of queue messages to workers."""

    max_attempts: int = Field(5, ge=1)
    visibility_timeout_s: float = Field(120.0, gt=0)
    poll_interval_s: float = Field(0.1, gt=0)
    backoff_base_s: float = Field(1.0, gt=0)
    backoff_max_s: float = Field(300.0, gt=0)


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


class WebSettings(BaseModel):
    """The storefront and API process."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    public_base_url: str = ""

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

    data_dir: Path = Path("var")
    database_url: str = ""
    scanner: ScannerSettings = Field(default_factory=ScannerSettings)
    uploads: UploadSettings = Field(default_factory=UploadSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    web: WebSettings = Field(default_factory=WebSettings)

    def catalog_url(self) -> str:
        """The SQLAlchemy URL of the catalog database (SQLite under data_dir by default)."""
        if self.database_url:
            return self.database_url
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
    """Read settings from the environment and .env; a bad value raises ConfigError naming it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        variable = "PHOTOGATE_" + "__".join(loc).upper()
        lines.append(f"{variable}: {err['msg']}")
    return "invalid settings:\n  " + "\n  ".join(lines)
