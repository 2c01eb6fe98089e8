"""Staff passwords, hashed with scrypt (memory-hard, in the standard library) and a random salt."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final

PREFIX: Final = "scrypt"
# 32 MiB and about a quarter of a second per hash: one of OWASP's recommended scrypt settings.
DEFAULT_LOG2_N: Final = 15
DEFAULT_R: Final = 8
DEFAULT_P: Final = 3
_KEY_BYTES: Final = 32
_SALT_BYTES: Final = 16
_MAX_LOG2_N: Final = 20


@dataclass(frozen=True)
class Cost:
    """scrypt's work factors: 2**log2_n rounds, block size r, parallelism p."""

    log2_n: int = DEFAULT_LOG2_N
    r: int = DEFAULT_R
    p: int = DEFAULT_P


def hash_password(password: str, cost: Cost = Cost()) -> str:
    """A self-describing hash of `password`: scrypt$log2n$r$p$salt$key, base64 without padding."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _derive(password, salt, cost)
    return "$".join([PREFIX, str(cost.log2_n), str(cost.r), str(cost.p), _b64(salt), _b64(key)])


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored`; False (never an error) for a malformed hash."""
    parsed = _parse(stored)
    if parsed is None:
        return False
    cost, salt, key = parsed
    return hmac.compare_digest(_derive(password, salt, cost), key)


def is_password_hash(value: str) -> bool:
    """Whether `value` is a hash `hash_password` could have made."""
    return _parse(value) is not None


def waste_time(password: str) -> None:
    """Spend what a real check costs, so an unknown username answers as slowly as a known one."""
    verify_password(password, _dummy_hash())


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _derive(password: str, salt: bytes, cost: Cost) -> bytes:
    n = 2**cost.log2_n
    memory = 128 * cost.r * (n + cost.p + 2)
    return hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=n,
        r=cost.r,
        p=cost.p,
        maxmem=memory + 1024 * 1024,
        dklen=_KEY_BYTES,
    )


def _parse(stored: str) -> tuple[Cost, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != PREFIX or not all(p.isdigit() for p in parts[1:4]):
        return None
    cost = Cost(int(parts[1]), int(parts[2]), int(parts[3]))
    if not (1 <= cost.log2_n <= _MAX_LOG2_N and 1 <= cost.r <= 32 and 1 <= cost.p <= 16):
        return None
    try:
        return cost, _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        return None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
