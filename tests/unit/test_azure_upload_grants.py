"""Upload grants signed with an identity (user delegation SAS), and the limits on any grant."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.storage.blob import UserDelegationKey
from azure.storage.blob.aio import BlobClient
from pydantic import ValidationError

from photogate.adapters.azure_upload_grants import SasSigner, grant_expiry
from photogate.errors import ConfigError
from photogate.settings import AzureSettings, UploadSettings, load_settings

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
ACCOUNT_URL = "https://shopphotos.blob.core.windows.net"


class IdentityService:
    """The parts of a BlobServiceClient signed in with a token (no account key) that we use."""

    account_name = "shopphotos"
    credential = object()  # a token credential: it has no account_key
    url = f"{ACCOUNT_URL}/"
    scheme = "https"

    def __init__(self) -> None:
        self.keys_asked = 0
        self.key_starts: list[datetime] = []

    async def get_user_delegation_key(self, start: datetime, expiry: datetime) -> UserDelegationKey:
        self.keys_asked += 1
        self.key_starts.append(start)
        key = UserDelegationKey()  # type: ignore[no-untyped-call]  # the SDK leaves it untyped
        key.signed_oid, key.signed_tid = "oid-1", "tid-1"
        key.signed_start, key.signed_expiry = (
            f"{start:%Y-%m-%dT%H:%M:%SZ}",
            f"{expiry:%Y-%m-%dT%H:%M:%SZ}",
        )
        key.signed_service, key.signed_version = "b", "2025-01-05"
        key.value = base64.b64encode(b"k" * 32).decode()
        return key


def blob(name: str = "abc/upload") -> BlobClient:
    return BlobClient(ACCOUNT_URL, "quarantine", name)


def fields(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


async def test_an_identity_signs_a_user_delegation_sas_for_https_only() -> None:
    """Without an account key the grant is a user delegation SAS: create only, one blob, https."""
    signer = SasSigner(IdentityService(), lambda: NOW)  # type: ignore[arg-type]
    grant = await signer.grant(blob(), timedelta(minutes=10))
    sas = fields(grant.url)
    assert grant.url.startswith(f"{ACCOUNT_URL}/quarantine/abc/upload?")
    assert (sas["sp"], sas["sr"], sas["spr"], sas["skoid"]) == ("c", "b", "https", "oid-1")
    assert sas["se"] == "2026-05-04T12:10:00Z"
    assert "st" not in sas


async def test_the_delegation_key_is_asked_for_once_and_renewed_before_it_runs_out() -> None:
    """One key serves many grants; a grant that would outlive the key gets a new key."""
    now = [NOW]
    service = IdentityService()
    signer = SasSigner(service, lambda: now[0])  # type: ignore[arg-type]
    for _ in range(3):
        await signer.grant(blob(), timedelta(minutes=10))
    assert service.keys_asked == 1
    now[0] += timedelta(minutes=55)
    await signer.grant(blob(), timedelta(minutes=10))
    assert service.keys_asked == 2


async def test_the_delegation_key_starts_before_our_clock_for_a_service_clock_behind() -> None:
    """The key is asked for from five minutes before now, so a link signed right after a key
    refresh is not refused by a storage service whose clock is behind ours; the link has no start.
    """
    service = IdentityService()
    signer = SasSigner(service, lambda: NOW)  # type: ignore[arg-type]
    sas = fields((await signer.grant(blob(), timedelta(minutes=10))).url)
    assert service.key_starts == [NOW - timedelta(minutes=5)]
    assert (sas["skt"], sas["ske"]) == ("2026-05-04T11:55:00Z", "2026-05-04T13:00:00Z")
    assert "st" not in sas


def test_no_grant_lasts_longer_than_ten_minutes() -> None:
    """grant_expiry clamps any lifetime to ten minutes and refuses one that is not positive."""
    assert grant_expiry(NOW, timedelta(days=1)) == NOW + timedelta(minutes=10)
    assert grant_expiry(NOW, timedelta(seconds=90)) == NOW + timedelta(seconds=90)
    with pytest.raises(ValueError, match="must last"):
        grant_expiry(NOW, timedelta(seconds=-1))


def test_the_grant_lifetime_setting_is_capped_at_ten_minutes() -> None:
    """PHOTOGATE_UPLOADS__DIRECT_UPLOAD_TTL_S over 600 is refused, naming the variable."""
    assert UploadSettings().direct_upload_ttl_s == 600
    with pytest.raises(ValidationError):
        UploadSettings(direct_upload_ttl_s=601)
    with pytest.raises(ConfigError, match="PHOTOGATE_UPLOADS__DIRECT_UPLOAD_TTL_S"):
        load_settings(_env_file=None, uploads={"direct_upload_ttl_s": 3600})


def test_cors_origins_must_be_origins() -> None:
    """PHOTOGATE_AZURE__CORS_ORIGINS takes http(s) origins or "*", without a trailing slash."""
    assert AzureSettings(cors_origins=["https://shop.example/", "*"]).cors_origins == [
        "https://shop.example",
        "*",
    ]
    with pytest.raises(ValidationError, match="origins must be"):
        AzureSettings(cors_origins=["shop.example"])
