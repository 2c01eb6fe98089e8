"""BlobStore on a local folder: root/quarantine/ and root/public/, written atomically."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from datetime import datetime
from pathlib import Path

from photogate.adapters.atomic_files import TEMP_SUFFIX, write_atomically
from photogate.adapters.blob_names import blob_url, check_blob_name
from photogate.errors import BlobNotFound, StorageUnavailable
from photogate.ports.blobs import Container

log = logging.getLogger(__name__)

# Quarantined originals are unscanned uploads: our user only. Published renditions may be
# served straight from disk by a reverse proxy running as another user.
_FILE_MODES = {Container.QUARANTINE: 0o600, Container.PUBLIC: 0o644}
_FOLDER_MODES = {Container.QUARANTINE: 0o700, Container.PUBLIC: 0o755}
_PUT_ATTEMPTS = 3
_MISSING = (FileNotFoundError, IsADirectoryError, NotADirectoryError)


class FilesystemBlobStore:
    """Blobs as files; a name's "/" become subfolders. Serve public/ only, never quarantine/.

    The blob's content_type is not stored: files are served with a type guessed from the
    name's extension. A name cannot be both a blob and a folder of other blobs ("a" and
    "a/b"); put raises ValueError for the second one.
    """

    def __init__(self, root: Path, public_base_url: str = "/media") -> None:
        self._root = Path(root)
        self._public_base_url = public_base_url
        self._folders_ready = False

    def path_of(self, container: Container, name: str) -> Path:
        """The file that holds (or would hold) a blob; raises ValueError for an unsafe name.

        Meant for serving the PUBLIC container under /media/. Never serve a QUARANTINE
        path: those are customer uploads nobody has scanned yet.
        """
        return self._folder(container) / check_blob_name(name)

    async def put(self, container: Container, name: str, data: bytes, content_type: str) -> None:
        """Store `data` under `name` atomically, replacing any blob of that name."""
        path = self.path_of(container, name)
        mode = _FILE_MODES[Container(container)]
        try:
            if not self._folders_ready:
                await asyncio.to_thread(self._make_folders)
            await asyncio.to_thread(_put_file, path, bytes(data), mode)
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            raise ValueError(f"blob name {name!r} clashes with a blob or folder") from None
        except OSError as exc:
            raise _unavailable("store", name, exc) from exc

    async def get(self, container: Container, name: str) -> bytes:
        """The blob's bytes; raises BlobNotFound if there is none."""
        path = self.path_of(container, name)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except _MISSING:
            raise BlobNotFound(f"no blob {name!r} in {Container(container).value}") from None
        except OSError as exc:
            raise _unavailable("read", name, exc) from exc

    async def exists(self, container: Container, name: str) -> bool:
        """Whether a blob of that name is there."""
        return await asyncio.to_thread(self.path_of(container, name).is_file)

    async def delete(self, container: Container, name: str) -> None:
        """Remove the blob and the folders it leaves empty; a missing blob is not an error."""
        path = self.path_of(container, name)
        try:
            await asyncio.to_thread(_remove_file, path, self._folder(container))
        except OSError as exc:
            raise _unavailable("delete", name, exc) from exc

    async def delete_folder(self, container: Container, folder: str) -> int:
        """Remove every file under `folder`/ and the folders left empty; how many files went."""
        path = self.path_of(container, folder)
        try:
            return await asyncio.to_thread(_remove_tree, path, self._folder(container))
        except OSError as exc:
            raise _unavailable("delete the folder", folder, exc) from exc

    async def names_before(self, container: Container, before: datetime) -> list[str]:
        """The names of the files last modified before `before` (a write's temp files, hidden,
        are not blobs and are left out: see delete_leftovers).
        """
        folder = self._folder(container)
        try:
            return await asyncio.to_thread(_names_before, folder, before.timestamp())
        except OSError as exc:
            raise _unavailable("list", str(container), exc) from exc

    async def delete_leftovers(self, before: datetime) -> int:
        """Delete the temp files of writes begun before `before` and never finished (the
        process died mid-write): each may hold a whole customer photo. How many went.
        """
        folders = [self._folder(container) for container in Container]
        try:
            return await asyncio.to_thread(_remove_leftovers, folders, before.timestamp())
        except OSError as exc:
            raise _unavailable("delete the leftovers of", "writes", exc) from exc

    def public_url(self, name: str) -> str:
        """`public_base_url`/`name`, the URL the web app serves a public blob at."""
        return blob_url(self._public_base_url, name)

    def _make_folders(self) -> None:
        """Both containers' folders; quarantine's is our user's only, which keeps the names of
        the uploads in it (submission ids, the keys to status pages) from other local users.
        """
        for container, folder_mode in _FOLDER_MODES.items():
            folder = self._folder(container)
            folder.mkdir(parents=True, exist_ok=True)
            if folder.stat().st_mode & 0o777 == folder_mode:
                continue
            try:
                folder.chmod(folder_mode)
            except OSError as exc:  # a file system without modes: no reason to refuse uploads
                log.warning("could not set the mode of %s: %s", folder, exc.strerror)
        self._folders_ready = True

    def _folder(self, container: Container) -> Path:
        # Container() refuses any string that is not one of the two containers.
        return self._root / Container(container).value


