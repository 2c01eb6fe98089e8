"""Contract of the BlobStore port, run over every implementation."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from azure.storage.blob.aio import BlobServiceClient

from photogate.adapters.azure_blobs import AzureBlobStore
from photogate.adapters.filesystem_blobs import FilesystemBlobStore
from photogate.adapters.memory.blobs import InMemoryBlobStore
from photogate.clock import utcnow
from photogate.errors import BlobNotFound, ConfigError, StorageUnavailable
from photogate.ports.blobs import BlobStore, Container
from tests.support import azurite

Q, P = Container.QUARANTINE, Container.PUBLIC
NAME = "3f2a9c/800.webp"
UNSAFE_NAMES = [
    "../../etc/passwd",
    "/abs",
    "a\\b",
    "a\x00b",
    "",
    "a//b",
    "a/",
    "./a",
    "a/../b",
    ".hidden",
    "a\nb",
]


AZURE = pytest.param("azure", marks=pytest.mark.integration)


@pytest.fixture(params=["filesystem", "memory", AZURE])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    """Each BlobStore implementation, empty, with public URLs under /media."""
    if request.param == "filesystem":
        yield FilesystemBlobStore(tmp_path / "blobs")
    elif request.param == "memory":
        yield InMemoryBlobStore()
    else:
        async with azure_store_for(public_base_url="/media") as azure_store:
            yield azure_store


@asynccontextmanager
async def azure_store_for(prefix: str = "", **settings: object) -> AsyncIterator[AzureBlobStore]:
    """An AzureBlobStore on Azurite with containers of its own, deleted afterwards."""
    connection, prefix = azurite.azurite_connection_string(), prefix or azurite.unique_prefix()
    azure_store = AzureBlobStore.from_settings(azurite.settings_for(connection, prefix, **settings))
    try:
        yield azure_store
    finally:
        await azure_store.aclose()
        await azurite.delete_containers(connection, prefix)


async def test_put_then_get_returns_the_same_bytes(store: BlobStore) -> None:
    """A blob read back is byte for byte what was stored."""
    data = bytes(range(256)) * 10
    await store.put(Q, NAME, data, "image/webp")
    assert await store.get(Q, NAME) == data


async def test_put_replaces_an_existing_blob(store: BlobStore) -> None:
    """Putting a name again replaces the earlier bytes."""
    await store.put(P, NAME, b"first", "image/webp")
    await store.put(P, NAME, b"second", "image/webp")
    assert await store.get(P, NAME) == b"second"


async def test_get_of_a_missing_blob_raises_blob_not_found(store: BlobStore) -> None:
    """Reading a name never stored raises BlobNotFound."""
    with pytest.raises(BlobNotFound):
        await store.get(Q, "nothing/here.webp")


async def test_get_of_a_folder_like_prefix_raises_blob_not_found(store: BlobStore) -> None:
    """The "folder" part of a stored name is not itself a blob."""
    await store.put(Q, NAME, b"x", "image/webp")
    assert not await store.exists(Q, "3f2a9c")
    with pytest.raises(BlobNotFound):
        await store.get(Q, "3f2a9c")


async def test_exists_follows_put_and_delete(store: BlobStore) -> None:
    """exists is false before put, true after, false again after delete."""
    assert not await store.exists(Q, NAME)
    await store.put(Q, NAME, b"x", "image/jpeg")
    assert await store.exists(Q, NAME)
    await store.delete(Q, NAME)
    assert not await store.exists(Q, NAME)


async def test_delete_is_idempotent(store: BlobStore) -> None:
    """Deleting a blob twice, or one never stored, is not an error."""
    await store.put(Q, NAME, b"x", "image/jpeg")
    await store.delete(Q, NAME)
    await store.delete(Q, NAME)
    await store.delete(Q, "never/stored")
    with pytest.raises(BlobNotFound):
        await store.get(Q, NAME)


async def test_delete_leaves_sibling_blobs_alone(store: BlobStore) -> None:
    """Deleting one rendition keeps the others of the same prefix."""
    await store.put(P, "3f2a9c/400.webp", b"small", "image/webp")
    await store.put(P, "3f2a9c/800.webp", b"large", "image/webp")
    await store.delete(P, "3f2a9c/400.webp")
    assert await store.get(P, "3f2a9c/800.webp") == b"large"


async def test_delete_folder_removes_every_blob_below_it_and_nothing_else(
    store: BlobStore,
) -> None:
    """Every blob under the folder, however deep, goes; a blob named as the folder itself, a
    folder whose name merely starts the same, and the other container's blobs stay.
    """
    doomed = ["3f2a9c/a1/800.webp", "3f2a9c/a1/320.jpg", "3f2a9c/b2/800.webp", "3f2a9c/x.jpg"]
    kept = [(P, "3f2a9cd/800.webp"), (P, "other/3f2a9c/800.webp"), (Q, "3f2a9c/a1/800.webp")]
    for name in doomed:
        await store.put(P, name, b"r", "image/webp")
    for container, name in kept:
        await store.put(container, name, b"k", "image/webp")
    assert await store.delete_folder(P, "3f2a9c") == len(doomed)
    assert [name for name in doomed if await store.exists(P, name)] == []
    assert [name for where, name in kept if not await store.exists(where, name)] == []


async def test_delete_folder_of_nothing_removes_nothing(store: BlobStore) -> None:
    """A folder with no blobs under it, or naming a blob rather than a folder, is no error."""
    await store.put(P, "3f2a9c", b"blob, not folder", "image/webp")
    assert await store.delete_folder(P, "never/written") == 0
    assert await store.delete_folder(P, "3f2a9c") == 0
    assert await store.get(P, "3f2a9c") == b"blob, not folder"


async def test_names_before_lists_the_blobs_written_before_a_time(store: BlobStore) -> None:
    """Blobs written before the time are listed, from that container only."""
    before_writing = utcnow() - timedelta(minutes=5)
    for name in ("3f2a9c/original.jpeg", "7b1e04/upload"):
        await store.put(Q, name, b"x", "image/jpeg")
    await store.put(P, "3f2a9c/800.webp", b"r", "image/webp")
    later = utcnow() + timedelta(minutes=5)
    assert sorted(await store.names_before(Q, later)) == [
        "3f2a9c/original.jpeg",
        "7b1e04/upload",
    ]
    assert await store.names_before(Q, before_writing) == []


async def test_containers_are_independent(store: BlobStore) -> None:
    """The same name in quarantine and public are two different blobs."""
    await store.put(Q, NAME, b"original", "image/jpeg")
    assert not await store.exists(P, NAME)
    await store.put(P, NAME, b"rendition", "image/webp")
    await store.delete(Q, NAME)
    assert await store.get(P, NAME) == b"rendition"
    assert not await store.exists(Q, NAME)


@pytest.mark.parametrize("name", UNSAFE_NAMES)
async def test_unsafe_names_are_refused_by_every_operation(store: BlobStore, name: str) -> None:
    """Names that could escape the container raise ValueError whatever the operation."""
    with pytest.raises(ValueError, match="blob name"):
        await store.put(Q, name, b"x", "text/plain")
    with pytest.raises(ValueError, match="blob name"):
        await store.get(Q, name)
    with pytest.raises(ValueError, match="blob name"):
        await store.exists(Q, name)
    with pytest.raises(ValueError, match="blob name"):
        await store.delete(Q, name)
    with pytest.raises(ValueError, match="blob name"):
        await store.delete_folder(Q, name)
    with pytest.raises(ValueError, match="blob name"):
        store.public_url(name)


async def test_unknown_container_is_refused(store: BlobStore) -> None:
    """A string that is not one of the two containers cannot be used as one."""
    with pytest.raises(ValueError, match="Container"):
        await store.put("../public", NAME, b"x", "text/plain")  # type: ignore[arg-type]


def test_public_url_joins_the_base_url_and_the_name(store: BlobStore) -> None:
    """public_url is the base URL, a slash, then the name."""
    assert store.public_url(NAME) == "/media/3f2a9c/800.webp"


def test_public_url_honours_a_configured_base_url(tmp_path: Path) -> None:
    """Both stores use the base URL they were given, without doubling its slash."""
    for store in (
        FilesystemBlobStore(tmp_path, public_base_url="https://cdn.example/media/"),
        InMemoryBlobStore(public_base_url="https://cdn.example/media/"),
    ):
        assert store.public_url(NAME) == "https://cdn.example/media/3f2a9c/800.webp"


# --- filesystem only --------------------------------------------------------------------


@pytest.fixture
def fs_store(tmp_path: Path) -> FilesystemBlobStore:
    """A filesystem store rooted in a fresh folder."""
    return FilesystemBlobStore(tmp_path / "blobs")


def break_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every fsync fail from now on, as if the disk died in the middle of a write."""

    def fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", fsync)


