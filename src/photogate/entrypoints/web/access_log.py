"""Keep secrets out of the access log: a withdrawal link's token is a customer's key. And keep
readiness probes that succeed out of it: a load balancer asks every few seconds.

`/withdraw/<token>` erases a customer's photos and details for a year, so the token must not
sit in log files or the log service. No other route carries a secret in its URL: console
sessions and CSRF tokens travel in cookies and form bodies, and direct-upload grants (SAS
URLs) only in response bodies.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Final

ACCESS_LOGGER: Final = "uvicorn.access"
REDACTED: Final = "[redacted]"
READINESS_PATH: Final = "/readyz"
# The token is the whole path segment after /withdraw/ (uvicorn logs the path percent-encoded,
# so it holds no spaces or quotes to stop at).
_WITHDRAW_TOKEN: Final = re.compile(r"(/withdraw/)[^/?#\s\"]+", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with the token of every /withdraw/ path replaced by REDACTED."""
    return _WITHDRAW_TOKEN.sub(rf"\g<1>{REDACTED}", text)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and arguments, so no handler sees a withdrawal token."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place and let the record through: the rest of the line stays useful."""
        record.msg = _redacted(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _redacted(arg) for key, arg in record.args.items()}
        return True


def install_access_log_redaction() -> None:
    """Filter uvicorn's access logger; calling it again adds no second filter.

    A logger's filters survive the dictConfig uvicorn runs at start-up, so this may be called
    before or after it.
    """
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
        logger.addFilter(RedactSecrets())


class QuietReadyProbes(logging.Filter):
    """Drops uvicorn's line for a /readyz answered 200; a 503 is logged, it is news."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a successful readiness probe, True for every other request."""
        args = record.args
        # uvicorn logs (client, method, path with query, HTTP version, status code).
        if not isinstance(args, tuple) or len(args) != 5:
            return True
        path, status = str(args[2]).split("?", 1)[0], args[4]
        return not (path == READINESS_PATH and status == 200)


def install_quiet_ready_probes() -> None:
    """Filter uvicorn's access logger; calling it again adds no second filter."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, QuietReadyProbes) for existing in logger.filters):
        logger.addFilter(QuietReadyProbes())


def _redacted(value: object) -> object:
    return redact(value) if isinstance(value, str) else value
