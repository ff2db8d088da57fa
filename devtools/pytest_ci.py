"""pytest plugin (loaded by ``tests/conftest.py``): in CI, service tests may not vanish.

With ``CI=true``:

* a test marked ``scaleout`` that skips (PostgreSQL or Redis missing) is reported as a
  failure instead, with the skip reason;
* a run with ``WERKBON_SCALEOUT_TESTS=1`` in which no ``scaleout`` test passed fails, so a
  marker typo or an over-eager ``-m``/``-k`` cannot turn the service run into a no-op.

pytest's own "no tests ran" (exit 5) is never success: ``devtools/test.py`` fails on it.
"""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
SCALEOUT_RUN = os.environ.get("WERKBON_SCALEOUT_TESTS") == "1"

_scaleout_passed = 0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    global _scaleout_passed
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if item.get_closest_marker("scaleout") is None:
        return
    if report.skipped and IN_CI and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"scaleout test skipped in CI, which counts as a failure: {reason}"
    elif report.when == "call" and report.passed:
        _scaleout_passed += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if IN_CI and SCALEOUT_RUN and exitstatus == 0 and _scaleout_passed == 0:
        print("\nCI: the PostgreSQL + Redis run passed no scaleout test; that is a failure.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
