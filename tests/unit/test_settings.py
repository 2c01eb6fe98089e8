"""Settings: no setting needed by default, env and .env read, bad values named by variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from photogate.errors import ConfigError
from photogate.settings import load_settings

# Each test starts in an empty directory with no PHOTOGATE_ variables.
pytestmark = pytest.mark.usefixtures("clean_env")


def test_embedded_default_needs_no_setting(tmp_path: Path) -> None:
    """With nothing set, everything lives under ./var with SQLite and .eml files."""
    settings = load_settings()
    assert settings.data_dir == Path("var")
    assert settings.catalog_url() == f"sqlite+aiosqlite:///{tmp_path / 'var' / 'catalog.sqlite3'}"
    assert settings.mail.backend == "file"
    assert settings.scanner.max_in_flight == 64
    assert (settings.scanner.initial_limit, settings.scanner.min_limit) == (4, 1)
    assert settings.scanner.max_per_second is None
    assert settings.queue.max_attempts == 5
    assert settings.uploads.max_bytes == 15 * 1024 * 1024


def test_nested_values_and_thresholds_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nested groups use `__`, and thresholds are JSON objects."""
    monkeypatch.setenv("PHOTOGATE_SCANNER__MAX_IN_FLIGHT", "9")
    monkeypatch.setenv("PHOTOGATE_SCANNER__FAIL_THRESHOLDS", '{"weapons": 0.4}')
    monkeypatch.setenv("PHOTOGATE_SCANNER__URL", "https://scanner.example/")
    settings = load_settings()
    assert settings.scanner.max_in_flight == 9
    assert settings.scanner.fail_thresholds == {"weapons": 0.4}
    assert settings.scanner.url == "https://scanner.example"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    """A .env file in the working directory is read like the environment."""
    (tmp_path / ".env").write_text("PHOTOGATE_DATA_DIR=/srv/photos\nPHOTOGATE_MAIL__BACKEND=smtp\n")
    settings = load_settings()
    assert settings.data_dir == Path("/srv/photos")
    assert settings.mail.backend == "smtp"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PHOTOGATE_SCANNER__MAX_IN_FLIGHT", "zero"),
        ("PHOTOGATE_SCANNER__MAX_IN_FLIGHT", "0"),
        ("PHOTOGATE_SCANNER__URL", "ftp://nope"),
        ("PHOTOGATE_SCANNER__FAIL_THRESHOLDS", '{"weapons": 4}'),
        ("PHOTOGATE_MAIL__BACKEND", "pigeon"),
        ("PHOTOGATE_UPLOADS__MAX_BYTES", "-1"),
        ("PHOTOGATE_SCANNER__INITIAL_LIMIT", "100"),
        ("PHOTOGATE_SCANNER__MAX_PER_SECOND", "0"),
        ("PHOTOGATE_WEB__BODY_IDLE_TIMEOUT_S", "0"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """A bad value stops start-up with an error that names the variable to fix."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert variable in str(caught.value)


def test_secrets_do_not_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scanner key, SMTP password and database password never appear when settings are
    printed or logged; the catalog still gets the whole database URL.
    """
    monkeypatch.setenv("PHOTOGATE_SCANNER__API_KEY", "s3cr3t-key")
    monkeypatch.setenv("PHOTOGATE_MAIL__SMTP_PASSWORD", "s3cr3t-pass")
    database_url = "postgresql+psycopg://photogate:s3cr3t-db@db.example/catalog"
    monkeypatch.setenv("PHOTOGATE_DATABASE_URL", database_url)
    settings = load_settings()
    assert "s3cr3t" not in repr(settings) and "s3cr3t" not in str(settings.model_dump())
    assert settings.catalog_url() == database_url
