"""Unworkable settings are refused in a line naming the variable; misspelled ones are warned of."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from photogate.errors import ConfigError
from photogate.settings import load_settings
from photogate.settings.database import DATABASE_SCHEMES

# Each test starts in an empty directory with no PHOTOGATE_ variables.
pytestmark = pytest.mark.usefixtures("clean_env")

KEY = "k" * 32
AZURE = {
    "PHOTOGATE_BACKEND": "azure",
    "PHOTOGATE_AZURE__CONNECTION_STRING": "UseDevelopmentStorage=true",
}


def refusal(monkeypatch: pytest.MonkeyPatch, **variables: str) -> str:
    """The message load_settings refuses `variables` with."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    return str(caught.value)


@pytest.mark.parametrize(
    "variable", ["PHOTOGATE_CONSOLE__USERS", "PHOTOGATE_SCANNER__FAIL_THRESHOLDS"]
)
def test_bad_json_names_the_variable_not_its_group(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """A list or map that is not JSON is named by its variable; the value is not repeated."""
    message = refusal(monkeypatch, **{variable: "{s3cret", "PHOTOGATE_CONSOLE__SECRET_KEY": KEY})
    assert f"{variable}: not valid JSON" in message
    assert "s3cret" not in message and "PHOTOGATE_CONSOLE__SECRET_KEY" not in message
    assert len(message.splitlines()) == 2


def test_bad_json_from_the_dotenv_file_names_the_group(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """When the environment does not show which variable it was, the group is named."""
    (tmp_path / ".env").write_text("PHOTOGATE_CONSOLE__USERS=[nope\n")
    message = refusal(monkeypatch)
    assert "PHOTOGATE_CONSOLE (or one of its variables)" in message
    assert "nope" not in message


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("nonsense", "not a database URL"),
        ("postgres://photogate:s3cret@db.example/catalog", "photogate cannot use postgres://"),
        ("mysql+aiomysql://photogate:s3cret@db/catalog", "photogate cannot use mysql+aiomysql://"),
    ],
)
def test_a_database_url_of_the_wrong_form_lists_the_schemes(
    monkeypatch: pytest.MonkeyPatch, url: str, problem: str
) -> None:
    """The URL's form is checked at start-up; the message names the accepted schemes and never
    the URL, which may hold a password.
    """
    message = refusal(monkeypatch, PHOTOGATE_DATABASE_URL=url)
    assert f"PHOTOGATE_DATABASE_URL: {problem}" in message
    assert all(f"{scheme}://" in message for scheme in DATABASE_SCHEMES)
    assert "s3cret" not in message


def test_accepted_database_urls_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every accepted scheme loads, and the catalog gets the URL as given."""
    for scheme in DATABASE_SCHEMES:
        monkeypatch.setenv("PHOTOGATE_DATABASE_URL", f"{scheme}://u:p@db.example/catalog")
        assert load_settings().catalog_url() == f"{scheme}://u:p@db.example/catalog"


def test_per_setting_messages_lose_pydantics_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    """A validator's message reads as ours: no "Value error, " between the variable and it."""
    message = refusal(monkeypatch, PHOTOGATE_SCANNER__URL="ftp://nope")
    assert "PHOTOGATE_SCANNER__URL: must start with http:// or https://" in message
    assert "Value error" not in message


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://scanuser:hunter2pw@[bad", "is not a well-formed URL"),
        ("http://scanuser:hunter2pw@scan.example:99999/", "is not a well-formed URL"),
        ("https://", "names no host"),
    ],
)
def test_a_malformed_scanner_url_is_refused_without_repeating_it(
    monkeypatch: pytest.MonkeyPatch, url: str, says: str
) -> None:
    """A scanner URL that cannot be taken apart stops start-up, and the message does not
    repeat it: it may hold a password or key.
    """
    message = refusal(monkeypatch, PHOTOGATE_SCANNER__URL=url)
    assert f"PHOTOGATE_SCANNER__URL: {says}" in message
    assert "hunter2pw" not in message


def test_azure_without_a_shared_key_names_both_key_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Instances that share no data dir would each make their own key: refused at start-up."""
    message = refusal(monkeypatch, **AZURE)
    assert "PHOTOGATE_CONSOLE__SECRET_KEY" in message
    assert "PHOTOGATE_PRIVACY__LINK_SECRET_KEY" in message


def test_azure_with_only_a_link_key_is_refused_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """The link key alone leaves console sessions signed per instance."""
    message = refusal(monkeypatch, **AZURE, PHOTOGATE_PRIVACY__LINK_SECRET_KEY=KEY)
    assert "needs PHOTOGATE_CONSOLE__SECRET_KEY" in message


def test_azure_with_the_console_key_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console key is the root of both: sessions and (unless set apart) withdrawal links."""
    for name, value in {**AZURE, "PHOTOGATE_CONSOLE__SECRET_KEY": KEY}.items():
        monkeypatch.setenv(name, value)
    assert load_settings().backend == "azure"


def test_a_misspelled_variable_is_warned_of_with_the_closest_name(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """One warning per unknown PHOTOGATE_ variable, naming the setting probably meant."""
    monkeypatch.setenv("PHOTOGATE_SCANER__URL", "http://scanner.example")
    monkeypatch.setenv("PHOTOGATE_WEB__PROT", "9000")
    with caplog.at_level(logging.WARNING, logger="photogate.settings"):
        load_settings()
    assert [r.getMessage() for r in caplog.records] == [
        "PHOTOGATE_SCANER__URL is not a photogate setting and is ignored"
        " (did you mean PHOTOGATE_SCANNER__URL?)",
        "PHOTOGATE_WEB__PROT is not a photogate setting and is ignored"
        " (did you mean PHOTOGATE_WEB__PORT?)",
    ]


def test_known_variables_raise_no_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Settings, whole groups, one entry of a map and the test harness's variables are known."""
    monkeypatch.setenv("PHOTOGATE_WEB__PORT", "9000")
    monkeypatch.setenv("PHOTOGATE_QUEUE", '{"max_attempts": 3}')
    monkeypatch.setenv("PHOTOGATE_SCANNER__FAIL_THRESHOLDS__WEAPONS", "0.4")
    monkeypatch.setenv("PHOTOGATE_TEST_POSTGRES_URL", "postgresql+psycopg://x@y/z")
    with caplog.at_level(logging.WARNING, logger="photogate.settings"):
        settings = load_settings()
    assert caplog.records == []
    assert settings.scanner.fail_thresholds == {"weapons": 0.4}
    assert settings.queue.max_attempts == 3


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"PHOTOGATE_QUEUE__RECONCILE_AFTER_S": "100"}, "visibility timeout (120 s)"),
        ({"PHOTOGATE_QUEUE__RECONCILE_AFTER_S": "420"}, "visibility_timeout_s (420 s)"),
    ],
)
def test_a_reconcile_grace_shorter_than_a_message_may_hide_is_refused(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], named: str
) -> None:
    """Held by a worker or waiting out a retry delay, a message is alive: a grace period
    shorter than either would re-queue it as lost.
    """
    message = refusal(monkeypatch, **variables)
    assert "PHOTOGATE_QUEUE__RECONCILE_AFTER_S" in message
    assert named in message
