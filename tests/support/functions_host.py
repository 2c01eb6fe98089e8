"""Calling the built Azure Functions as the host would (the host itself cannot run here)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import azure.functions as func
from azure.functions.queue import QueueMessage as TriggerQueueMessage

from photogate.ports import QueueMessage


def user_functions(app: func.FunctionApp) -> dict[str, Callable[..., Any]]:
    """Each function of `app` by name: the code the host would invoke."""
    return {fn.get_function_name(): fn.get_user_function() for fn in app.get_functions()}


def trigger_message(message: QueueMessage) -> TriggerQueueMessage:
    """A message received from the queue, as the queue trigger hands it to a function."""
    return TriggerQueueMessage(
        id=message.id,
        body=message.body.encode(),
        pop_receipt=message.pop_receipt,
        dequeue_count=message.dequeue_count,
    )


def http_request(
    method: str, path: str, *, body: bytes = b"", headers: Mapping[str, str] | None = None
) -> func.HttpRequest:
    """An HTTP request as the host hands it to the ASGI function (routePrefix "")."""
    return func.HttpRequest(
        method,
        f"https://photogate-func.azurewebsites.net{path}",
        headers={"host": "photogate-func.azurewebsites.net", **(headers or {})},
        route_params={"route": path.lstrip("/").partition("?")[0]},
        body=body,
    )