def _names_before(folder: Path, before: float) -> list[str]:
    found: list[str] = []
    for current, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in files:
            path = Path(current) / name
            if name.startswith(".") or path.is_symlink():
                continue
            with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                if path.stat().st_mtime < before:
                    found.append(path.relative_to(folder).as_posix())
    return found


def _remove_leftovers(folders: list[Path], before: float) -> int:
    removed = 0
    for folder in folders:
        for current, _, files in os.walk(folder):
            for name in files:
                path = Path(current) / name
                if not (name.startswith(".") and name.endswith(TEMP_SUFFIX)) or path.is_symlink():
                    continue
                with contextlib.suppress(FileNotFoundError):  # its write finished meanwhile
                    if path.stat().st_mtime < before:
                        path.unlink()
                        removed += 1
    return removed


def _unavailable(doing: str, name: str, exc: OSError) -> StorageUnavailable:
    """A disk that is full, read-only or refuses us: passing, one hopes, and no fault of the
    blob's, so callers retry later (the worker without counting an attempt).
    """
    return StorageUnavailable(f"the file store could not {doing} blob {name!r}: {exc.strerror}")


def _put_file(path: Path, data: bytes, mode: int) -> None:
    for attempt in range(1, _PUT_ATTEMPTS + 1):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, data, mode=mode)
        except (FileNotFoundError, FileExistsError):
            # A concurrent delete pruned the (then empty) folder between mkdir and the write, or
            # inside mkdir itself (it saw the folder, then could not find it as a directory).
            if attempt == _PUT_ATTEMPTS or _file_in_the_way(path.parent):
                raise
        else:
            return


def _file_in_the_way(folder: Path) -> bool:
    """Whether a file (not a pruned folder) sits where one of the blob's folders belongs."""
    return any(ancestor.is_file() for ancestor in (folder, *folder.parents))


def _remove_file(path: Path, container_folder: Path) -> None:
    try:
        path.unlink()
    except _MISSING:
        return
    _prune_empty_folders(path.parent, container_folder)


def _remove_tree(folder: Path, container_folder: Path) -> int:
    """Unlink every file below `folder` (symbolic links as links, never followed), deepest
    first, then prune the folders left empty; a folder a concurrent put refills is kept.
    """
    if folder.is_symlink():  # not ours: a blob store writes no links
        return 0
    removed = 0
    for current, _, files in os.walk(folder, topdown=False):
        for name in files:
            with contextlib.suppress(*_MISSING):
                (Path(current) / name).unlink()
                removed += 1
        with contextlib.suppress(OSError):
            Path(current).rmdir()
    _prune_empty_folders(folder.parent, container_folder)
    return removed


def _prune_empty_folders(folder: Path, stop: Path) -> None:
    # Without this, every deleted quarantine original would leave an empty folder behind.
    while folder != stop:
        try:
            folder.rmdir()
        except OSError:  # not empty, or already gone: either way pruning ends here
            return
        folder = folder.parent
