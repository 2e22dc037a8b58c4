"""The body of ``POST /plans``: one regency's plan, or a whole province's on Dask."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PlanIn(BaseModel):
    """What to plan: all optional, the defaults are ``fonet plan``'s."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=128)
    pop: str | None = Field(default=None, max_length=64, description="Site code of the core "
                                                                     "POP.")
    hubs: dict[str, str] = Field(default_factory=dict, max_length=64,
                                 description="Pinned hubs: kecamatan code or name → site "
                                             "code.")
    schools: bool | None = Field(default=None, description="Serve schools too.")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    targets: list[str] | None = Field(
        default=None, max_length=16, description="Extension phase: serve only sites of these "
                                                 "kinds not yet connected (e.g. puskesmas, "
                                                 "school).")
    budget_idr: float | None = Field(default=None, description="Most the phase may cost.")
    year: int | None = Field(default=None, ge=1900, le=2200, description="Year of the phase.")
    priority: dict[str, float] | None = Field(
        default=None, max_length=10_000, description="Site code → priority of a target.")
    profile: dict[str, Any] | None = Field(
        default=None, description="Sections of the planning profile to override (merged into "
                                  "the default profile).")
    regency: str | None = Field(
        default=None, max_length=8, description="In a store holding several regencies, the "
                                                "one to plan (Kemendagri code, e.g. 35.17; "
                                                "default: the first).")
    province: str | None = Field(
        default=None, pattern=r"^\d{2}$", description="Plan every regency of this province "
        "(Kemendagri code, e.g. 35) on Dask, then the provincial backbone, stored as one "
        "provincial scenario (`fonet plan --province`). Excludes `regency`, `pop`, `hubs`, "
        "`schools`, `targets`, `budget_idr`, `year` and `priority`; the job's progress "
        "names each regency as it arrives.")
    workers: int | None = Field(
        default=None, ge=1, le=32, description="With `province` and no `scheduler`: worker "
                                               "processes of the local Dask cluster "
                                               "(default 2).")
    scheduler: str | None = Field(
        default=None, max_length=256, pattern=r"^[a-z]+://\S+$",
        description="With `province`: address of a running Dask scheduler "
                    "(`tcp://host:8786`) instead of a local cluster.")


PROVINCE_EXCLUDES = ("regency", "pop", "hubs", "targets", "budget_idr", "priority", "schools",
                     "year")
"""Fields of a one-regency plan that a province plan refuses (as ``fonet plan --province``)."""
