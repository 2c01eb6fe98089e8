"""Staff signed in by App Service / Functions authentication (Entra ID), read from its headers.

The platform sets X-MS-CLIENT-PRINCIPAL-NAME and X-MS-CLIENT-PRINCIPAL (base64 JSON claims) on
every authenticated request and strips them from clients' requests, so they are trusted only
when PHOTOGATE_CONSOLE__TRUST_APP_SERVICE_AUTH says the app runs behind it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from photogate.domain.moderation import Role

NAME_HEADER: Final = "x-ms-client-principal-name"
PRINCIPAL_HEADER: Final = "x-ms-client-principal"
DEFAULT_ROLE_CLAIM: Final = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
_MAX_HEADER: Final = 16 * 1024
_MAX_NAME: Final = 256


@dataclass(frozen=True)
class Principal:
    """Who App Service signed in, and the console role their claims map to (None: no role)."""

    name: str
    role: Role | None


def app_service_principal(
    headers: Mapping[str, str], role_map: Mapping[str, Role]
) -> Principal | None:
    """The signed-in principal, or None when the headers are missing or malformed."""
    name = headers.get(NAME_HEADER, "").strip()
    claims = _claims(headers.get(PRINCIPAL_HEADER, ""))
    if not name or len(name) > _MAX_NAME or claims is None:
        return None
    return Principal(name, _best_role(claims, role_map))


def _claims(encoded: str) -> dict[str, Any] | None:
    if not encoded or len(encoded) > _MAX_HEADER:
        return None
    try:
        data = json.loads(base64.b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list):
        return None
    return data


def _best_role(principal: dict[str, Any], role_map: Mapping[str, Role]) -> Role | None:
    role_types = {str(principal.get("role_typ") or DEFAULT_ROLE_CLAIM), "roles"}
    wanted = {name.lower(): role for name, role in role_map.items()}
    roles = {
        wanted.get(str(claim.get("val", "")).lower())
        for claim in principal["claims"]
        if isinstance(claim, dict) and claim.get("typ") in role_types
    }
    if Role.ADMIN in roles:
        return Role.ADMIN
    return Role.MODERATOR if Role.MODERATOR in roles else None
