"""Starting up writes nothing it does not need: no data dir for a catalog it must refuse, and
no key file until a withdrawal link is made or checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from photogate.adapters.memory.scanner import InMemoryScanner
from photogate.adapters.sql.migrate import upgrade
from photogate.bootstrap import bootstrap, check_catalog, withdrawal_links
from photogate.entrypoints.cli_common import require_data_dir
from photogate.entrypoints.functions.shared import SharedServices
from photogate.errors import ConfigError
from photogate.secret_key import SECRET_FILE
from photogate.settings import Settings


def settings_at(data_dir: Path, **changes: object) -> Settings:
    """Embedded settings on `data_dir`, read from no environment file."""
    return Settings(_env_file=None, data_dir=data_dir, **changes)  # type: ignore[arg-type]


async def test_a_data_dir_without_a_catalog_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    """bootstrap on a fresh data dir says to migrate, and leaves the directory uncreated."""
    settings = settings_at(tmp_path / "var")
    with pytest.raises(ConfigError, match="run `photogate db upgrade`"):
        await bootstrap(settings, scanner=InMemoryScanner())
    with pytest.raises(ConfigError, match="run `photogate db upgrade`"):
        await check_catalog(settings)
    assert not settings.data_dir.exists()


async def test_starting_up_makes_no_key_file_until_a_link_is_made(tmp_path: Path) -> None:
    """Services start and stop without a key file; the first link made creates it, and a signer
    built later (the web's) reads the same key and accepts the link.
    """
    settings = settings_at(tmp_path / "var")
    upgrade(settings.catalog_url())
    services = await bootstrap(settings, scanner=InMemoryScanner())
    await services.aclose()
    key_file = settings.data_dir / SECRET_FILE
    assert not key_file.exists()
    token = withdrawal_links(settings).token("sub-1")
    assert key_file.exists()
    assert withdrawal_links(settings).verify(token) == "sub-1"


def test_a_configured_link_key_needs_no_key_file(tmp_path: Path) -> None:
    """With PHOTOGATE_PRIVACY__LINK_SECRET_KEY set, links never touch the data dir."""
    settings = settings_at(tmp_path / "var", privacy={"link_secret_key": "l" * 32})
    assert withdrawal_links(settings).verify(withdrawal_links(settings).token("s")) == "s"
    assert not settings.data_dir.exists()


def test_commands_on_existing_data_refuse_a_missing_data_dir(tmp_path: Path) -> None:
    """status, dlq and reconcile run from the wrong directory say where they looked."""
    missing = tmp_path / "nowhere"
    with pytest.raises(ConfigError) as caught:
        require_data_dir(settings_at(missing))
    assert str(caught.value) == (
        f"no photogate data at {missing}; set PHOTOGATE_DATA_DIR or run `photogate db upgrade`"
    )


def test_a_data_dir_holding_no_state_is_not_required(tmp_path: Path) -> None:
    """On Azure with a database server the data dir holds nothing the commands read."""
    settings = settings_at(
        tmp_path / "nowhere",
        backend="azure",
        database_url="postgresql+psycopg://u@db.example/catalog",
        azure={"connection_string": "UseDevelopmentStorage=true"},
        console={"secret_key": "k" * 32},
    )
    require_data_dir(settings)  # no error
    require_data_dir(settings_at(tmp_path))  # an existing one passes too


async def test_functions_refuse_an_unmigrated_catalog_at_the_first_invocation(
    tmp_path: Path,
) -> None:
    """The Functions app builds its services like every entry point: the same refusal."""
    shared = SharedServices(lambda: settings_at(tmp_path / "var"))
    with pytest.raises(ConfigError, match="run `photogate db upgrade`"):
        await shared.get()
