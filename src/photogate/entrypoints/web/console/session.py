"""Console sessions in a signed cookie: who signed in, their CSRF token, when it expires."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Final

COOKIE: Final = "photogate_console"
COOKIE_PATH: Final = "/console"
_MAX_COOKIE: Final = 2048


@dataclass(frozen=True)
class Session:
    """One browser's session; `username` is None before sign-in (the form still needs a token)."""

    csrf: str
    expires: int
    username: str | None = None
    fingerprint: str = ""


class SessionCodec:
    """Signs sessions with HMAC-SHA256 so that a browser can keep them but not change them."""

    def __init__(self, secret: bytes, ttl_s: int) -> None:
        self._secret, self.ttl_s = secret, ttl_s

    def new(self, now: float, username: str | None = None, fingerprint: str = "") -> Session:
        """A fresh session with a new CSRF token, valid for the configured time from `now`."""
        return Session(secrets.token_urlsafe(32), int(now) + self.ttl_s, username, fingerprint)

    def dump(self, session: Session) -> str:
        """The cookie value: the session as base64 JSON, a dot, and its signature."""
        fields = [session.csrf, session.expires, session.username, session.fingerprint]
        payload = _b64(json.dumps(fields, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def load(self, value: str | None, now: float) -> Session | None:
        """The session in a cookie value, or None if it is missing, forged, damaged or expired."""
        if not value or len(value) > _MAX_COOKIE or value.count(".") != 1:
            return None
        payload, signature = value.split(".")
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        session = _decode(payload)
        return session if session is not None and session.expires > now else None

    def fingerprint(self, password_hash: str) -> str:
        """A short tag of the user's password hash: changing the password ends old sessions."""
        return self._mac(f"password|{password_hash}")[:16]

    def derived_csrf(self, username: str) -> str:
        """A CSRF token for staff who come without our cookie (App Service sign-in)."""
        return self._mac(f"csrf|app-service|{username}")

    def sign(self, purpose: str, text: str) -> str:
        """A signature of `text` for `purpose`; it never passes for another purpose's."""
        return self._mac(f"signed|{purpose}|{text}")

    def _sign(self, payload: str) -> str:
        return self._mac(f"session|{payload}")

    def _mac(self, text: str) -> str:
        digest = hmac.new(self._secret, text.encode(), hashlib.sha256).digest()
        return _b64(digest)


def _decode(payload: str) -> Session | None:
    try:
        csrf, expires, username, fingerprint = json.loads(
            base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        )
    except (ValueError, TypeError):
        return None
    if not (isinstance(csrf, str) and isinstance(expires, int) and isinstance(fingerprint, str)):
        return None
    return Session(csrf, expires, username if isinstance(username, str) else None, fingerprint)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
