"""Property-based requests from the OpenAPI document (schemathesis): no answer is a 5xx.

Runs the schemathesis command line against a running ``fonet serve`` with an admin token,
a bounded number of examples per operation. Left out: the endless event stream, running
plans and exports (jobs of seconds each, tested in test_jobs.py), and revoking tokens (it
would revoke the test's own token and leave only 401s to test).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.api import Server, copy_store, make_tokens, planned_store
from tests.ci import require

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture(scope="module")
def server(regency_db_file, tmp_path_factory):
    url = copy_store(planned_store(regency_db_file), tmp_path_factory.mktemp("fuzz"))
    # devices the fuzzer adds must not be polled (random host names); its requests come
    # faster than a token may make them (the limit is tested in test_jobs.py)
    srv = Server(url, tmp_path_factory.mktemp("fuzz-serve") / "serve.log",
                 FONET_COLLECTORS="false", FONET_RATE_PER_TOKEN_S="0")
    srv.url = url
    yield srv
    srv.stop()


def test_no_server_errors(server, tmp_path):
    require(SCHEMATHESIS.exists(),
            f"schemathesis (PyPI, the test extra) is not installed: no {SCHEMATHESIS}")
    token = make_tokens(server.url)["admin"]
    cmd = [str(SCHEMATHESIS), "run", server.base + "/openapi.json",
           "-H", f"Authorization: Bearer {token}",
           "--checks", "not_a_server_error", "--max-examples", "10",
           "--phases", "examples,coverage,fuzzing", "--seed", "7", "--no-color",
           "--request-timeout", "30",
           "--exclude-path", "/api/v1/events", "--exclude-path-regex", "exports",
           "--exclude-operation-id", "create_plan_api_v1_plans_post",
           "--exclude-operation-id", "delete_token_api_v1_tokens__token_id__delete",
           "--report", "junit", "--report-junit-path", str(tmp_path / "junit.xml")]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:] + "\n--- server log ---\n" + server.log()[-4000:]
    assert "passed" in out and "Authentication failed" not in out, out[-3000:]
    assert "Traceback" not in server.log(), server.log()[-4000:]
