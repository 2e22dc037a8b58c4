"""Response models shared by the routers: pages with links, jobs, the caller."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


def iso(t: datetime | None) -> str | None:
    """Return a time as ISO 8601 with its zone (UTC when the store dropped it)."""
    if t is None:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).isoformat()


class PageLinks(BaseModel):
    """Links of a page: this one, the next and the previous (``None`` at the ends)."""

    self: str
    next: str | None = None
    prev: str | None = None


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, how many there are in all, the window, the links."""

    items: list[T]
    total: int = Field(ge=0)
    limit: int
    offset: int
    links: PageLinks | None = None


class Open(BaseModel):
    """An object whose members are documented in the operation's description."""

    model_config = ConfigDict(extra="allow")


class JobLinks(BaseModel):
    """Where to follow a job and, when it succeeded, where its result is."""

    self: str
    result: str | None = None


class JobOut(BaseModel):
    """A job: heavy work (a plan, an export) run by the service's worker pool."""

    id: int
    kind: str = Field(description="`plan` or `export`.")
    state: str = Field(description="`queued`, `running`, `succeeded` or `failed`.")
    progress: float = Field(ge=0, le=1)
    message: str
    params: dict[str, Any]
    result: dict[str, Any]
    error: str | None = None
    owner: str
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    links: JobLinks


class Me(BaseModel):
    """Who the caller is."""

    id: int
    name: str
    role: str


class Deleted(BaseModel):
    """What a delete did."""

    id: int | str
    deleted: bool = True
