"""Direct-upload grants on Azure Blob Storage: a create-only SAS for one quarantine blob.

With an account key (a connection string) the SAS is a service SAS signed with the key; with
an identity (DefaultAzureCredential) it is a user delegation SAS, signed with a key the
service hands out to that identity, which needs the "Storage Blob Delegator" role.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final
from urllib.parse import urlsplit

from azure.storage.blob import BlobSasPermissions, CorsRule, UserDelegationKey, generate_blob_sas
from azure.storage.blob.aio import BlobClient, BlobServiceClient

from photogate.adapters.azure_errors import storage_errors
from photogate.clock import Clock
from photogate.ports.blobs import MAX_GRANT_LIFETIME, UploadGrant

# A user delegation key is asked for once and reused until this close to its own expiry.
_KEY_LIFETIME: Final = timedelta(hours=1)
# The key is valid from this long before our clock's now: a SAS signed with it is refused (403)
# while the storage service's clock is still before the key's start, if its clock is behind.
_KEY_CLOCK_SKEW: Final = timedelta(minutes=5)
# What a browser PUT carries besides the body; the rule lets it through CORS.
UPLOAD_HEADERS: Final = {"x-ms-blob-type": "BlockBlob"}
_CORS_HEADERS: Final = ["content-type", "x-ms-blob-type", "x-ms-blob-content-type"]
_MAX_CORS_RULES: Final = 5  # the most a storage account accepts


def grant_expiry(now: datetime, expires_in: timedelta) -> datetime:
    """`now` + `expires_in`, never further than MAX_GRANT_LIFETIME; refuses a lifetime <= 0."""
    if expires_in <= timedelta(0):
        raise ValueError(f"a grant must last a while, not {expires_in}")
    return now + min(expires_in, MAX_GRANT_LIFETIME)


class SasSigner:
    """Signs create-only blob SAS tokens with the account key, or a user delegation key."""

    def __init__(self, service: BlobServiceClient, clock: Clock) -> None:
        self._service = service
        self._clock = clock
        self._account_key: str | None = getattr(service.credential, "account_key", None)
        self._delegation: UserDelegationKey | None = None
        self._delegation_expiry: datetime | None = None

    async def grant(self, blob: BlobClient, expires_in: timedelta) -> UploadGrant:
        """Leave to create `blob` (and nothing else) until the grant expires."""
        expires_at = grant_expiry(self._clock(), expires_in)
        sas = generate_blob_sas(
            self._service.account_name or "",
            blob.container_name,
            blob.blob_name,
            account_key=self._account_key,
            user_delegation_key=await self._delegation_key(expires_at),
            permission=BlobSasPermissions(create=True),
            expiry=expires_at,
            # No start time: the name is new, and a start would only invite clock-skew refusals.
            protocol=self._protocol(),
        )
        return UploadGrant(f"{blob.url}?{sas}", expires_at, dict(UPLOAD_HEADERS))

    def origin(self) -> str:
        """The scheme, host and port browsers PUT to."""
        url = urlsplit(self._service.url)
        return f"{url.scheme}://{url.netloc}"

    def _protocol(self) -> str:
        # HTTPS only, except on an http endpoint (Azurite), where https-only could never work.
        return "https" if self._service.scheme == "https" else "https,http"

    async def _delegation_key(self, expires_at: datetime) -> UserDelegationKey | None:
        if self._account_key is not None:
            return None
        expiry = self._delegation_expiry
        if self._delegation is None or expiry is None or expiry <= expires_at:
            now = self._clock()
            start, key_expiry = now - _KEY_CLOCK_SKEW, now + _KEY_LIFETIME
            with storage_errors("get a user delegation key for upload grants"):
                key = await self._service.get_user_delegation_key(start, key_expiry)
            self._delegation, self._delegation_expiry = key, key_expiry
        return self._delegation


async def allow_browser_uploads(service: BlobServiceClient, origins: list[str]) -> None:
    """Add a CORS rule letting pages of `origins` PUT blobs; other rules are kept."""
    ours = CorsRule(
        origins,
        ["PUT"],
        allowed_headers=_CORS_HEADERS,
        exposed_headers=["x-ms-request-id"],
        max_age_in_seconds=600,
    )
    with storage_errors("read the blob service's CORS rules"):
        properties = await service.get_service_properties()
    rules: list[CorsRule] = list(properties.get("cors") or [])
    if any(_same_rule(rule, ours) for rule in rules):
        return
    others = [rule for rule in rules if _joined(rule.allowed_origins) != _joined(origins)]
    with storage_errors("set the blob service's CORS rules"):
        await service.set_service_properties(cors=[*others[-(_MAX_CORS_RULES - 1) :], ours])


def _same_rule(rule: CorsRule, ours: CorsRule) -> bool:
    fields = ("allowed_origins", "allowed_methods", "allowed_headers")
    return all(_joined(getattr(rule, f)) == _joined(getattr(ours, f)) for f in fields)


def _joined(value: object) -> str:
    # The SDK keeps a rule it built as comma-joined text, and one it read as a list of it.
    items = value if isinstance(value, list) else [value]
    return ",".join(sorted(part.strip() for item in items for part in str(item).split(",")))
