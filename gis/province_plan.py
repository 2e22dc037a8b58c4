"""Planning a whole province: every regency as an independent task on Dask, then the backbone.

``fonet plan --province 35`` sends one task per regency of the province to a Dask
``distributed`` cluster (a :class:`distributed.LocalCluster` of worker processes by default, an
existing scheduler by address). Each task opens the store itself and runs
:func:`fonet.planning.plan.run_plan` for its regency; the regencies share nothing but the store,
so they plan in parallel. When all are planned, the provincial backbone joins their POPs
(:func:`fonet.planning.province.provincial_backbone`) and the scenario is stored: one
:class:`~fonet.store.models.ProvinceScenario` with one plan per regency. If a regency fails,
the plans already stored for the scenario are deleted again: nothing is half-stored.

``distributed`` is an optional dependency (the ``province`` extra); it is imported only here.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select

from fonet.errors import FonetError, InputError, StateError
from fonet.geo import from_wkb
from fonet.planning.province import ProvincialBackbone, RegencyPop, provincial_backbone
from fonet.store import make_engine, reader, require_current, transaction
from fonet.store import models as m

SQLITE_RETRIES = 8
"""Attempts of a regency plan that finds the SQLite store locked by another worker's write."""

CONNECT_TIMEOUT_S = 10.0
"""How long to wait for an existing Dask scheduler before giving up."""


def plan_regency_task(db_url: str, code: str, name: str, profile_path: str | None,
                      seed: int = 0) -> dict[str, Any]:
    """Plan one regency in its own transaction (the Dask task; runs in a worker process).

    Parameters
    ----------
    db_url
        The store.
    code
        The regency.
    name
        Name of the plan to store.
    profile_path
        Planning profile (YAML) or ``None`` for the built-in one.
    seed
        Seed of the Steiner search.

    Returns
    -------
    dict
        ``code``, ``plan`` (the plan's JSON figures), ``seconds`` (wall), ``cpu_s`` (CPU time
        of the worker process), ``worker_peak_rss_mb`` (the worker process's peak resident
        memory so far) and ``pid``.
    """
    import os

    from sqlalchemy.exc import OperationalError

    from fonet.planning.plan import run_plan
    from fonet.planning.profile import load_profile

    t0, c0 = time.perf_counter(), time.process_time()
    profile = load_profile(Path(profile_path) if profile_path else None)
    eng = make_engine(db_url)
    try:
        for attempt in range(SQLITE_RETRIES):
            try:
                with transaction(eng) as s:
                    result = run_plan(s, profile, name=name, regency=code, seed=seed)
                break
            except OperationalError as exc:  # SQLite: another worker holds the write lock
                if "locked" not in str(exc) or attempt == SQLITE_RETRIES - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))
    finally:
        eng.dispose()
    return {
        "code": code,
        "plan": result.to_json(),
        "seconds": round(time.perf_counter() - t0, 3),
        "cpu_s": round(time.process_time() - c0, 3),
        "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                                    1),
        "pid": os.getpid(),
    }


def province_regencies(db_url: str, province: str) -> list[tuple[str, str]]:
    """Return ``(code, name)`` of the regencies of ``province`` the store holds.

    Raises
    ------
    InputError
        When the store holds none (naming the province).
    """
    from fonet.planning.scope import regencies

    eng = make_engine(db_url)
    try:
        require_current(eng)
        with reader(eng) as s:
            held = [(c, n) for c, n in regencies(s) if c.startswith(province + ".")]
    finally:
        eng.dispose()
    if not held:
        raise InputError("--province", f"the store holds no regency of province {province} "
                                       f"(run `fonet init --province {province}`)",
                         feature=province)
    return held


