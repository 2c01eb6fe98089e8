"""Azure settings, client construction and the composition root's azure branch (no network)."""

from __future__ import annotations

from pathlib import Path

import pytest
from azure.identity.aio import DefaultAzureCredential

from photogate.adapters.azure_auth import (
    SettingsRetry,
    _reason,
    retry_policy,
    storage_credential,
)
from photogate.adapters.azure_blobs import AzureBlobStore
from photogate.adapters.azure_queue import AzureStorageQueue
from photogate.adapters.memory.catalog import InMemoryCatalog
from photogate.adapters.memory.scanner import InMemoryScanner
from photogate.bootstrap import bootstrap
from photogate.errors import ConfigError
from photogate.settings import AzureSettings, load_settings

# Each test starts in an empty directory with no PHOTOGATE_ variables.
pytestmark = pytest.mark.usefixtures("clean_env")

ACCOUNT = "https://shopphotos.blob.core.windows.net"
QUEUES = "https://shopphotos.queue.core.windows.net"
SHARED_KEY = "k" * 32


def test_azure_backend_without_an_account_names_the_variables_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PHOTOGATE_BACKEND=azure alone fails, naming the connection string and both account URLs."""
    monkeypatch.setenv("PHOTOGATE_BACKEND", "azure")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    for variable in ["CONNECTION_STRING", "BLOB_ACCOUNT_URL", "QUEUE_ACCOUNT_URL"]:
        assert f"PHOTOGATE_AZURE__{variable}" in str(caught.value)


def test_one_account_url_is_not_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    """With only the blob account URL set, the error names the queue account URL still missing."""
    monkeypatch.setenv("PHOTOGATE_BACKEND", "azure")
    monkeypatch.setenv("PHOTOGATE_AZURE__BLOB_ACCOUNT_URL", ACCOUNT)
    with pytest.raises(ConfigError, match="PHOTOGATE_AZURE__QUEUE_ACCOUNT_URL") as caught:
        load_settings()
    assert "PHOTOGATE_AZURE__BLOB_ACCOUNT_URL" not in str(caught.value)


def test_azure_settings_come_from_nested_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """PHOTOGATE_AZURE__* fill the azure group; the connection string never shows in repr."""
    monkeypatch.setenv("PHOTOGATE_BACKEND", "azure")
    monkeypatch.setenv("PHOTOGATE_AZURE__CONNECTION_STRING", "AccountKey=s3cr3t")
    monkeypatch.setenv("PHOTOGATE_AZURE__QUEUE_PREFIX", "shop1-")
    monkeypatch.setenv("PHOTOGATE_AZURE__PUBLIC_BASE_URL", "https://cdn.example/photos/")
    monkeypatch.setenv("PHOTOGATE_AZURE__RETRY_TOTAL", "7")
    monkeypatch.setenv("PHOTOGATE_CONSOLE__SECRET_KEY", SHARED_KEY)
    settings = load_settings()
    assert settings.backend == "azure"
    assert (settings.azure.queue_prefix, settings.azure.retry_total) == ("shop1-", 7)
    assert settings.azure.public_base_url == "https://cdn.example/photos"
    assert "s3cr3t" not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PHOTOGATE_AZURE__QUEUE_PREFIX", "Shop_"),
        ("PHOTOGATE_AZURE__CONTAINER_PREFIX", "a--b"),
        ("PHOTOGATE_AZURE__BLOB_ACCOUNT_URL", "shopphotos.blob.core.windows.net"),
        ("PHOTOGATE_AZURE__RETRY_TOTAL", "-1"),
    ],
)
def test_bad_azure_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """A prefix Azure would refuse, a URL without scheme or a negative retry count is named."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        load_settings()


async def test_account_urls_sign_in_with_the_default_credential() -> None:
    """Without a connection string the stores use DefaultAzureCredential and no key."""
    settings = AzureSettings(blob_account_url=ACCOUNT, queue_account_url=QUEUES)
    credential = storage_credential(settings)
    assert isinstance(credential, DefaultAzureCredential)
    await credential.close()
    store = AzureBlobStore.from_settings(settings)
    assert store.public_url("a/b.webp") == f"{ACCOUNT}/public/a/b.webp"
    await store.aclose()


async def test_a_connection_string_needs_no_credential() -> None:
    """A connection string carries its key: no credential object is made."""
    settings = AzureSettings(connection_string="UseDevelopmentStorage=true")
    assert storage_credential(settings) is None


def test_nothing_to_connect_with_is_a_config_error() -> None:
    """Building clients from empty Azure settings fails with the variables to set."""
    with pytest.raises(ConfigError, match="PHOTOGATE_AZURE__BLOB_ACCOUNT_URL"):
        storage_credential(AzureSettings())


def test_retry_backoff_doubles_from_the_setting_with_jitter_and_a_cap() -> None:
    """The n-th retry waits retry_backoff_s * 2**(n-1), ±20 %, never over 30 s."""
    policy = retry_policy(AzureSettings(retry_total=9, retry_backoff_s=0.5))
    assert isinstance(policy, SettingsRetry)
    for retry, expected in [(1, 0.5), (2, 1.0), (3, 2.0), (9, 30.0)]:
        wait = policy.get_backoff_time({"count": retry})
        assert 0.8 * expected <= wait <= 1.2 * expected


async def test_bootstrap_picks_the_azure_adapters_and_closes_them(tmp_path: Path) -> None:
    """backend=azure wires AzureBlobStore and AzureStorageQueue, with their closers."""
    settings = load_settings(
        backend="azure",
        data_dir=tmp_path,
        azure={"connection_string": "UseDevelopmentStorage=true", "container_prefix": "shop-"},
        console={"secret_key": SHARED_KEY},
    )
    services = await bootstrap(settings, catalog=InMemoryCatalog(), scanner=InMemoryScanner())
    assert isinstance(services.ports.blobs, AzureBlobStore)
    assert isinstance(services.ports.queue, AzureStorageQueue)
    public_url = services.ports.blobs.public_url("x.webp")
    assert public_url == "http://127.0.0.1:10000/devstoreaccount1/shop-public/x.webp"
    assert len(services.closers) == 2
    await services.aclose()


def test_a_parse_error_quoting_the_connection_string_is_left_out() -> None:
    """The SDK's fixed sentence is shown; one quoting any piece of the string is not."""
    secret = "AccountName=shop;AccountKey=s3cretkey"
    assert _reason(ValueError("Connection string is malformed."), secret) == (
        " (Connection string is malformed)"
    )
    assert _reason(ValueError("bad account key s3cretkey"), secret) == ""
