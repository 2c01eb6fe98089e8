"""The console's building blocks: password hashes, signed sessions, App Service principals."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from starlette.requests import Request

from photogate.domain.moderation import Role
from photogate.entrypoints.web.clients import client_address
from photogate.entrypoints.web.console.app_service import app_service_principal
from photogate.entrypoints.web.console.session import SessionCodec
from photogate.moderation.passwords import Cost, hash_password, is_password_hash, verify_password
from photogate.secret_key import data_dir_secret
from photogate.settings import ConsoleSettings, load_settings

CHEAP = Cost(log2_n=10, r=8, p=1)
SECRET = b"k" * 40
ROLES = {"Photogate.Admin": Role.ADMIN, "photogate.moderator": Role.MODERATOR}


def test_a_password_verifies_against_its_own_hash_only() -> None:
    """The hash accepts the password it was made from and refuses any other."""
    stored = hash_password("correct horse battery", CHEAP)
    assert stored.startswith("scrypt$10$8$1$")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)
    assert hash_password("correct horse battery", CHEAP) != stored, "salted"


@pytest.mark.parametrize(
    "stored", ["", "plain", "scrypt$10$8$1$c2FsdA", "scrypt$99$8$1$c2FsdA$a2V5", "bcrypt$x$y$z$a$b"]
)
def test_malformed_hashes_never_verify(stored: str) -> None:
    """A hash in another format, or with absurd costs, is refused rather than raising."""
    assert not is_password_hash(stored)
    assert not verify_password("anything", stored)


def test_settings_refuse_users_whose_hash_is_not_ours() -> None:
    """A plain password where the hash belongs stops start-up, naming the variable."""
    users = [{"username": "sam", "password_hash": "hunter2", "role": "admin"}]
    with pytest.raises(Exception, match="PHOTOGATE_CONSOLE__USERS__0__PASSWORD_HASH"):
        load_settings(_env_file=None, console={"users": users})


def test_usernames_match_without_case_and_must_be_unique() -> None:
    """ "Sam" signs in as "sam"; two users differing only in case are refused."""
    stored = hash_password("pw", CHEAP)
    console = ConsoleSettings(users=[{"username": "sam", "password_hash": stored}])  # type: ignore[list-item]
    found = console.user(" SAM ")
    assert found is not None and found.role is Role.MODERATOR
    twins = [{"username": n, "password_hash": stored} for n in ("sam", "Sam")]
    with pytest.raises(ValueError, match="once"):
        ConsoleSettings(users=twins)  # type: ignore[arg-type]


def test_a_session_survives_the_round_trip_until_it_expires() -> None:
    """A dumped session loads back as it was, and not once its time is up."""
    codec = SessionCodec(SECRET, ttl_s=60)
    session = codec.new(1000.0, "sam", "fp")
    assert codec.load(codec.dump(session), 1059.0) == session
    assert codec.load(codec.dump(session), 1060.0) is None


def test_a_changed_or_foreign_session_is_refused() -> None:
    """Editing the payload, another key's signature, or garbage all read as no session."""
    codec = SessionCodec(SECRET, ttl_s=60)
    value = codec.dump(codec.new(1000.0, "sam"))
    payload, signature = value.split(".")
    forged = codec.dump(codec.new(1000.0, "admin")).split(".")[0] + "." + signature
    other = SessionCodec(b"o" * 40, ttl_s=60).dump(codec.new(1000.0, "sam"))
    for bad in (forged, other, payload, "", "a.b.c", value + "x"):
        assert codec.load(bad, 1001.0) is None


def principal_headers(name: str, *roles: str) -> dict[str, str]:
    claims = {
        "auth_typ": "aad",
        "claims": [{"typ": "roles", "val": role} for role in roles],
        "name_typ": "name",
        "role_typ": "roles",
    }
    encoded = base64.b64encode(json.dumps(claims).encode()).decode()
    return {"x-ms-client-principal-name": name, "x-ms-client-principal": encoded}


def test_app_service_roles_map_to_console_roles_highest_first() -> None:
    """Mapped app roles (any case) give the highest console role; unmapped ones give none."""
    both = principal_headers("ana@shop.example", "photogate.moderator", "PHOTOGATE.ADMIN")
    principal = app_service_principal(both, ROLES)
    assert principal is not None and (principal.name, principal.role) == (
        "ana@shop.example",
        Role.ADMIN,
    )
    nobody = app_service_principal(principal_headers("bo@shop.example", "Reader"), ROLES)
    assert nobody is not None and nobody.role is None


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-ms-client-principal-name": "ana"},
        {"x-ms-client-principal-name": "ana", "x-ms-client-principal": "not base64 json!"},
        {"x-ms-client-principal-name": "", "x-ms-client-principal": "e30="},
    ],
)
def test_missing_or_malformed_principal_headers_mean_nobody(headers: dict[str, str]) -> None:
    """Without both headers, well formed, there is no principal."""
    assert app_service_principal(headers, ROLES) is None


def request_from(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "headers": headers, "client": (peer, 1234)})


def test_client_address_trusts_only_the_configured_proxy_hops() -> None:
    """With no trusted proxy the peer counts; with one, the address that proxy appended."""
    request = request_from("10.0.0.5", "6.6.6.6, 203.0.113.7:52311")
    assert client_address(request, 0) == "10.0.0.5"
    assert client_address(request, 1) == "203.0.113.7"
    assert client_address(request, 2) == "6.6.6.6"
    assert client_address(request_from("10.0.0.5", "[2001:db8::1]:443"), 1) == "2001:db8::1"
    assert client_address(request_from("10.0.0.5"), 1) == "10.0.0.5"


def test_the_data_dir_secret_is_made_once_owner_only(tmp_path: Path) -> None:
    """The first call writes a random 0600 key; later calls read the same one."""
    path = tmp_path / "var" / "console-secret.key"
    first = data_dir_secret(path)
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert data_dir_secret(path) == first
    assert [p.name for p in path.parent.iterdir()] == [path.name]