def _client(scheduler: str | None, workers: int):  # noqa: ANN202
    """Return a Dask client: on a new LocalCluster, or on the scheduler at ``scheduler``."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - the extra is part of the test environment
        raise StateError("planning a province needs Dask: pip install 'fonet[province]'") \
            from None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0")
        return Client(cluster), cluster
    try:
        client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError("--scheduler", f"cannot reach the Dask scheduler at {scheduler}: "
                                        f"{exc}", feature=scheduler) from None
    return client, None


def _pops(db_url: str, plans: dict[str, dict[str, Any]]) -> list[RegencyPop]:
    eng = make_engine(db_url)
    try:
        with reader(eng) as s:
            out = []
            for code in sorted(plans):
                pop_code = (plans[code].get("pop") or {}).get("code")
                site = s.scalar(select(m.Site).where(m.Site.code == pop_code))
                area = s.scalar(select(m.Area).where(m.Area.code == code))
                if site is None or area is None:
                    raise StateError(f"regency {code}: its plan has no POP site")
                out.append(RegencyPop(code, area.name, site.id, site.code, site.lon, site.lat,
                                      from_wkb(area.geometry_wkb)))
            return out
    finally:
        eng.dispose()


def _scenario_name(db_url: str, province: str, name: str | None) -> str:
    eng = make_engine(db_url)
    try:
        with reader(eng) as s:
            taken = set(s.scalars(select(m.ProvinceScenario.name)))
            plan_names = set(s.scalars(select(m.Plan.name)))
            n = (s.scalar(select(func.count()).select_from(m.ProvinceScenario)) or 0) + 1
    finally:
        eng.dispose()
    if name is None:
        name = f"province-{province}-{n}"
        while name in taken:
            n += 1
            name = f"province-{province}-{n}"
    elif name in taken:
        raise InputError("--name", f"a provincial scenario named {name!r} exists", feature=name)
    if any(p.startswith(name + " ") for p in plan_names):
        raise InputError("--name", f"plans named {name!r} + regency exist", feature=name)
    return name


def _drop_scenario_plans(db_url: str, scenario: str) -> None:
    """Delete the regency plans of a scenario that failed (named ``<scenario> <code>``)."""
    eng = make_engine(db_url)
    try:
        with transaction(eng) as s:
            s.execute(delete(m.Plan).where(m.Plan.name.startswith(scenario + " ")))
    finally:
        eng.dispose()


def _regency_failed(code: str, exc: BaseException) -> FonetError:
    """Return the error to raise for a regency whose plan failed, naming the regency."""
    if isinstance(exc, FonetError):
        return exc
    return FonetError(f"regency {code}: planning failed: {type(exc).__name__}: {exc}")


def check_province_request(db_url: str, province: str, name: str | None = None
                           ) -> tuple[str, list[tuple[str, str]], str]:
    """Refuse a province plan that :func:`plan_province` would refuse, without planning.

    The service calls it before queueing a province plan job, so bad input is answered at once.

    Parameters
    ----------
    db_url
        The store.
    province
        Kemendagri province code (``35``).
    name
        Scenario name, or ``None`` for the next free ``province-<code>-<n>``.

    Returns
    -------
    tuple
        The province code, ``(code, name)`` of its regencies in the store, the scenario name.

    Raises
    ------
    InputError
        A malformed province code (source ``--province``), a store in memory, no regency of
        the province in the store (``--province``), a scenario name taken (``--name``).
    """
    from gis.fetch_sources import check_province_code

    province = check_province_code(province)
    if db_url.startswith("sqlite") and (":memory:" in db_url or db_url.rstrip("/") == "sqlite:"):
        raise InputError("FONET_DB_URL", "a province is planned by several processes: the "
                                         "store must be a file or a server, not in memory")
    held = province_regencies(db_url, province)
    return province, held, _scenario_name(db_url, province, name)


def plan_province(db_url: str, province: str, *, scheduler: str | None = None,
                  workers: int = 2, name: str | None = None, profile_path: Path | None = None,
                  seed: int = 0,
                  progress: Callable[[str, dict[str, Any]], None] | None = None
                  ) -> dict[str, Any]:
    """Plan every regency of a province on Dask, join their POPs, store the scenario.

    Parameters
    ----------
    db_url
        The store (SQLite file or PostgreSQL; every worker opens it itself, so an in-memory
        SQLite store cannot be used).
    province
        Kemendagri province code (``35``).
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); by default a
        :class:`distributed.LocalCluster` of ``workers`` processes is started and stopped.
    workers
        Worker processes of the local cluster.
    name
        Scenario name (default ``province-<code>-<n>``); each regency's plan is named
        ``<name> <code>``.
    profile_path
        Planning profile (YAML); the built-in one by default.
    seed
        Seed of the Steiner search.
    progress
        Called with ``(code, task result)`` as each regency's plan arrives.

    Returns
    -------
    dict
        ``scenario_id``, ``name``, ``province``, ``regencies`` (code → plan figures in brief),
        ``villages_total``, ``villages_connected``, ``backbone`` (see
        :class:`~fonet.planning.province.ProvincialBackbone`), ``seconds``, ``workers`` (peak
        memory per worker process).

    Raises
    ------
    InputError
        An unknown province, no regency of it in the store, an unreachable scheduler, a
        scenario name taken.
    """
    from fonet.planning.result import PlanResult

    t0 = time.perf_counter()
    province, held, scenario = check_province_request(db_url, province, name)
    client, cluster = _client(scheduler, workers)
    from distributed import as_completed, wait

    results: dict[str, dict[str, Any]] = {}
    futures: dict[Any, str] = {}
    t_tasks = time.perf_counter()
    try:
        futures = {client.submit(plan_regency_task, db_url, code, f"{scenario} {code}",
                                 str(profile_path) if profile_path else None, seed,
                                 key=f"plan-{scenario}-{code}", pure=False): code
                   for code, _ in held}
        failed: tuple[str, BaseException] | None = None
        for fut in as_completed(list(futures)):
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001  (reported below, after the others)
                failed = failed or (futures[fut], exc)
                continue
            results[res["code"]] = res
            if progress is not None:
                progress(res["code"], res)
        if failed is not None:
            raise _regency_failed(*failed)
        task_phase_s = time.perf_counter() - t_tasks
    except BaseException:
        # tasks already running finish and store their plans: wait for them, then drop
        # every plan of the scenario so nothing is half-stored
        if futures:
            wait(list(futures))
        _drop_scenario_plans(db_url, scenario)
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    try:
        plans = {code: r["plan"] for code, r in results.items()}
        backbone: ProvincialBackbone = provincial_backbone(_pops(db_url, plans))
        summary = {
            "province": province,
            "regencies": {code: _brief(PlanResult.of_plan(p)) for code, p in sorted(plans.items())},
            "villages_total": sum(p["villages_total"] for p in plans.values()),
            "villages_connected": sum(p["villages_connected"] for p in plans.values()),
            "backbone": backbone.model_dump(mode="json"),
        }
        eng = make_engine(db_url)
        try:
            with transaction(eng) as s:
                row = m.ProvinceScenario(name=scenario, province=province, summary=summary)
                s.add(row)
                s.flush()
                s.add_all(m.ProvincePlan(scenario_id=row.id, regency_code=code,
                                         plan_id=p["plan_id"]) for code, p in plans.items())
                scenario_id = row.id
        finally:
            eng.dispose()
    except BaseException:
        _drop_scenario_plans(db_url, scenario)
        raise
    per_worker: dict[int, float] = {}
    for r in results.values():
        per_worker[r["pid"]] = max(per_worker.get(r["pid"], 0.0), r["worker_peak_rss_mb"])
    return {"scenario_id": scenario_id, "name": scenario, **summary,
            "seconds": round(time.perf_counter() - t0, 3),
            "task_phase_s": round(task_phase_s, 3),
            "tasks": {c: {"seconds": r["seconds"], "cpu_s": r["cpu_s"], "pid": r["pid"]}
                      for c, r in sorted(results.items())},
            "workers": [{"pid": pid, "peak_rss_mb": mb, "regencies":
                         sorted(c for c, r in results.items() if r["pid"] == pid)}
                        for pid, mb in sorted(per_worker.items())]}


def _brief(p: Any) -> dict[str, Any]:
    """Return the figures of a regency plan kept in the scenario summary."""
    return {"plan_id": p.plan_id, "name": p.name, "villages_total": p.villages_total,
            "villages_connected": p.villages_connected, "offices_total": p.offices_total,
            "offices_connected": p.offices_connected, "pop": p.pop.code if p.pop else None,
            "two_edge_connected": p.backbone_two_edge_connected, "route_km": p.route_km,
            "cost_idr": p.cost_idr, "seconds": p.seconds}
