"""docs/threat-model.md: every test it names as backing a line exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "threat-model.md"


def defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def test_every_test_the_threat_model_names_exists():
    named = re.findall(r"`(test_\w+\.py)::(test_\w+)`", DOC.read_text(encoding="utf-8"))
    assert len(named) >= 30
    missing = [
        f"{file}::{name}"
        for file, name in named
        if not (ROOT / "tests" / file).exists()
        or name not in defined(ROOT / "tests" / file)
    ]
    assert missing == []


def test_each_kind_of_visitor_has_its_section():
    text = DOC.read_text(encoding="utf-8")
    for who in (
        "An anonymous web visitor",
        "A Slack workspace member",
        "A local web page",
        "A local user",
    ):
        assert f"## {who}" in text
