"""API tokens (admin): list, create (the token is shown once), revoke."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from api.auth import create_token, revoke_token, token_info
from api.deps import Admin, Id, Paging, Reader, Store, forget_tokens
from api.schemas import Page, TokenCreated, TokenOut
from fonet.store import transaction
from fonet.store.access import ApiToken

router = APIRouter(tags=["tokens"])


class TokenIn(BaseModel):
    """A new token."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["viewer", "engineer", "admin"]
    name: str | None = Field(default=None, min_length=1, max_length=128)


@router.get("/tokens", summary="List tokens (admin)", response_model=Page[TokenOut])
def list_tokens(session: Reader, paging: Paging, _: Admin) -> dict[str, Any]:
    """Tokens with name, role, creation, last use and revocation (never the token)."""
    total = session.scalar(select(func.count()).select_from(ApiToken)) or 0
    rows = session.scalars(select(ApiToken).order_by(ApiToken.id).limit(paging.limit)
                           .offset(paging.offset))
    return paging.page([token_info(t) for t in rows], total)


@router.post("/tokens", status_code=201, summary="Create a token (admin)",
             response_model=TokenCreated)
def new_token(body: TokenIn, engine: Store, _: Admin) -> dict[str, Any]:
    """Create a token; the answer's ``token`` is the only time it is shown."""
    with transaction(engine) as s:
        row, token = create_token(s, body.role, body.name)
        return {**token_info(row), "token": token}


@router.delete("/tokens/{token_id}", summary="Revoke a token (admin)",
               response_model=TokenOut)
def delete_token(token_id: Id, engine: Store, _: Admin) -> dict[str, Any]:
    """Revoke a token: requests carrying it get 401 from now on."""
    with transaction(engine) as s:
        out = token_info(revoke_token(s, token_id))
    forget_tokens()
    return out
