"""Access-log redaction: a withdrawal token is cut from the line, the rest of it kept."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from uvicorn.logging import AccessFormatter

from photogate.entrypoints.web.access_log import (
    ACCESS_LOGGER,
    QuietReadyProbes,
    RedactSecrets,
    install_access_log_redaction,
    redact,
)

TOKEN = "0123456789abcdef0123456789abcdef.1893456000.InAH9xwHeFlDQnQJ_CELC_SGeMC-9H7d0ISgl6tW89c"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/withdraw/{TOKEN}", "/withdraw/[redacted]"),
        (f"/withdraw/{TOKEN}?from=email", "/withdraw/[redacted]?from=email"),
        (f"/withdraw/{TOKEN}/", "/withdraw/[redacted]/"),
        (f"/shop/WITHDRAW/{TOKEN}", "/shop/WITHDRAW/[redacted]"),
        ("/withdraw/", "/withdraw/"),
        ("/products/TT-1?offset=24", "/products/TT-1?offset=24"),
        ("/submissions/0123456789abcdef", "/submissions/0123456789abcdef"),
    ],
)
def test_only_the_token_segment_of_a_withdraw_path_is_redacted(path: str, logged: str) -> None:
    """The segment after /withdraw/ goes (whatever its case or prefix); other paths stay."""
    assert redact(path) == logged


def record(message: str, args: tuple[object, ...] | None = None) -> logging.LogRecord:
    """A record of uvicorn's access logger, as `logger.info(message, *args)` makes it."""
    return logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 1, message, args, None)


def test_the_filter_redacts_uvicorns_record_and_keeps_the_line() -> None:
    """Through uvicorn's own formatter, the line has client, method, status and no token."""
    args = ("127.0.0.1:5000", "GET", f"/withdraw/{TOKEN}", "1.1", 200)
    logged = record('%s - "%s %s HTTP/%s" %d', args)
    assert RedactSecrets().filter(logged)
    formatter = AccessFormatter(
        '%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False
    )
    assert formatter.format(logged) == (
        '127.0.0.1:5000 - "GET /withdraw/[redacted] HTTP/1.1" 200 OK'
    )


def test_the_filter_redacts_messages_and_mapping_arguments_too() -> None:
    """A message already formatted, or arguments by name, are redacted the same way."""
    formatted = record(f"GET /withdraw/{TOKEN}")
    named = record("%(path)s %(n)d", ({"path": f"/withdraw/{TOKEN}", "n": 3},))
    for logged in (formatted, named):
        assert RedactSecrets().filter(logged)
    assert formatted.getMessage() == "GET /withdraw/[redacted]"
    assert named.getMessage() == "/withdraw/[redacted] 3"


@pytest.fixture
def access_logger() -> Iterator[logging.Logger]:
    """uvicorn's access logger, its filters as they were put back afterwards."""
    logger = logging.getLogger(ACCESS_LOGGER)
    before = list(logger.filters)
    yield logger
    logger.filters[:] = before


def test_installing_twice_adds_one_filter(access_logger: logging.Logger) -> None:
    """The web command may be set up more than once in a process; the filter is added once."""
    install_access_log_redaction()
    install_access_log_redaction()
    assert sum(isinstance(f, RedactSecrets) for f in access_logger.filters) == 1


@pytest.mark.parametrize(
    ("path", "status", "kept"),
    [
        ("/readyz", 200, False),
        ("/readyz?probe=lb", 200, False),
        ("/readyz", 503, True),
        ("/healthz", 200, True),
        ("/api/products", 200, True),
    ],
)
def test_only_successful_readiness_probes_leave_the_access_log(
    path: str, status: int, kept: bool
) -> None:
    """A /readyz answered 200 is dropped (probes come every few seconds); its 503 and every
    other request are logged.
    """
    logged = record('%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5000", "GET", path, "1.1", status))
    assert QuietReadyProbes().filter(logged) is kept
