"""API tokens: created once, stored as a SHA-256 hash, each with a role.

Roles are ordered ``viewer`` < ``engineer`` < ``admin``: a viewer reads; an engineer also
plans, edits sites and asks for routes; an admin also manages devices, credentials and tokens.
The token itself is shown once, when created, and never stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.errors import InputError, NotFoundError
from fonet.store.access import ROLES, ApiToken

TOKEN_PREFIX = "fonet_"
LAST_USED_RESOLUTION = timedelta(seconds=60)
"""``last_used_at`` is written at most this often per token (reads stay reads)."""


@dataclass(frozen=True)
class Principal:
    """Who made a request: the token's id, name and role."""

    token_id: int
    name: str
    role: str

    def allows(self, needed: str) -> bool:
        """Tell whether this role may do what ``needed`` may."""
        return role_allows(self.role, needed)


def role_allows(have: str, needed: str) -> bool:
    """Tell whether role ``have`` includes role ``needed`` (viewer < engineer < admin)."""
    return ROLES.index(have) >= ROLES.index(needed)


def hash_token(token: str) -> str:
    """Return the hex SHA-256 of a token, as stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_role(role: str, source: str = "role") -> str:
    """Return ``role`` if it is known, else raise :class:`InputError`."""
    if role not in ROLES:
        raise InputError(source, f"unknown role {role!r}; known: {', '.join(ROLES)}",
                         field="role")
    return role


def create_token(session: Session, role: str, name: str | None = None) -> tuple[ApiToken, str]:
    """Create a token with ``role``; return its row and the token text (shown only now).

    Parameters
    ----------
    session
        A session inside the caller's transaction.
    role
        ``viewer``, ``engineer`` or ``admin``.
    name
        What the token is for (default: ``<role>-<n>``).
    """
    check_role(role)
    if name is not None and not name.strip():
        raise InputError("name", "empty token name", field="name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name or "", role=role, token_hash=hash_token(token))
    session.add(row)
    session.flush()
    if not name:
        row.name = f"{role}-{row.id}"
    session.flush()
    return row, token


def verify_token(session: Session, token: str) -> Principal | None:
    """Return who holds ``token``, or ``None`` if it is unknown or revoked.

    ``last_used_at`` is refreshed (at most once a minute), in the caller's session.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    now = datetime.now(UTC)
    last = row.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    if last is None or now - last > LAST_USED_RESOLUTION:
        row.last_used_at = now
    return Principal(row.id, row.name, row.role)


def token_info(row: ApiToken) -> dict[str, Any]:
    """Public description of a token (never the token or its hash)."""
    def iso(t: datetime | None) -> str | None:
        if t is None:
            return None
        return (t if t.tzinfo else t.replace(tzinfo=UTC)).isoformat()

    return {"id": row.id, "name": row.name, "role": row.role,
            "created_at": iso(row.created_at), "last_used_at": iso(row.last_used_at),
            "revoked_at": iso(row.revoked_at)}


def list_tokens(session: Session) -> list[ApiToken]:
    """Return every token row, oldest first."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Revoke a token (kept for the record); revoking twice is harmless."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(f"no token with id {token_id}")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
    session.flush()
    return row
