"""Commands that cannot start say why in one line with exit code 2, as a shell sees them; read-only
commands create nothing; `photogate web` listens where the settings say.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from photogate.adapters.sql.migrate import head_revision
from tests.support.processes import free_port, healthy, photogate_process, wait_until

pytestmark = pytest.mark.integration

MIGRATE = "run `photogate db upgrade`"


def photogate(cwd: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """`python -m photogate ARGS` in `cwd` with only `variables` of photogate's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOGATE_")}
    return subprocess.run(
        [sys.executable, "-m", "photogate", *args],
        cwd=cwd,
        env=env | variables,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def one_line_refusal(done: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a command that exited with code 2 (no traceback)."""
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.strip()]
    return line


def test_status_from_the_wrong_directory_creates_nothing(tmp_path: Path) -> None:
    """No ./var: status says where it looked and what to set, and leaves no file behind."""
    line = one_line_refusal(photogate(tmp_path, "status"))
    assert line == (
        f"photogate: no photogate data at {tmp_path / 'var'}; set PHOTOGATE_DATA_DIR"
        " or run `photogate db upgrade`"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["worker"], ["web", "--port"], ["status"]])
def test_an_unmigrated_data_dir_says_to_migrate(tmp_path: Path, command: list[str]) -> None:
    """Worker, web and status on a data dir whose catalog was never migrated stop at once with
    the revision needed, and create no database file.
    """
    (tmp_path / "var").mkdir()
    args = [*command, str(free_port())] if command[-1] == "--port" else command
    line = one_line_refusal(photogate(tmp_path, *args))
    assert line.startswith(f"photogate: the catalog database at {tmp_path / 'var'}")
    assert line.endswith(f"this photogate needs {head_revision()}: {MIGRATE}")
    assert list((tmp_path / "var").iterdir()) == []


def test_after_db_upgrade_status_works_and_writes_no_key(tmp_path: Path) -> None:
    """`db upgrade` makes the data dir usable; status reads it without making a key file."""
    assert photogate(tmp_path, "db", "upgrade").returncode == 0
    done = photogate(tmp_path, "status", "--json")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "var" / "console-secret.key").exists()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("PHOTOGATE_DATABASE_URL", "nonsense", "PHOTOGATE_DATABASE_URL: not a database URL"),
        ("PHOTOGATE_DATABASE_URL", "postgres://u:s3cret@db/x", "cannot use postgres://"),
        ("PHOTOGATE_CONSOLE__USERS", "{s3cret", "PHOTOGATE_CONSOLE__USERS: not valid JSON"),
    ],
)
def test_bad_settings_are_named_without_a_traceback(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    """A malformed setting is refused naming its variable, never showing its value."""
    done = photogate(tmp_path, "status", **{variable: value})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "s3cret" not in done.stderr
    assert expected in done.stderr


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    """A database server nobody answers for ends the command in a line, password hidden."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+psycopg://nobody:s3cret@127.0.0.1:{port}/none"
    (tmp_path / "var").mkdir()
    line = one_line_refusal(photogate(tmp_path, "status", PHOTOGATE_DATABASE_URL=url))
    assert line.startswith("photogate: the catalog database is unavailable")
    assert "s3cret" not in line


def test_a_data_dir_under_a_file_is_one_line(tmp_path: Path) -> None:
    """The operating system's refusal to make the data dir is reported as it is."""
    (tmp_path / "afile").write_text("")
    done = photogate(tmp_path, "db", "upgrade", PHOTOGATE_DATA_DIR="afile/var")
    assert "Not a directory" in one_line_refusal(done)


def test_an_unknown_queue_is_refused_naming_the_known_ones(tmp_path: Path) -> None:
    """`--queue notification` (a typo) is a usage error, not an empty poison queue."""
    done = photogate(tmp_path, "dlq", "list", "--queue", "notification")
    assert done.returncode == 2
    assert "'scans', 'notifications'" in done.stderr
    assert "is empty" not in done.stdout


def test_a_misspelled_variable_is_warned_of(tmp_path: Path) -> None:
    """An unknown PHOTOGATE_ variable gets a warning naming the setting probably meant."""
    done = photogate(tmp_path, "status", PHOTOGATE_DATA_DIRS="elsewhere")
    assert "PHOTOGATE_DATA_DIRS is not a photogate setting" in done.stderr
    assert "did you mean PHOTOGATE_DATA_DIR?" in done.stderr


def test_web_listens_on_the_port_and_host_of_its_settings(tmp_path: Path) -> None:
    """PHOTOGATE_WEB__PORT (and HOST) are where `photogate web` serves, as links assume."""
    assert photogate(tmp_path, "db", "upgrade").returncode == 0
    port = free_port()
    env = {
        "PHOTOGATE_DATA_DIR": str(tmp_path / "var"),
        "PHOTOGATE_WEB__HOST": "127.0.0.1",
        "PHOTOGATE_WEB__PORT": str(port),
    }
    with photogate_process(["web"], env, tmp_path / "web.log") as web:
        url = f"http://127.0.0.1:{port}/healthz"
        wait_until(lambda: healthy(url) or web.poll() is not None, 30, "web on its port")
        assert web.poll() is None, (tmp_path / "web.log").read_text()
    assert "serving on --port" not in (tmp_path / "web.log").read_text()


def test_web_given_a_port_warns_that_the_worker_does_not_know_it(tmp_path: Path) -> None:
    """--port alone moves the server, not the links the worker makes: the log says so."""
    assert photogate(tmp_path, "db", "upgrade").returncode == 0
    port = free_port()
    env = {"PHOTOGATE_DATA_DIR": str(tmp_path / "var")}
    log = tmp_path / "web.log"
    with photogate_process(["web", "--port", str(port)], env, log) as web:
        url = f"http://127.0.0.1:{port}/healthz"
        wait_until(lambda: healthy(url) or web.poll() is not None, 30, "web on --port")
        assert web.poll() is None, log.read_text()
    assert f"serving on --port {port}: links in the worker's emails" in log.read_text()
