"""Who may use the service: API tokens, stored hashed, with a role."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from fonet.store.models import Base, utcnow

ROLES = ("viewer", "engineer", "admin")
"""``viewer`` reads; ``engineer`` also plans, edits sites and asks routes; ``admin`` also
manages devices, credentials and tokens."""


class ApiToken(Base):
    """An API token: only its SHA-256 hash is stored."""

    __tablename__ = "api_token"
    __table_args__ = (CheckConstraint("role IN ('viewer', 'engineer', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
