"""Refresh the vendored browser libraries of the offline app (issue 12).

The service worker uses Workbox (its modules core, routing, strategies and precaching,
loaded with ``importScripts`` in that order; no ``workbox-sw`` loader, so the hashed static
names of production work) and the pages use ``idb`` (a small promise wrapper around
IndexedDB). Their prebuilt browser files are committed under
``werkbon/static/vendor/`` so that set-up needs only Python (no Node, no npm at install
time). This script is the one reproducible way to refresh them: it downloads each pinned
npm tarball from the npm registry, refuses it unless its SHA-256 is the pinned one, and
copies the listed build files (and the package's licence) out of it.

    .venv/bin/python devtools/vendor_js.py            # download, check, write the files
    .venv/bin/python devtools/vendor_js.py --print-hashes   # print each tarball's SHA-256

To move to a new version: change the version, run with ``--print-hashes`` to see the new
tarball's SHA-256, review the upstream changelog, pin the hash, run again and commit.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "werkbon" / "static" / "vendor"
REGISTRY = "https://registry.npmjs.org"

# package: (version, sha256 of the tarball, {path in the tarball: file name in VENDOR/<dir>})
PACKAGES: dict[str, tuple[str, str, str, dict[str, str]]] = {
    "workbox-core": ("7.4.1", "19f37bead638ef44747b32893ec4f73e1cac1db940f3083917c3ad91525e750d", "workbox",
                     {"package/build/workbox-core.prod.js": "workbox-core.prod.js"}),
    "workbox-routing": ("7.4.1", "0ed2d18a95cd05beae8fd9cd87974b9c67c2ab74ad417d624710c847a6a9fbd1", "workbox",
                        {"package/build/workbox-routing.prod.js": "workbox-routing.prod.js"}),
    "workbox-strategies": ("7.4.1", "0cd8c08f989cdabda11f713302a7d35cfa236087994540a17866c6d66cfa6adc", "workbox",
                           {"package/build/workbox-strategies.prod.js":
                            "workbox-strategies.prod.js"}),
    "workbox-precaching": ("7.4.1", "a14f087522ce14d4b887e38fec78be9dcd2934f9744d3a77e26f3ebe1330763f", "workbox",
                           {"package/build/workbox-precaching.prod.js":
                            "workbox-precaching.prod.js"}),
    "idb": ("8.0.4", "569a715333d656d77792476083647eaefeb27b23d18bff226ad42776efb8f08a", "idb", {"package/build/umd.js": "idb.umd.js"}),
}


def tarball_url(name: str, version: str) -> str:
    return f"{REGISTRY}/{name}/-/{name}-{version}.tgz"


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310 (fixed https URL)
        return answer.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print-hashes", action="store_true",
                        help="download and print each tarball's SHA-256, write nothing")
    args = parser.parse_args(argv)
    failed = False
    for name, (version, pinned, folder, files) in PACKAGES.items():
        data = download(tarball_url(name, version))
        digest = hashlib.sha256(data).hexdigest()
        if args.print_hashes:
            print(f"{name} {version} {digest}")
            continue
        if digest != pinned:
            print(f"{name} {version}: SHA-256 {digest} is not the pinned {pinned}", file=sys.stderr)
            failed = True
            continue
        target = VENDOR / folder
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            members = {member.name: member for member in archive.getmembers()}
            for source, dest in {**files, "package/LICENSE": f"LICENSE-{name}"}.items():
                extracted = archive.extractfile(members[source])
                assert extracted is not None
                content = extracted.read()
                if dest.endswith(".js"):
                    # The source maps are not vendored; a dangling reference would make
                    # collectstatic's manifest storage fail in production.
                    content = b"\n".join(line for line in content.split(b"\n")
                                         if not line.startswith(b"//# sourceMappingURL="))
                (target / dest).write_bytes(content)
        print(f"{name} {version}: {', '.join(files.values())}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
