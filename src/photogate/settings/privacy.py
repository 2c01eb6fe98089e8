"""Settings of consent, withdrawal links and retention: the licence, link lifetime, purges."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, field_validator

from photogate.domain.licence import CURRENT, LICENCES, is_known


class PrivacySettings(BaseModel):
    """Which licence uploads accept, how long withdrawal links live, how long originals stay."""

    licence_version: str = CURRENT
    # Signs withdrawal links; empty: derived from the console's key (settings or data dir).
    link_secret_key: SecretStr = SecretStr("")
    link_ttl_days: int = Field(365, ge=1, le=3650)
    # Originals of rejected and failed submissions are deleted this long after they settled.
    retention_days: int = Field(30, ge=0)
    # Keep the quarantine original of a published photo (else it goes once renditions exist).
    keep_published_originals: bool = False
    # How often the worker runs the retention purge (0: never; run `photogate purge` instead).
    purge_every_s: float = Field(3600.0, ge=0)

    @field_validator("licence_version")
    @classmethod
    def _known(cls, value: str) -> str:
        if not is_known(value):
            raise ValueError(f"no licence text of that version; known: {', '.join(LICENCES)}")
        return value

    @field_validator("link_secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if 0 < len(value.get_secret_value()) < 32:
            raise ValueError("use at least 32 random characters (or leave it empty)")
        return value
