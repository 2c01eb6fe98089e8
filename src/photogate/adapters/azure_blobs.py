"""BlobStore on Azure Blob Storage: a private quarantine container and a public one."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import ContentSettings
from azure.storage.blob.aio import BlobClient, BlobServiceClient, ContainerClient

from photogate.adapters.azure_auth import blob_service_client, storage_credential
from photogate.adapters.azure_errors import error_code, storage_errors
from photogate.adapters.azure_upload_grants import SasSigner, allow_browser_uploads
from photogate.adapters.blob_names import blob_url, check_blob_name
from photogate.clock import Clock, utcnow
from photogate.errors import BlobNotFound, ConfigError
from photogate.ports.blobs import PUBLIC_CACHE_CONTROL, Container, UploadGrant
from photogate.settings import AzureSettings

# Azure's rule for container names: 3-63 lowercase letters, digits and single hyphens,
# starting and ending with a letter or digit.
_CONTAINER_NAME = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")


class AzureBlobStore:
    """Blobs in two containers, `<prefix>quarantine` and `<prefix>public`.

    Quarantine never allows anonymous access; public allows anonymous reads of single blobs
    (never listing) unless `public_access` is off, for a CDN that reads a private origin.
    Browsers get `public_base_url`/name, by default the public container's own URL.
    It also grants direct uploads (DirectUploads): a create-only SAS for one quarantine blob;
    `clock` dates those grants, and `cors_origins` are let through CORS to use them.
    """

    def __init__(
        self,
        service: BlobServiceClient,
        *,
        container_prefix: str = "",
        public_base_url: str = "",
        public_access: bool = True,
        credential: AsyncTokenCredential | None = None,
        cors_origins: list[str] | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self._service = service
        self._containers = {
            container: service.get_container_client(_container_name(container_prefix, container))
            for container in Container
        }
        self._public_base_url = public_base_url or self._containers[Container.PUBLIC].url
        self._public_access = public_access
        self._credential = credential
        self._cors_origins = list(cors_origins or [])
        self._signer = SasSigner(service, clock)
        self._ready_for_uploads = False

    @classmethod
    def from_settings(cls, settings: AzureSettings) -> AzureBlobStore:
        """The store PHOTOGATE_AZURE__* describe; it signs in lazily, on the first request."""
        credential = storage_credential(settings)
        return cls(
            blob_service_client(settings, credential),
            container_prefix=settings.container_prefix,
            public_base_url=settings.public_base_url,
            public_access=settings.public_access,
            credential=credential,
            cors_origins=settings.cors_origins,
        )

    async def ensure_containers(self) -> None:
        """Create both containers if missing; refuse a quarantine that anyone may read."""
        for container in Container:
            created = await self._create(container)
            if container is Container.QUARANTINE and not created:
                await self._check_private(self._containers[container])

    async def put(self, container: Container, name: str, data: bytes, content_type: str) -> None:
        """Store `data` under `name` with its content type; readers see all of it or none."""
        blob = self._blob(container, name)
        # Public blobs are served by the storage service itself: it sends what is stored here.
        cache = PUBLIC_CACHE_CONTROL if container is Container.PUBLIC else None
        content = ContentSettings(content_type=content_type, cache_control=cache)
        with storage_errors(f"store blob {name!r}"):
            try:
                await blob.upload_blob(bytes(data), overwrite=True, content_settings=content)
            except ResourceNotFoundError as exc:
                if error_code(exc) != "ContainerNotFound":
                    raise
                # A fresh account: nobody ran ensure_containers() yet.
                await self.ensure_containers()
                await blob.upload_blob(bytes(data), overwrite=True, content_settings=content)

    async def get(self, container: Container, name: str) -> bytes:
        """The blob's bytes; raises BlobNotFound if there is none."""
        blob = self._blob(container, name)
        with storage_errors(f"read blob {name!r}"):
            try:
                download = await blob.download_blob()
                return await download.readall()
            except ResourceNotFoundError:
                raise BlobNotFound(f"no blob {name!r} in {Container(container).value}") from None

    async def exists(self, container: Container, name: str) -> bool:
        """Whether a blob of that name is there."""
        blob = self._blob(container, name)
        with storage_errors(f"look for blob {name!r}"):
            return await blob.exists()

    async def delete(self, container: Container, name: str) -> None:
        """Remove the blob (and any snapshots); a missing blob is not an error."""
        blob = self._blob(container, name)
        with storage_errors(f"delete blob {name!r}"):
            try:
                await blob.delete_blob(delete_snapshots="include")
            except ResourceNotFoundError:
                return

    async def delete_folder(self, container: Container, folder: str) -> int:
        """Remove every blob whose name starts with `folder`/ (one listing, one delete each)."""
        prefix = f"{check_blob_name(folder)}/"
        client = self._containers[Container(container)]
        with storage_errors(f"list the blobs under {prefix!r}"):
            try:
                names = [blob.name async for blob in client.list_blobs(name_starts_with=prefix)]
            except ResourceNotFoundError:
                return 0
        for name in names:
            await self.delete(container, name)
        return len(names)

    async def names_before(self, container: Container, before: datetime) -> list[str]:
        """The names of the blobs last modified before `before` (one listing, paged)."""
        client = self._containers[Container(container)]
        found: list[str] = []
        with storage_errors(f"list the {Container(container).value} container"):
            try:
                async for blob in client.list_blobs():
                    if blob.last_modified is not None and blob.last_modified < before:
                        found.append(blob.name)
            except ResourceNotFoundError:
                return []
        return found

    async def grant_upload(self, name: str, expires_in: timedelta) -> UploadGrant:
        """A create-only SAS URL for quarantine blob `name`, valid for at most 10 minutes."""
        if not self._ready_for_uploads:
            # The browser's PUT is the container's first write: it must exist already.
            await self.ensure_containers()
            if self._cors_origins:
                await allow_browser_uploads(self._service, self._cors_origins)
            self._ready_for_uploads = True
        return await self._signer.grant(self._blob(Container.QUARANTINE, name), expires_in)

    async def stored_size(self, name: str) -> int | None:
        """The size of quarantine blob `name` from its properties, or None if it is not there."""
        blob = self._blob(Container.QUARANTINE, name)
        with storage_errors(f"read the properties of blob {name!r}"):
            try:
                properties = await blob.get_blob_properties()
            except ResourceNotFoundError:
                return None
        return int(properties.size)

    def upload_origin(self) -> str:
        """The blob endpoint's origin, for the pages' Content-Security-Policy connect-src."""
        return self._signer.origin()

    def public_url(self, name: str) -> str:
        """`public_base_url`/`name`: a CDN's URL, or the public container's own."""
        return blob_url(self._public_base_url, name)

    async def aclose(self) -> None:
        """Close the HTTP connections and the credential."""
        await self._service.close()
        if self._credential is not None:
            await self._credential.close()

    def _blob(self, container: Container, name: str) -> BlobClient:
        # Container() refuses any string that is not one of the two containers.
        return self._containers[Container(container)].get_blob_client(check_blob_name(name))

    async def _create(self, container: Container) -> bool:
        """Create the container; False if it was there already."""
        anonymous = container is Container.PUBLIC and self._public_access
        with storage_errors(f"create the {container.value} container"):
            try:
                await self._containers[container].create_container(
                    public_access="blob" if anonymous else None
                )
            except ResourceExistsError as exc:
                # Any 409 lands here, e.g. PublicAccessNotPermitted from a locked-down account.
                if error_code(exc) != "ContainerAlreadyExists":
                    raise
                return False
        return True

    async def _check_private(self, client: ContainerClient) -> None:
        with storage_errors(f"check access to container {client.container_name}"):
            properties = await client.get_container_properties()
        if properties.public_access:
            raise ConfigError(
                f"container {client.container_name} holds unscanned uploads but allows"
                f" anonymous {properties.public_access} access: turn that off in Azure"
            )


def _container_name(prefix: str, container: Container) -> str:
    name = f"{prefix}{container.value}"
    if not _CONTAINER_NAME.fullmatch(name):
        raise ValueError(
            f"{name!r} is not a valid Azure container name: check PHOTOGATE_AZURE__CONTAINER_PREFIX"
        )
    return name
