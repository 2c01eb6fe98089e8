"""`photogate up`: prepare the data dir, then run scanner, worker and web as child processes."""

from __future__ import annotations

import asyncio
import secrets
import sys

from photogate.entrypoints.supervisor import Child, Supervisor, wait_healthy
from photogate.secret_key import console_secret
from photogate.settings import Settings


def run_stack(settings: Settings, *, port: int, scanner: bool, scanner_port: int) -> int:
    """Run the whole pipeline on this machine until Ctrl-C or SIGTERM; returns the exit code."""
    _prepare(settings)
    env = _child_env(settings, port, scanner, scanner_port)
    children = ([Child("scanner", ["scanner", "--port", str(scanner_port)])] if scanner else []) + [
        Child("worker", ["worker"]),
        Child("web", ["web", "--port", str(port)]),
    ]
    supervisor = Supervisor(children, env)
    supervisor.install_signal_handlers()
    supervisor.start()
    try:
        return _announce_and_wait(supervisor, port)
    finally:
        supervisor.stop()
        print("photogate: stopped", file=sys.stderr)


def data_dir_key(settings: Settings) -> dict[str, object]:
    """The settings override that gives `up`'s processes the data dir's console key when none
    is configured: they share the data dir, so its key file serves them as one configured key
    would (backend azure, meant for instances that share nothing, asks for one).
    """
    if settings.console.secret_key.get_secret_value():
        return {}
    return {"console": {"secret_key": console_secret(settings).decode()}}


def _prepare(settings: Settings) -> None:
    """Migrate and seed an empty data dir, so a fresh clone needs no other step."""
    from photogate.adapters.sql.migrate import upgrade
    from photogate.demo.seed import seed_demo

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.catalog_url())
    asyncio.run(seed_demo(settings, only_if_empty=True))


def _child_env(settings: Settings, port: int, scanner: bool, scanner_port: int) -> dict[str, str]:
    # The backend too, as `up --backend` may have chosen it rather than the environment.
    env = {
        "PHOTOGATE_DATA_DIR": str(settings.data_dir.resolve()),
        "PHOTOGATE_BACKEND": settings.backend,
    }
    if key := settings.console.secret_key.get_secret_value():
        env["PHOTOGATE_CONSOLE__SECRET_KEY"] = key
    if not settings.web.public_base_url:
        env["PHOTOGATE_WEB__PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    if scanner:
        env["PHOTOGATE_SCANNER__URL"] = f"http://127.0.0.1:{scanner_port}"
        key = settings.scanner.api_key.get_secret_value() or secrets.token_urlsafe(24)
        env["PHOTOGATE_SCANNER__API_KEY"] = key
    return env


def _announce_and_wait(supervisor: Supervisor, port: int) -> int:
    url = f"http://127.0.0.1:{port}"
    if not wait_healthy(f"{url}/healthz", timeout_s=60):
        print("photogate: the web server did not come up within 60 s", file=sys.stderr)
        return 1
    print(f"\n  photogate is running: {url}\n  Press Ctrl-C to stop.\n", flush=True)
    return supervisor.wait()
