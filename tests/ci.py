"""The CI rule: under ``CI=true`` every test runs; a skipped (or xfail) test fails the run.

Locally a test may skip when a tool it drives is missing (snmpd, Chromium, GDAL's validator,
a PostgreSQL server, schemathesis); in CI that would hide an untested part, so there the
skip becomes a failure naming what is missing. The hooks below are imported by
``tests/conftest.py``; :func:`require` is what a fixture or test calls for a missing tool.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import NoReturn

import pytest

_FOUND: list[str] = []
"""What was skipped (or xfail) under CI in this run, with the reason."""


def in_ci() -> bool:
    """Whether the tests run in CI (``CI`` set to true, 1 or yes, as CI services do)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing(what: str) -> NoReturn:
    """Skip the test for a missing tool locally; fail it, naming the tool, under CI.

    Parameters
    ----------
    what : str
        What is missing and how to get it ("net-snmp snmpd is not installed (Debian package
        'snmpd')").
    """
    if in_ci():
        pytest.fail(f"{what}; CI=true: this test must run, not skip", pytrace=False)
    pytest.skip(what)


def require(present: object, what: str) -> None:
    """Call :func:`missing` with ``what`` unless ``present`` is truthy."""
    if not present:
        missing(what)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Under CI, report a skipped or xfail/xpass test as failed, with its reason."""
    report = yield
    if not in_ci():
        return report
    reason = None
    if hasattr(report, "wasxfail"):
        reason = f"xfail is not allowed in CI ({report.wasxfail or 'no reason given'})"
        del report.wasxfail
    elif report.skipped:
        longrepr = report.longrepr
        text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = f"skipped under CI=true: {text}"
    if reason is not None:
        report.outcome = "failed"
        report.longrepr = reason
        _FOUND.append(f"{report.nodeid}: {reason}")
    return report


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """Remember a module skipped at collection (``pytest.skip(allow_module_level=True)``)."""
    if in_ci() and report.skipped:
        longrepr = report.longrepr
        text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        _FOUND.append(f"{report.nodeid}: skipped at collection: {text}")


def pytest_terminal_summary(terminalreporter, exitstatus: int,  # noqa: ANN001
                            config: pytest.Config) -> None:
    """List what would have been skipped, under CI."""
    if in_ci() and _FOUND:
        terminalreporter.section("skipped or xfail under CI=true (each fails the run)", red=True)
        for line in _FOUND:
            terminalreporter.line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run under CI if anything was skipped, even where no test report shows it."""
    if in_ci() and _FOUND and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
