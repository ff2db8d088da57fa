"""A clone tests the same way on any machine: the contract tests read no file outside the
repository (issue 15: the validator used to default to an absolute path of a build machine).

The proof is at run time, not a grep: a representative contract test run (the client against
the spawned sandbox, each exchange held against the contract) runs in a child pytest whose
every Python process carries an audit hook (``audit_site/sitecustomize.py``) that logs each
file opened outside the repository, the virtual environment, Python itself, the temporary
folder and the operating system's folders.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AUDIT_SITE = Path(__file__).resolve().parent / "audit_site"
SYSTEM_FOLDERS = ("/dev", "/proc", "/sys", "/etc", "/usr", "/lib", "/lib64", "/bin", "/run")
# Per-user settings files a library looks for (and finds none on a fresh machine).
USER_SETTINGS = ("~/.reportlab_settings", "~/.reportlab_mods")


def _allowed_folders(tmp: Path) -> list[str]:
    python_folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                      *sysconfig.get_paths().values()}
    return [str(REPO), str(tmp), tempfile.gettempdir(), *sorted(python_folders), *SYSTEM_FOLDERS]


def test_the_contract_tests_read_no_file_outside_the_repository(tmp_path):
    log = tmp_path / "outside.log"
    log.touch()
    # The default contract path, against the sandbox; not the service run's "a scaleout test
    # must pass" rule (devtools/pytest_ci.py), which a run of contract tests cannot meet.
    env = {k: v for k, v in os.environ.items()
           if k not in ("VISMANET_CONTRACT", "VISMANET_LIVE", "WERKBON_SCALEOUT_TESTS")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(AUDIT_SITE), str(REPO)]),
        WERKBON_AUDIT_LOG=str(log),
        WERKBON_AUDIT_ALLOWED=os.pathsep.join(_allowed_folders(tmp_path)),
    )

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/contract/test_operations.py"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout
    user_settings = {str(Path(p).expanduser()) for p in USER_SETTINGS}
    outside = sorted(set(log.read_text().splitlines()) - user_settings)
    assert outside == [], f"files read outside the repository: {outside}"


def test_the_audit_hook_sees_a_file_outside_the_repository(tmp_path):
    """The hook itself can fail: a process that opens a file outside the allowed folders is logged."""
    log = tmp_path / "outside.log"
    log.touch()
    # Beside the repository, unless the clone itself lies in an allowed folder (a clone in
    # the temporary folder): then a folder at the file system's root, allowed by nothing.
    stray = REPO.parent / "no-such-folder-beside-the-repo" / "contract.json"
    if any(stray.is_relative_to(folder) for folder in _allowed_folders(tmp_path)):
        stray = Path("/no-such-folder-werkbon-audit-probe") / "contract.json"
    env = {**os.environ, "PYTHONPATH": str(AUDIT_SITE), "WERKBON_AUDIT_LOG": str(log),
           "WERKBON_AUDIT_ALLOWED": os.pathsep.join(_allowed_folders(tmp_path))}

    subprocess.run([sys.executable, "-c", f"import contextlib\nwith contextlib.suppress(OSError): open({str(stray)!r})"],
                   env=env, check=True, timeout=60)

    assert log.read_text().splitlines() == [str(stray)]
