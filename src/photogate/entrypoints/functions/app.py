"""create_function_app: photogate's Azure Functions, each a thin translation to a use case.

| function | trigger | runs |
| --- | --- | --- |
| `web` | HTTP, every route (AsgiFunctionApp) | the storefront, API and console (create_app) |
| `scans` | queue `scans` | scan_submission, as the worker's scan route |
| `notifications` | queue `notifications` | thank_customer, as the worker's notification route |
| `blob_created` | Event Grid BlobCreated | complete_direct_upload |
| `reconcile` | timer, every 5 minutes | outbox sweep, reconciler, abandoned direct uploads |
| `retention` | timer, daily at 03:30 UTC | purge of the quarantine originals retention lets go |
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import azure.functions as func

from photogate.bootstrap import Services
from photogate.entrypoints.functions.blob_events import on_blob_created
from photogate.entrypoints.functions.deliveries import deliver
from photogate.entrypoints.functions.shared import SharedServices
from photogate.entrypoints.functions.timers import purge_expired_originals, sweep_and_reconcile
from photogate.entrypoints.functions.web import SharedWebApp
from photogate.messages import NOTIFY_QUEUE, SCAN_QUEUE
from photogate.worker.consumer import Route
from photogate.worker.routes import notify_route, scan_route

# The app setting prefix of the queue triggers' connection (infra/modules/app-settings.bicep
# sets PhotogateStorage__queueServiceUri: photogate's queues, reached with the managed identity).
CONNECTION = "PhotogateStorage"
WEB_FUNCTION = "web"
# infra/main.bicep's blobCreatedFunctionName: Event Grid delivers BlobCreated to this function.
BLOB_CREATED_FUNCTION = "blob_created"
RECONCILE_FUNCTION = "reconcile"
# NCRONTAB with seconds. The reconciler waits reconcile_after_s (10 min) before it calls a
# message lost, so every 5 minutes finds one within 15; docs/deploy-azure.md costs this rate.
RECONCILE_SCHEDULE = "0 */5 * * * *"
RETENTION_FUNCTION = "retention"
# Retention counts in days, so once a day is enough (and is what the cost estimate assumes).
RETENTION_SCHEDULE = "0 30 3 * * *"


def create_function_app(
    shared: SharedServices | None = None, *, queue_prefix: str | None = None
) -> func.AsgiFunctionApp:
    """The function app; `shared` builds the services on first use (by default from the
    environment), `queue_prefix` defaults to PHOTOGATE_AZURE__QUEUE_PREFIX.
    """
    shared = shared or SharedServices()
    # Trigger bindings are fixed when the host indexes the app, so the prefix is read now.
    if queue_prefix is None:
        queue_prefix = os.environ.get("PHOTOGATE_AZURE__QUEUE_PREFIX", "")
    # The Azure SDKs log every storage request at INFO: a line per queue poll and blob read.
    logging.getLogger("azure").setLevel(logging.WARNING)
    app = func.AsgiFunctionApp(
        SharedWebApp(shared), http_auth_level=func.AuthLevel.ANONYMOUS, function_name=WEB_FUNCTION
    )
    _queue_trigger(app, shared, SCAN_QUEUE, queue_prefix, scan_route)
    _queue_trigger(app, shared, NOTIFY_QUEUE, queue_prefix, notify_route)
    _blob_created(app, shared)
    _reconcile_timer(app, shared)
    _retention_timer(app, shared)
    return app


def _queue_trigger(
    app: func.AsgiFunctionApp,
    shared: SharedServices,
    queue: str,
    prefix: str,
    route_for: Callable[[Services], Route],
) -> None:
    """Function `queue` on queue `<prefix><queue>`: each message settled as the worker would."""

    @app.function_name(queue)
    @app.queue_trigger(arg_name="msg", queue_name=prefix + queue, connection=CONNECTION)
    async def on_message(msg: func.QueueMessage) -> None:
        services = await shared.get()
        body = msg.get_body().decode()
        try:
            await deliver(services, route_for(services), body, msg.dequeue_count or 1)
        finally:
            if queue == SCAN_QUEUE and services.heartbeat is not None:
                await services.heartbeat.beat_if_due()


def _blob_created(app: func.AsgiFunctionApp, shared: SharedServices) -> None:
    @app.function_name(BLOB_CREATED_FUNCTION)
    @app.event_grid_trigger(arg_name="event")
    async def blob_created(event: func.EventGridEvent) -> None:
        services = await shared.get()
        await on_blob_created(services, event.event_type, event.subject)


def _reconcile_timer(app: func.AsgiFunctionApp, shared: SharedServices) -> None:
    @app.function_name(RECONCILE_FUNCTION)
    @app.timer_trigger(arg_name="timer", schedule=RECONCILE_SCHEDULE, use_monitor=True)
    async def reconcile(timer: func.TimerRequest) -> None:
        await sweep_and_reconcile(await shared.get())  # it logs each submission it re-queues


def _retention_timer(app: func.AsgiFunctionApp, shared: SharedServices) -> None:
    @app.function_name(RETENTION_FUNCTION)
    @app.timer_trigger(arg_name="timer", schedule=RETENTION_SCHEDULE, use_monitor=True)
    async def retention(timer: func.TimerRequest) -> None:
        await purge_expired_originals(await shared.get())
