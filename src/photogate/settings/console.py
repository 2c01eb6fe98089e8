"""Settings of the moderation console: staff users, sessions, sign-in limits, App Service auth."""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, Field, SecretStr, field_validator

from photogate.domain.moderation import Role
from photogate.moderation.passwords import is_password_hash

# The longest a moderator's rejection may stay undoable (retention keeps originals as long).
MAX_UNDO_S: Final = 600


class StaffUser(BaseModel):
    """A member of staff who may sign in to the moderation console."""

    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    password_hash: SecretStr
    role: Role = Role.MODERATOR

    @field_validator("password_hash")
    @classmethod
    def _scrypt_hash(cls, value: SecretStr) -> SecretStr:
        if not is_password_hash(value.get_secret_value()):
            raise ValueError("not a password hash: make one with `photogate console hash-password`")
        return value


class ConsoleSettings(BaseModel):
    """The moderation console at /console: who may sign in, and how."""

    users: list[StaffUser] = Field(default_factory=list)
    # Signs session cookies and CSRF tokens; empty: a random key kept in the data dir.
    secret_key: SecretStr = SecretStr("")
    session_ttl_s: int = Field(8 * 3600, ge=60)
    signin_max_failures: int = Field(5, ge=1)
    signin_window_s: int = Field(900, ge=1)
    notify_rejections: bool = False
    # How long a moderator's rejection can be undone; its email to the customer waits as long.
    undo_s: int = Field(60, ge=0, le=MAX_UNDO_S)
    # How long opening a photo in review keeps it from other moderators' "next" (a soft claim).
    claim_minutes: int = Field(5, ge=1, le=60)
    # Only behind App Service / Functions authentication, which sets these headers itself.
    trust_app_service_auth: bool = False
    app_service_roles: dict[str, Role] = Field(
        default_factory=lambda: {
            "photogate.admin": Role.ADMIN,
            "photogate.moderator": Role.MODERATOR,
        }
    )

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if 0 < len(value.get_secret_value()) < 32:
            raise ValueError("use at least 32 random characters (or leave it empty)")
        return value

    @field_validator("users")
    @classmethod
    def _unique_names(cls, value: list[StaffUser]) -> list[StaffUser]:
        names = [user.username.lower() for user in value]
        if len(set(names)) != len(names):
            raise ValueError("each username may appear once (case does not count)")
        return value

    def user(self, username: str) -> StaffUser | None:
        """The user signing in as `username` (case does not count), or None."""
        wanted = username.strip().lower()
        return next((u for u in self.users if u.username.lower() == wanted), None)
