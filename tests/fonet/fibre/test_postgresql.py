"""The fibre layer on PostgreSQL: design the regency plan, check it, trace a link."""

from __future__ import annotations

import os

from sqlalchemy import select, text

from fonet.fibre.design import design
from fonet.fibre.integrity import check
from fonet.fibre.trace import trace_circuit
from fonet.planning.plan import run_plan
from fonet.planning.profile import load_profile
from fonet.store import make_engine, reader, transaction
from fonet.store.models import Link
from tests.ci import require

PG_URL = os.environ.get("FONET_TEST_PG_URL")


def test_design_check_and_trace_on_postgresql(data_dir) -> None:
    require(PG_URL, "FONET_TEST_PG_URL is not set: no PostgreSQL server to test against "
                    "(scripts/start-postgres.sh prints one)")
    from gis.load import init_store

    eng = make_engine(PG_URL)
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    init_store(eng, data_dir)
    with transaction(eng) as s:
        pid = run_plan(s, load_profile()).plan_id
    with transaction(eng) as s:
        first = design(s, pid).to_json()
    with transaction(eng) as s:
        again = design(s, pid).to_json()
    assert first["unassigned"] == [] and first["circuits"] > 300
    assert again["cables_created"] == 0 and again["circuits_kept"] == first["circuits"]
    with reader(eng) as s:
        assert check(s) == []
        for link in s.scalars(select(Link).where(Link.plan_id == pid).order_by(Link.id)
                              .limit(20)):
            tr = trace_circuit(s, link)
            assert tr["complete"] and abs(tr["loss_db"] - tr["plan_loss"]["loss_db"]) <= 0.01
    eng.dispose()
