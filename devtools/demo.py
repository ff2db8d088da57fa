"""``./dev demo``: the main job end to end (see README)."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    print("The end-to-end demo arrives with the export (issue 5).", file=sys.stderr)
    sys.exit(1)
