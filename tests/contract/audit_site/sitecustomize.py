"""Installed through ``PYTHONPATH`` by ``test_fresh_clone``: every Python process of the run
(pytest, the spawned sandbox) records each file it opens outside the allowed folders.

``WERKBON_AUDIT_ALLOWED`` is an ``os.pathsep``-separated list of folders; ``WERKBON_AUDIT_LOG``
the file that receives one line per path opened outside them (appended, any process).
"""

# os.path, not pathlib: the hook runs on every open of every process, pathlib included.
# ruff: noqa: PTH100, PTH118, PTH123

import os
import sys

_ALLOWED = tuple(
    os.path.join(os.path.realpath(p), "") for p in os.environ.get("WERKBON_AUDIT_ALLOWED", "").split(os.pathsep) if p
)
_LOG = os.environ.get("WERKBON_AUDIT_LOG")


def _hook(event, args):
    if event != "open" or not _LOG:
        return
    path = args[0]
    if isinstance(path, int) or path is None:
        return
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    path = os.path.join(os.path.realpath(os.path.abspath(path)), "")
    if path == os.path.join(os.path.realpath(_LOG), "") or path.startswith(_ALLOWED):
        return
    with open(_LOG, "a", encoding="utf-8") as log:  # the hook sees this open too: skipped above
        log.write(path.rstrip(os.sep) + "\n")


if _LOG:
    sys.addaudithook(_hook)
