"""The README's folder map keeps up with the repository."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def tracked_top_level_folders() -> set[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout")
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    return {path.split("/", 1)[0] for path in files if "/" in path}


def test_it_maps_every_top_level_folder_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = {name for name in tracked_top_level_folders() if f"`{name}/`" not in readme}
    assert missing == set(), "add a line for these folders to README.md"


def test_it_gives_exactly_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text()
    setup = readme.split("## Set-up", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in setup.strip().splitlines()]
    assert commands == ["./dev up", "./dev test"]
