"""`photogate up` on backend azure: its processes share one data dir, so its key file stands in
for the console key that backend otherwise requires.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from photogate.entrypoints.stack import data_dir_key
from photogate.secret_key import SECRET_FILE
from photogate.settings import Settings

AZURE = {"backend": "azure", "azure": {"connection_string": "UseDevelopmentStorage=true"}}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No PHOTOGATE_ variables: the settings are the ones each test gives."""
    for name in list(os.environ):
        if name.startswith("PHOTOGATE_"):
            monkeypatch.delenv(name)


def settings(**values: object) -> Settings:
    """Settings from `values` alone (no environment file)."""
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_the_data_dirs_key_lets_azure_settings_load(tmp_path: Path) -> None:
    """Without a configured key, up's settings carry the data dir's key file's key."""
    with pytest.raises(ValueError, match="PHOTOGATE_CONSOLE__SECRET_KEY"):
        settings(data_dir=tmp_path, **AZURE)
    key = data_dir_key(settings(data_dir=tmp_path))
    loaded = settings(data_dir=tmp_path, **AZURE, **key)
    stored = (tmp_path / SECRET_FILE).read_text().strip()
    assert loaded.console.secret_key.get_secret_value() == stored
    assert data_dir_key(settings(data_dir=tmp_path)) == key  # the same key every time


def test_a_configured_key_is_kept(tmp_path: Path) -> None:
    """A console key set by the operator wins: nothing is overridden, no file is made."""
    configured = settings(data_dir=tmp_path, console={"secret_key": "c" * 32})
    assert data_dir_key(configured) == {}
    assert not (tmp_path / SECRET_FILE).exists()
