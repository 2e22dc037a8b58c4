"""The audit log of writes (admin): who changed what, when, and how it ended."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from api.deps import Admin, Paging, Reader
from api.schemas import Page, iso
from fonet.store.service import AuditEntry

router = APIRouter(tags=["audit"])


class AuditOut(BaseModel):
    """One write made through the API."""

    id: int
    at: str | None
    token_id: int | None
    actor: str
    role: str
    method: str
    path: str
    status: int
    target: str | None
    details: dict


ORDERS: dict[str, Any] = {"at": AuditEntry.id.asc(), "-at": AuditEntry.id.desc()}


@router.get("/audit", summary="The audit log of writes (admin)")
def audit_log(
    session: Reader, paging: Paging, _: Admin,
    actor: Annotated[str | None, Query(max_length=128, description="Token name.")] = None,
    method: Annotated[Literal["POST", "PUT", "PATCH", "DELETE"] | None,
                      Query(description="Only this method.")] = None,
    target: Annotated[str | None, Query(max_length=256, description="Resource, e.g. "
                                                                    "`sites` or `plans/3`.")]
    = None,
    since: Annotated[datetime | None, Query(description="At or after (ISO 8601).")] = None,
    order: Annotated[Literal["at", "-at"], Query(description="Oldest (`at`) or newest "
                                                             "(`-at`) first.")] = "-at",
) -> Page[AuditOut]:
    """Every write (`POST`, `PUT`, `PATCH`, `DELETE`) made with a valid token, newest first."""
    q = select(AuditEntry)
    if actor:
        q = q.where(AuditEntry.actor == actor)
    if method:
        q = q.where(AuditEntry.method == method)
    if target:
        q = q.where(AuditEntry.target.startswith(target, autoescape=True))
    if since:
        q = q.where(AuditEntry.at >= since)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.order_by(ORDERS[order]).limit(paging.limit)
                           .offset(paging.offset))
    return Page[AuditOut].model_validate(paging.page([AuditOut(
        id=a.id, at=iso(a.at), token_id=a.token_id, actor=a.actor, role=a.role,
        method=a.method, path=a.path, status=a.status, target=a.target,
        details=a.details or {}) for a in rows], total))