def all_files(root: Path) -> list[str]:
    """Every file under root, relative, sorted."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


async def test_failed_write_leaves_no_blob_and_no_temp_file(
    fs_store: FilesystemBlobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails midway leaves nothing under the final name and no temp file."""
    break_fsync(monkeypatch)
    with pytest.raises(StorageUnavailable, match="Input/output"):
        await fs_store.put(Q, NAME, b"partial", "image/jpeg")
    assert all_files(tmp_path / "blobs") == []


async def test_failed_overwrite_keeps_the_previous_blob(
    fs_store: FilesystemBlobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replacement that fails midway leaves the earlier bytes readable."""
    await fs_store.put(P, NAME, b"complete", "image/webp")
    break_fsync(monkeypatch)
    with pytest.raises(StorageUnavailable, match="Input/output"):
        await fs_store.put(P, NAME, b"half-writ", "image/webp")
    monkeypatch.undo()
    assert await fs_store.get(P, NAME) == b"complete"
    assert all_files(tmp_path / "blobs") == [f"public/{NAME}"]


async def test_temp_file_left_by_a_crash_is_not_a_blob(
    fs_store: FilesystemBlobStore,
) -> None:
    """A temp file orphaned by a killed process can never be read or found as a blob."""
    folder = fs_store.path_of(Q, NAME).parent
    folder.mkdir(parents=True)
    (folder / ".800.webp.k3j4h2.tmp").write_bytes(b"partial")
    assert not await fs_store.exists(Q, NAME)
    with pytest.raises(ValueError, match="dot"):
        await fs_store.get(Q, "3f2a9c/.800.webp.k3j4h2.tmp")


async def test_blobs_are_files_under_their_container_folder(
    fs_store: FilesystemBlobStore, tmp_path: Path
) -> None:
    """path_of names the file under root/<container>/ that holds the blob's bytes."""
    await fs_store.put(P, NAME, b"webp", "image/webp")
    path = fs_store.path_of(P, NAME)
    assert path == tmp_path / "blobs" / "public" / "3f2a9c" / "800.webp"
    assert path.read_bytes() == b"webp"


async def test_quarantine_files_are_private_and_public_files_world_readable(
    fs_store: FilesystemBlobStore,
) -> None:
    """Quarantined uploads get mode 0600 in a folder only our user may list or enter (0700);
    published renditions 0644 in one a web server may read (0755), whatever the umask.
    """
    old_umask = os.umask(0o022)
    try:
        await fs_store.put(Q, NAME, b"x", "image/jpeg")
        await fs_store.put(P, NAME, b"x", "image/webp")
    finally:
        os.umask(old_umask)
    assert fs_store.path_of(Q, NAME).stat().st_mode & 0o777 == 0o600
    assert fs_store.path_of(P, NAME).stat().st_mode & 0o777 == 0o644
    assert fs_store.path_of(Q, NAME).parents[1].stat().st_mode & 0o777 == 0o700
    assert fs_store.path_of(P, NAME).parents[1].stat().st_mode & 0o777 == 0o755


async def test_delete_prunes_folders_it_leaves_empty(
    fs_store: FilesystemBlobStore, tmp_path: Path
) -> None:
    """Deleting the last blob of a prefix removes its folder but keeps the container's."""
    await fs_store.put(Q, "a/b/c.jpg", b"x", "image/jpeg")
    await fs_store.delete(Q, "a/b/c.jpg")
    assert list((tmp_path / "blobs" / "quarantine").iterdir()) == []


async def test_delete_folder_prunes_it_and_the_folders_it_leaves_empty(
    fs_store: FilesystemBlobStore, tmp_path: Path
) -> None:
    """No empty folder is left where the deleted one was, up to the container's own."""
    await fs_store.put(P, "a/b/c/d.webp", b"x", "image/webp")
    await fs_store.put(P, "a/b/c/e/f.webp", b"x", "image/webp")
    assert await fs_store.delete_folder(P, "a/b") == 2
    assert list((tmp_path / "blobs" / "public").iterdir()) == []


async def test_delete_folder_does_not_follow_a_link(
    fs_store: FilesystemBlobStore, tmp_path: Path
) -> None:
    """A symbolic link in the container (none of ours) is not walked into."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the store's")
    await fs_store.put(P, "a/x.webp", b"x", "image/webp")
    (tmp_path / "blobs" / "public" / "a" / "link").symlink_to(outside)
    (tmp_path / "blobs" / "public" / "b").symlink_to(outside)
    assert await fs_store.delete_folder(P, "b") == 0
    await fs_store.delete_folder(P, "a")
    assert (outside / "keep.txt").read_text() == "not the store's"


async def test_a_disk_that_refuses_writes_is_storage_unavailable() -> None:
    """A folder nobody may write in (as a full or read-only disk would be) raises
    StorageUnavailable, which callers retry, not a bare OSError.
    """
    store = FilesystemBlobStore(Path("/sys/kernel/photogate-blobs"))
    with pytest.raises(StorageUnavailable, match="could not store blob"):
        await store.put(Q, NAME, b"x", "image/jpeg")


async def test_names_before_leaves_out_a_writes_temp_files(
    fs_store: FilesystemBlobStore, tmp_path: Path
) -> None:
    """A hidden temp file (a write cut off by a crash) is not a blob, and is not listed."""
    await fs_store.put(Q, NAME, b"x", "image/jpeg")
    (fs_store.path_of(Q, NAME).parent / f".{NAME.rsplit('/', 1)[1]}.x1.tmp").write_bytes(b"half")
    later = utcnow() + timedelta(minutes=5)
    assert await fs_store.names_before(Q, later) == [NAME]


async def test_delete_leftovers_removes_the_temp_files_of_writes_cut_off_before_a_time(
    fs_store: FilesystemBlobStore,
) -> None:
    """Temp files of writes begun before the time go (in both containers); a newer one, which
    may be a write still under way, and every blob stay.
    """
    await fs_store.put(Q, NAME, b"x", "image/jpeg")
    await fs_store.put(P, NAME, b"r", "image/webp")
    folder = fs_store.path_of(Q, NAME).parent
    old = [folder / ".original.jpeg.a1.tmp", fs_store.path_of(P, NAME).parent / ".800.webp.b2.tmp"]
    for path in old:
        path.write_bytes(b"half a photo")
        os.utime(path, (time.time() - 7200, time.time() - 7200))
    new = folder / ".original.jpeg.c3.tmp"
    new.write_bytes(b"being written")
    assert await fs_store.delete_leftovers(utcnow() - timedelta(hours=1)) == 2
    assert [path.exists() for path in [*old, new]] == [False, False, True]
    assert await fs_store.get(Q, NAME) == b"x" and await fs_store.get(P, NAME) == b"r"


async def test_name_clashing_with_a_folder_is_refused(fs_store: FilesystemBlobStore) -> None:
    """On disk a name cannot be both a blob and the folder of other blobs."""
    await fs_store.put(Q, NAME, b"x", "image/jpeg")
    with pytest.raises(ValueError, match="clashes"):
        await fs_store.put(Q, "3f2a9c", b"y", "image/jpeg")
    with pytest.raises(ValueError, match="clashes"):
        await fs_store.put(Q, f"{NAME}/child", b"y", "image/jpeg")
    assert await fs_store.get(Q, NAME) == b"x"


async def test_store_creates_its_folders_on_first_write(tmp_path: Path) -> None:
    """A root that does not exist yet is created on the first put, not in the constructor."""
    root = tmp_path / "not" / "yet"
    store = FilesystemBlobStore(root)
    assert not await store.exists(P, NAME)
    await store.put(P, NAME, b"x", "image/webp")
    assert (root / "public" / NAME).is_file()


async def test_puts_racing_deletes_in_one_folder_all_succeed(
    fs_store: FilesystemBlobStore,
) -> None:
    """A put never fails because a concurrent delete pruned the folder it is writing into."""
    for round_ in range(100):
        await fs_store.put(Q, f"race{round_}/a", b"a", "text/plain")
        await asyncio.gather(
            fs_store.delete(Q, f"race{round_}/a"),
            fs_store.put(Q, f"race{round_}/b", b"b", "text/plain"),
        )
        assert await fs_store.get(Q, f"race{round_}/b") == b"b"


# --- Azure only -------------------------------------------------------------------------


@pytest.fixture
async def az_store() -> AsyncIterator[AzureBlobStore]:
    """An Azure store on Azurite with the default public URL (the public container's)."""
    async with azure_store_for() as azure_store:
        yield azure_store


@pytest.mark.integration
async def test_public_blobs_are_served_anonymously_with_their_content_type(
    az_store: AzureBlobStore,
) -> None:
    """A public blob is readable without credentials at public_url, with its content type."""
    await az_store.put(P, "3f2a9c/800 wide.webp", b"RIFF-webp", "image/webp")
    url = az_store.public_url("3f2a9c/800 wide.webp")
    assert url.endswith("-public/3f2a9c/800%20wide.webp")
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert (response.status_code, response.content) == (200, b"RIFF-webp")
    assert response.headers["content-type"] == "image/webp"
    # A takedown deletes the blob; caches may show it for at most the hour this allows.
    assert response.headers["cache-control"] == "public, max-age=3600"


@pytest.mark.integration
async def test_quarantined_blobs_are_not_served_anonymously(az_store: AzureBlobStore) -> None:
    """The quarantine container refuses an anonymous read, even of a blob that is there."""
    await az_store.put(Q, NAME, b"unscanned", "image/jpeg")
    quarantine_url = az_store.public_url(NAME).replace("-public/", "-quarantine/")
    async with httpx.AsyncClient() as client:
        response = await client.get(quarantine_url)
    assert response.status_code in {403, 404}
    assert b"unscanned" not in response.content


@pytest.mark.integration
async def test_ensure_containers_is_idempotent(az_store: AzureBlobStore) -> None:
    """Making sure of the containers twice is fine, and puts work straight after."""
    await az_store.ensure_containers()
    await az_store.ensure_containers()
    await az_store.put(P, NAME, b"x", "image/webp")
    assert await az_store.exists(P, NAME)


@pytest.mark.integration
async def test_a_publicly_readable_quarantine_is_refused() -> None:
    """ensure_containers raises ConfigError when the quarantine container allows anonymous reads."""
    connection, prefix = azurite.azurite_connection_string(), azurite.unique_prefix()
    async with BlobServiceClient.from_connection_string(connection) as service:
        # An operator's mistake, made by hand: a quarantine anyone may list and read.
        await service.create_container(f"{prefix}quarantine", public_access="container")
    async with azure_store_for(prefix) as careless:
        with pytest.raises(ConfigError, match="anonymous container access"):
            await careless.ensure_containers()


async def test_a_prefix_azure_refuses_is_a_value_error() -> None:
    """A container prefix that makes an invalid Azure name fails when the store is built."""
    async with BlobServiceClient.from_connection_string("UseDevelopmentStorage=true") as service:
        with pytest.raises(ValueError, match="not a valid Azure container name"):
            AzureBlobStore(service, container_prefix="Shop_")
