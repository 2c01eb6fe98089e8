"""The Functions app's shape: its functions, bindings and packaging agree with infra/ and docs/.

No Azure service is needed: the app is built (nothing connects before an invocation) and its
function metadata is what the host would index.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.functions import _abc as function_types

from photogate.entrypoints.functions import SharedServices, create_function_app
from photogate.entrypoints.functions.app import (
    BLOB_CREATED_FUNCTION,
    CONNECTION,
    RECONCILE_SCHEDULE,
    RETENTION_SCHEDULE,
)
from photogate.entrypoints.functions.blob_events import BlobRef, blob_of_subject
from photogate.messages import NOTIFY_QUEUE, SCAN_QUEUE
from photogate.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# The types the Python worker accepts for each trigger's parameter.
TRIGGER_TYPES = {
    "httpTrigger": function_types.HttpRequest,
    "queueTrigger": function_types.QueueMessage,
    "eventGridTrigger": function_types.EventGridEvent,
    "timerTrigger": function_types.TimerRequest,
}


def _bindings(functions: list[func.Function]) -> dict[str, dict[str, Any]]:
    """Each function's trigger binding, by function name, as the host indexes it."""
    triggers = {}
    for fn in functions:
        (trigger,) = [
            b for b in json.loads(fn.get_function_json())["bindings"] if "Trigger" in b["type"]
        ]
        triggers[fn.get_function_name()] = trigger
    return triggers


@pytest.fixture
def functions() -> list[func.Function]:
    """The app's functions, indexed once as the host does (get_functions() may run only once);
    their services are never built, as no test here invokes one.
    """
    return create_function_app(SharedServices(Settings), queue_prefix="").get_functions()


def test_the_app_has_the_web_queue_event_and_timer_functions(
    functions: list[func.Function],
) -> None:
    """Six functions: the ASGI catch-all, two queue triggers, BlobCreated and two timers."""
    bindings = _bindings(functions)
    assert {name: b["type"] for name, b in bindings.items()} == {
        "web": "httpTrigger",
        SCAN_QUEUE: "queueTrigger",
        NOTIFY_QUEUE: "queueTrigger",
        BLOB_CREATED_FUNCTION: "eventGridTrigger",
        "reconcile": "timerTrigger",
        "retention": "timerTrigger",
    }
    assert bindings["web"]["route"] == "/{*route}"
    assert bindings["web"]["authLevel"].lower() == "anonymous"  # a public shop: no function key
    assert bindings["reconcile"]["schedule"] == RECONCILE_SCHEDULE
    assert bindings["retention"]["schedule"] == RETENTION_SCHEDULE


def test_queue_triggers_listen_on_photogates_queues_through_the_deployed_connection(
    functions: list[func.Function],
) -> None:
    """Each queue trigger names its queue and the connection app-settings.bicep configures."""
    bindings = _bindings(functions)
    for queue in (SCAN_QUEUE, NOTIFY_QUEUE):
        assert bindings[queue]["queueName"] == queue
        assert bindings[queue]["connection"] == CONNECTION
    app_settings = (ROOT / "infra/modules/app-settings.bicep").read_text()
    assert re.search(rf"^\s*{CONNECTION}__queueServiceUri:", app_settings, re.MULTILINE)


def test_a_queue_prefix_moves_the_triggers_to_the_prefixed_queues() -> None:
    """With PHOTOGATE_AZURE__QUEUE_PREFIX the triggers watch the queues the adapter writes."""
    app = create_function_app(SharedServices(Settings), queue_prefix="shop1-")
    bindings = _bindings(app.get_functions())
    assert bindings[SCAN_QUEUE]["queueName"] == "shop1-scans"
    assert bindings[NOTIFY_QUEUE]["queueName"] == "shop1-notifications"


def test_every_function_parameter_resolves_to_a_type_the_worker_accepts(
    functions: list[func.Function],
) -> None:
    """The worker reads annotations with typing.get_type_hints: each must resolve to its type."""
    bindings = _bindings(functions)
    for fn in functions:
        trigger = bindings[fn.get_function_name()]
        hints = typing.get_type_hints(fn.get_user_function())
        assert issubclass(hints[trigger["name"]], TRIGGER_TYPES[trigger["type"]])


def test_the_deploy_guide_names_the_event_grid_function() -> None:
    """docs/deploy-azure.md gives blobCreatedFunctionName the Event Grid function's real name."""
    guide = (ROOT / "docs/deploy-azure.md").read_text()
    assert f"blobCreatedFunctionName={BLOB_CREATED_FUNCTION}" in guide


def test_function_app_py_builds_without_reading_settings(tmp_path: Path) -> None:
    """The root function_app.py exposes `app`; a bad setting cannot break the host's indexing."""
    script = (
        "import function_app\n"
        "print(sorted(f.get_function_name() for f in function_app.app.get_functions()))"
    )
    env = {**os.environ, "PHOTOGATE_BACKEND": "not-a-backend", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert (
        "'blob_created', 'notifications', 'reconcile', 'retention', 'scans', 'web'" in done.stdout
    )


def test_deployment_files_ship_the_package_and_leave_the_rest_out() -> None:
    """requirements.txt installs photogate with its azure and postgres extras; .funcignore
    keeps tests, virtualenvs and local data out of the package.
    """
    requirements = [
        line
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert requirements == [".[azure,postgres]"]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^azure = \[[^\]]*"azure-functions', pyproject, re.MULTILINE | re.DOTALL)
    ignored = (ROOT / ".funcignore").read_text().splitlines()
    for path in ("tests/", ".venv/", "var/", "benchmarks/", "node_modules/", "local.settings.json"):
        assert path in ignored
    for needed in ("src/", "function_app.py", "host.json", "requirements.txt", "pyproject.toml"):
        assert needed not in ignored


@pytest.mark.parametrize(
    ("subject", "blob"),
    [
        (
            "/blobServices/default/containers/quarantine/blobs/ab/cd.jpg",
            BlobRef("quarantine", "ab/cd.jpg"),
        ),
        ("/blobServices/default/containers/t1-quarantine/blobs/x", BlobRef("t1-quarantine", "x")),
        ("/blobServices/default/containers/quarantine/blobs/", None),
        ("/blobServices/default/containers/quarantine", None),
        ("/tableServices/default/tables/x", None),
    ],
)
def test_an_event_subject_names_its_container_and_blob(subject: str, blob: BlobRef | None) -> None:
    """BlobCreated subjects are parsed into container and blob name; anything else is None."""
    assert blob_of_subject(subject) == blob


def test_the_azure_sdks_request_logging_is_turned_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building the app sets the Azure SDK loggers to WARNING: no line per storage request,
    though the host logs everything else at INFO.
    """
    monkeypatch.setattr(logging.getLogger(), "level", logging.INFO)  # as the Functions host
    monkeypatch.setattr(logging.getLogger("azure"), "level", logging.NOTSET)
    http_log = logging.getLogger("azure.core.pipeline.policies.http_logging_policy")
    assert http_log.getEffectiveLevel() == logging.INFO  # what the app must change
    create_function_app(SharedServices(Settings), queue_prefix="")
    assert http_log.getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("azure.storage.queue").getEffectiveLevel() == logging.WARNING
