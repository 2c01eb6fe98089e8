"""The `photogate` command line: run the services, migrate, seed the demo."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer

from photogate.entrypoints import cli_moderation, cli_ops, cli_privacy, cli_status
from photogate.entrypoints.cli_common import errors_as_exit, settings_or_exit
from photogate.settings import Settings

app = typer.Typer(
    help="photogate: customers' product photos, scanned before they go live.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="The catalog database.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo catalog.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")

Port = Annotated[int, typer.Option(help="TCP port to listen on (127.0.0.1).")]
WebPort = Annotated[
    int | None,
    typer.Option(help="TCP port to listen on; default: PHOTOGATE_WEB__PORT, else 8000."),
]
WebHost = Annotated[
    str | None,
    typer.Option(help="Address to listen on; default: PHOTOGATE_WEB__HOST, else 127.0.0.1."),
]


def _logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The Azure SDKs log every storage request at INFO: a line per queue poll and blob read;
    # httpx logs every scanner call alike, alembic its plugins each time the schema is checked.
    for chatty in ("azure", "httpx", "alembic"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


@app.command()
def up(
    port: WebPort = None,
    scanner: Annotated[bool, typer.Option(help="Also run the reference scanner.")] = True,
    scanner_port: Annotated[int, typer.Option(help="Port of the reference scanner.")] = 8081,
    backend: Annotated[
        str | None,
        typer.Option(
            help="embedded (files, SQLite) or azure (Azure Storage, PHOTOGATE_AZURE__*);"
            " default: PHOTOGATE_BACKEND, else embedded."
        ),
    ] = None,
) -> None:
    """Run web, worker and (by default) the reference scanner; Ctrl-C stops them cleanly."""
    from photogate.entrypoints.stack import run_stack

    settings = _up_settings(backend, port)
    with errors_as_exit():
        code = run_stack(
            settings, port=settings.web.port, scanner=scanner, scanner_port=scanner_port
        )
    raise typer.Exit(code)


@app.command()
def web(port: WebPort = None, host: WebHost = None) -> None:
    """Serve the storefront, the upload API and /media/."""
    import uvicorn

    from photogate.bootstrap import check_catalog, check_storage
    from photogate.entrypoints.web.access_log import (
        install_access_log_redaction,
        install_quiet_ready_probes,
    )
    from photogate.entrypoints.web.app import create_app

    _logging()
    install_access_log_redaction()
    install_quiet_ready_probes()
    settings = settings_or_exit(**_web(host, port))
    # A catalog not migrated or not reachable, storage settings that cannot work: one line
    # here, not a traceback from uvicorn's lifespan.
    with errors_as_exit():
        asyncio.run(check_catalog(settings))
        asyncio.run(check_storage(settings))
    _warn_port_not_shared(port, settings)
    uvicorn.run(
        create_app(settings),
        host=settings.web.host,
        port=settings.web.port,
        log_level="info",
        timeout_graceful_shutdown=10,
        limit_concurrency=settings.web.max_connections,
        # The client's address is ours to work out (clients.client_address, through
        # TRUSTED_PROXY_HOPS): uvicorn would believe X-Forwarded-For from any loopback peer.
        proxy_headers=False,
    )


@app.command()
def worker(
    scans: Annotated[bool, typer.Option(help="Consume the scan queue.")] = True,
    notifications: Annotated[bool, typer.Option(help="Consume the notification queue.")] = True,
) -> None:
    """Scan queued submissions and send thank-you emails until SIGTERM or Ctrl-C."""
    from photogate.entrypoints.worker_main import serve_worker

    _logging()
    settings = settings_or_exit()
    with errors_as_exit():
        asyncio.run(serve_worker(settings, scans=scans, notifications=notifications))


@app.command()
def scanner(
    port: Port = 8081,
    slots: Annotated[int, typer.Option(help="Scans in parallel before it answers 429.")] = 8,
    latency: Annotated[float, typer.Option(help="Seconds one scan takes.")] = 0.1,
    api_key: Annotated[
        str,
        typer.Option(envvar="PHOTOGATE_SCANNER__API_KEY", help="Required API key (empty: none)."),
    ] = "",
) -> None:
    """Serve the reference scanning API (the contract in scanner-api.yaml) for development."""
    from photogate.refscanner import RefScannerConfig, serve

    _logging()
    config = RefScannerConfig(slots=slots, latency_s=latency, api_key=api_key)
    asyncio.run(serve(config, "127.0.0.1", port))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to the catalog database."""
    from photogate.adapters.sql.migrate import upgrade

    settings = settings_or_exit()
    with errors_as_exit():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(settings.catalog_url())
    print("catalog database is up to date")


@demo_app.command("seed")
def demo_seed() -> None:
    """Create the demo catalog (12 products with marketing photos); safe to run again."""
    from photogate.demo.seed import seed_demo

    settings = settings_or_exit()
    with errors_as_exit():
        count = asyncio.run(seed_demo(settings))
    print(f"demo catalog ready: {count} products")


def _up_settings(backend: str | None, port: int | None) -> Settings:
    """The settings of `up`: backend azure asks for a configured console key, which the data
    dir's key file stands in for (`up`'s processes share it), so they are read as embedded first.
    """
    from photogate.entrypoints.stack import data_dir_key

    overrides = {**({"backend": backend} if backend else {}), **_web(None, port)}
    local = settings_or_exit(**{**overrides, "backend": "embedded"})
    return settings_or_exit(**overrides, **data_dir_key(local))


def _warn_port_not_shared(port: int | None, settings: Settings) -> None:
    # The worker makes the links in emails from its own settings: a port given to `web` alone
    # is not the one they name, unless PUBLIC_BASE_URL names the shop for both.
    if port is not None and not settings.web.public_base_url:
        logging.getLogger(__name__).warning(
            "serving on --port %d: links in the worker's emails use PHOTOGATE_WEB__PORT;"
            " set it (or PHOTOGATE_WEB__PUBLIC_BASE_URL) for both processes instead",
            port,
        )


def _web(host: str | None, port: int | None) -> dict[str, object]:
    """The settings overrides of --host and --port, for the ones given."""
    given = {name: value for name, value in (("host", host), ("port", port)) if value is not None}
    return {"web": given} if given else {}


cli_ops.register(app)  # dlq …, reconcile: after the commands above, so listed after them
cli_moderation.register(app)  # takedown, console hash-password
cli_privacy.register(app)  # erase, purge
cli_status.register(app)  # status


def main() -> None:
    """Console script entry point."""
    app()
