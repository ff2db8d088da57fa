"""Dependencies (issue 10): nothing declared that is never used, and the sandbox's server
libraries only in their own group, which ./dev installs and a production image does not."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SANDBOX_SERVER = {"starlette", "uvicorn", "python-multipart"}
# How each runtime dependency is used: the module imported, or the text that names it in
# settings or a command line when it is loaded by name.
USED_AS = {
    "django": "import django", "django-ninja": "ninja", "django-htmx": "django_htmx",
    "dj-database-url": "dj_database_url", "whitenoise": "whitenoise", "gunicorn": "gunicorn",
    "psycopg": "postgres", "cryptography": "cryptography", "reportlab": "reportlab",
    "rl-accel": "reportlab",  # reportlab imports its C speed-ups itself when installed
    "pillow": "PIL", "django-axes": "axes", "django-csp": "csp",
    "polib": "polib", "celery": "celery", "redis": "redis://", "httpx": "httpx",
    "pydantic": "pydantic",
}


def _name(requirement: str) -> str:
    return re.split(r"[<>=\[;~! ]", requirement, maxsplit=1)[0].lower()


def _sources() -> str:
    texts = []
    for folder in ("werkbon", "vismanet", "devtools"):
        texts += [p.read_text(encoding="utf-8") for p in (ROOT / folder).rglob("*.py")]
    texts += [(ROOT / name).read_text(encoding="utf-8") for name in ("compose.yaml", "Dockerfile")]
    return "\n".join(texts)


def test_every_runtime_dependency_is_used():
    sources = _sources()
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    unknown = declared - set(USED_AS)
    assert unknown == set(), f"say in USED_AS how these are used, or drop them: {unknown}"
    unused = {name for name in declared if USED_AS[name] not in sources}
    assert unused == set()


def test_the_sandbox_server_is_an_optional_group_that_dev_installs():
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    assert declared & SANDBOX_SERVER == set()
    group = {_name(r) for r in PYPROJECT["dependency-groups"]["sandbox"]}
    assert group >= SANDBOX_SERVER
    dev_script = (ROOT / "dev").read_text(encoding="utf-8")
    assert "uv sync --frozen --group sandbox" in dev_script
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "--group sandbox" not in dockerfile and "--all-groups" not in dockerfile
