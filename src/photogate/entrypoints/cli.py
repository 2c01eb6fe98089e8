"""The `photogate` command line: run the services, migrate, seed the demo."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer

from photogate.entrypoints import cli_moderation, cli_ops, cli_privacy, cli_status
from photogate.entrypoints.cli_common import settings_or_exit

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


def _logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The Azure SDKs log every storage request at INFO: a line per queue poll and blob read.
    logging.getLogger("azure").setLevel(logging.WARNING)


@app.command()
def up(
    port: Port = 8000,
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

    settings = settings_or_exit(**({"backend": backend} if backend else {}))
    raise typer.Exit(run_stack(settings, port=port, scanner=scanner, scanner_port=scanner_port))


@app.command()
def web(port: Port = 8000, host: str = "127.0.0.1") -> None:
    """Serve the storefront, the upload API and /media/."""
    import uvicorn

    from photogate.entrypoints.web.access_log import install_access_log_redaction
    from photogate.entrypoints.web.app import create_app

    _logging()
    install_access_log_redaction()
    settings = settings_or_exit()
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=10,
        limit_concurrency=settings.web.max_connections,
    )


@app.command()
def worker(
    scans: Annotated[bool, typer.Option(help="Consume the scan queue.")] = True,
    notifications: Annotated[bool, typer.Option(help="Consume the notification queue.")] = True,
) -> None:
    """Scan queued submissions and send thank-you emails until SIGTERM or Ctrl-C."""
    from photogate.entrypoints.worker_main import serve_worker

    _logging()
    asyncio.run(serve_worker(settings_or_exit(), scans=scans, notifications=notifications))


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
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.catalog_url())
    print("catalog database is up to date")


@demo_app.command("seed")
def demo_seed() -> None:
    """Create the demo catalog (12 products with marketing photos); safe to run again."""
    from photogate.demo.seed import seed_demo

    settings = settings_or_exit()
    count = asyncio.run(seed_demo(settings))
    print(f"demo catalog ready: {count} products")


cli_ops.register(app)  # dlq …, reconcile: after the commands above, so listed after them
cli_moderation.register(app)  # takedown, console hash-password
cli_privacy.register(app)  # erase, purge
cli_status.register(app)  # status


def main() -> None:
    """Console script entry point."""
    app()
