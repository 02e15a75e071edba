"""The widget's client logic without a browser: tests/widget_client.test.mjs under node.

What may become a link or a table in the widget (web/widget/markdown.js) and the
socket.io session contract (web/widget/session.js, with a fake socket).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests" / "widget_client.test.mjs"


def test_the_widget_client_logic_passes_its_node_tests():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node (v18 or later) is needed: `apt-get install nodejs`.")
    done = subprocess.run(
        [node, "--test", str(TESTS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout and "# pass 0" not in done.stdout
