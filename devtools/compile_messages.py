"""Compile every ``locale/*/LC_MESSAGES/*.po`` below ``werkbon/`` to ``.mo`` with polib.

The ``.mo`` files are generated, so they are not committed; ``./dev`` runs this at
set-up. polib needs no GNU gettext on the machine (``manage.py compilemessages`` does).
"""

from __future__ import annotations

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    for po_path in sorted((ROOT / "werkbon").rglob("locale/*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))


if __name__ == "__main__":
    main()
