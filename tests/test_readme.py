"""The README's layout section matches the tree, and its links lead somewhere."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
LAYOUT = README.split("## Layout", 1)[1].split("```")[1]


def _tracked() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def test_every_top_level_folder_and_package_module_is_in_the_layout():
    files = _tracked()
    folders = {f.split("/")[0] for f in files if "/" in f} - {".ci", "models"}
    for folder in sorted(folders):
        assert re.search(rf"^{re.escape(folder)}/", LAYOUT, re.M), folder
    for package in ("actions", "components", "channels", "infra", "scripts"):
        for path in files:
            if path.startswith(package + "/") and path.count("/") == 1:
                name = path.split("/")[1]
                if name in ("__init__.py",):
                    continue
                assert name in LAYOUT, f"{path} is not in the README's layout"


def test_every_file_the_layout_names_exists():
    named = set(re.findall(r"\b([\w-]+\.(?:py|yml|sh|json|md))\b", LAYOUT))
    present = {Path(f).name for f in _tracked()}
    assert named <= present, sorted(named - present)


def test_the_readme_stays_a_front_door_and_its_links_resolve():
    assert len(README.splitlines()) <= 170
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if "://" not in target:
            assert (ROOT / target).exists(), target
