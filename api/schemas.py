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


class HealthOut(BaseModel):
    """What runs in the service."""

    status: str
    store: str
    collectors: dict[str, Any]
    events: dict[str, Any]
    jobs: dict[str, Any] = Field(default_factory=dict)
    features: dict[str, bool]


class ConfigOut(BaseModel):
    """What the web map needs to start."""

    basemap_url: str | None
    basemap_attribution: str
    features: dict[str, bool]
    poll_interval_s: float


class TokenOut(BaseModel):
    """An API token (never the token itself, nor its hash)."""

    id: int
    name: str
    role: str
    created_at: str | None
    last_used_at: str | None
    revoked_at: str | None


class TokenCreated(TokenOut):
    """A new token: ``token`` is shown this once."""

    token: str


class DeviceStatusOut(BaseModel):
    """The outcome of a device's latest poll."""

    reachable: bool
    error: str | None
    polled_at: str | None
    seconds: float | None
    failures: int


class DeviceOut(BaseModel):
    """A device: inventory, which credentials are set (never their values), last poll."""

    model_config = ConfigDict(extra="allow")

    id: int
    name: str
    host: str
    port: int
    snmp_version: str
    profiles: list[str]
    interfaces: list[dict[str, Any]]
    credentials_set: list[str]
    group: str
    status: DeviceStatusOut | None


class AlarmOut(BaseModel):
    """An alarm: what, where, since when, who acknowledged it."""

    model_config = ConfigDict(extra="allow")

    id: int
    key: str
    kind: str
    severity: str
    object_type: str
    object_name: str
    message: str
    message_key: str | None = Field(None, description="Catalogue key of the message (null "
                                                      "when it has none).")
    params: dict[str, Any] = Field(default_factory=dict, description="Its parameters.")
    raised_at: str | None
    cleared_at: str | None
    acknowledged_by: str | None
    acknowledged_at: str | None


class FeatureCollection(BaseModel):
    """An RFC 7946 GeoJSON FeatureCollection (EPSG:4326 lon/lat)."""

    model_config = ConfigDict(extra="allow")

    type: str = "FeatureCollection"
    features: list[dict[str, Any]]
    bbox: list[float] | None = None


class RouteOut(BaseModel):
    """Least-cost route(s) between two ends."""

    model_config = ConfigDict(extra="allow")

    least_cost: dict[str, Any] = Field(alias="least_cost")
    routes: list[dict[str, Any]]
    geojson: FeatureCollection


class NocStateOut(BaseModel):
    """Monitored links with their live state, open alarms, counts and the event cursor."""

    at: str
    cursor: str
    counts: dict[str, int]
    links: list[dict[str, Any]]
    alarms: list[dict[str, Any]]


class AvailabilityDay(BaseModel):
    """One day of a site's or link's month."""

    date: str
    availability_pct: float | None
    available_s: float
    down_s: float
    unknown_s: float


class Outage(BaseModel):
    """A stretch of downtime with its root cause."""

    start: str
    end: str
    duration_s: float
    cause: str = Field(description="`cut`, `device`, `power`, `link`, `flapping` or `unknown`.")
    root: dict[str, Any] | None = Field(description="The root alarm: `id`, `kind`, `object`.")
    ongoing: bool


class AvailabilityTally(BaseModel):
    """The month's availability (``None`` when never monitored) and downtime by cause."""

    availability_pct: float | None
    monitored_s: float
    available_s: float
    down_s: float
    unknown_s: float
    downtime_by_cause: dict[str, float]
    outages: list[Outage]
    days: list[AvailabilityDay] | None = Field(default=None, description="With ``days``.")


class LinkAvailability(AvailabilityTally):
    """A link's month."""

    name: str
    kind: str


class SiteAvailability(AvailabilityTally):
    """A served site's month, with the link that serves it."""

    code: str
    name: str
    kind: str
    role: str | None
    kecamatan: str | None
    kecamatan_code: str | None
    link: str | None


class WorstSite(BaseModel):
    """One of the monitored sites of least availability."""

    code: str
    name: str
    kind: str
    kecamatan: str | None
    availability_pct: float | None
    down_s: float
    downtime_by_cause: dict[str, float]


class AvailabilityOut(BaseModel):
    """The month's availability per served site and link (``worst_only``: no links, sites)."""

    month: str
    tz: str
    plan_id: int
    start: str
    end: str
    counted_until: str
    period_s: float
    links: list[LinkAvailability] | None = None
    sites: list[SiteAvailability] | None = None
    worst: list[WorstSite]
