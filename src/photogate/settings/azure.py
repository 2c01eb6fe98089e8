"""Settings of backend "azure": the storage account, its names, access and retry policy."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, SecretStr, field_validator

# Azure container and queue names are 3-63 lowercase letters, digits and single hyphens; a
# prefix is glued in front of "quarantine", "public", "scans"…, so it may end with a hyphen.
_AZURE_PREFIX = re.compile(r"(?:[a-z0-9]+-)*[a-z0-9]*")


class AzureSettings(BaseModel):
    """Azure Storage for backend "azure": a connection string (Azurite, account keys) or
    account URLs signed in with DefaultAzureCredential (managed identity, no key).
    """

    connection_string: SecretStr = SecretStr("")
    blob_account_url: str = ""
    queue_account_url: str = ""
    # Where browsers fetch public renditions: a CDN, or by default the public container's URL.
    public_base_url: str = ""
    container_prefix: str = Field("", max_length=40)
    queue_prefix: str = Field("", max_length=40)
    # Anonymous read on the public container; off when a CDN reads a private origin.
    public_access: bool = True
    retry_total: int = Field(5, ge=0, le=20)
    # Origins (e.g. "https://shop.example") whose pages may PUT direct uploads: when set, the
    # blob service's CORS rules get one for them at start-up (Azurite, a dev account). Leave it
    # empty where the infrastructure (Bicep) sets CORS on the account.
    cors_origins: list[str] = Field(default_factory=list, max_length=64)
    retry_backoff_s: float = Field(0.8, ge=0, le=60)

    @field_validator("blob_account_url", "queue_account_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("public_base_url")
    @classmethod
    def _url_or_path(cls, value: str) -> str:
        # A path ("/media") suits a front door that routes the shop's own domain to storage.
        if value and not value.startswith(("http://", "https://", "/")):
            raise ValueError("must start with http://, https:// or /")
        return value.rstrip("/") or value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        bad = [o for o in value if o != "*" and not o.startswith(("http://", "https://"))]
        if bad:
            raise ValueError(f"origins must be '*' or start with http:// or https:// ({bad[0]!r})")
        return [origin.rstrip("/") for origin in value]

    @field_validator("container_prefix", "queue_prefix")
    @classmethod
    def _name_prefix(cls, value: str) -> str:
        if not _AZURE_PREFIX.fullmatch(value):
            raise ValueError("use lowercase letters, digits and single hyphens, e.g. 'shop1-'")
        return value

    def missing_variables(self) -> list[str]:
        """The variables backend "azure" still needs; none once a connection string is set."""
        if self.connection_string.get_secret_value():
            return []
        urls = {
            "PHOTOGATE_AZURE__BLOB_ACCOUNT_URL": self.blob_account_url,
            "PHOTOGATE_AZURE__QUEUE_ACCOUNT_URL": self.queue_account_url,
        }
        return [variable for variable, url in urls.items() if not url]
