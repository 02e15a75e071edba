"""The runtime (infra/runtime.py): every change to Rasa listed, tested, switchable."""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra import runtime

ROOT = Path(__file__).resolve().parent.parent

# Run in a fresh interpreter: creates the project's tracker store as Rasa does
# (its constructor is the one place the runtime is installed) and reports which
# listed Rasa symbols changed.
PROBE = """
import json, sys
from infra import runtime
from infra.stores import EnvTrackerStore
from tests.test_runtime import resolve, snapshot
for patch in runtime.PATCHES:  # load the modules they touch, and what those load
    [resolve(symbol) for symbol in patch.replaces]
before = snapshot()
EnvTrackerStore(domain=None, host="sqlite:///" + sys.argv[1])
after = snapshot()
changed = sorted(k for k in before if after.get(k) is not before[k])
print(json.dumps({"changed": changed, "installed": runtime.installed()}))
"""


def snapshot() -> dict[str, object]:
    """Every attribute of every loaded Rasa module and of the classes they define."""
    found: dict[str, object] = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("rasa.") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            found[f"{name}.{attr}"] = value
            if isinstance(value, type) and value.__module__ == name:
                for member, inner in list(vars(value).items()):
                    found[f"{name}.{attr}.{member}"] = inner
    return found


def resolve(dotted: str) -> object:
    """The object a dotted Rasa name points to (module attribute or class member)."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise ImportError(dotted)


def _probe(tmp_path: Path, **env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if k != runtime.STOCK_VARIABLE}
    environment.update(PYTHONPATH=str(ROOT), RASA_TELEMETRY_ENABLED="false", **env)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "probe.db")],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_patch_names_rasa_symbols_that_exist_and_a_test_that_exists():
    assert len({p.name for p in runtime.PATCHES}) == len(runtime.PATCHES)
    for patch in runtime.PATCHES:
        assert patch.why and patch.replaces, patch.name
        for symbol in patch.replaces:
            assert symbol.startswith("rasa.") and resolve(symbol) is not None
        path, _, name = patch.test.partition("::")
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        defined = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        assert name in defined, f"{patch.name}: no test {patch.test}"


def test_creating_the_store_installs_every_listed_patch_and_nothing_is_left_out(
    tmp_path,
):
    found = _probe(tmp_path)
    assert found["installed"] == [p.name for p in runtime.PATCHES]
    listed = sorted(s for p in runtime.PATCHES for s in p.replaces)
    assert found["changed"] == listed


def test_stock_rasa_on_request_changes_nothing(tmp_path):
    found = _probe(tmp_path, ADVISOR_STOCK_RASA="1")
    assert found == {"changed": [], "installed": []}


def test_importing_the_runtime_and_its_patches_changes_nothing(tmp_path):
    code = (
        "from tests.test_runtime import resolve\n"
        "from infra import runtime\n"
        "before = {s: resolve(s) for p in runtime.PATCHES for s in p.replaces}\n"
        "import infra.speedups, infra.action_failures, infra.stores\n"
        "import channels.guarded_rest\n"
        "print(sorted(s for s, o in before.items() if resolve(s) is not o))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_another_rasa_version_is_refused_with_the_reason():
    with pytest.raises(runtime.RuntimeRefused) as refused:
        runtime.check_version("3.6.20")
    message = str(refused.value)
    assert runtime.PINNED_RASA in message and "3.6.20" in message
    runtime.check_version()  # the installed one is the pinned one


def test_the_pinned_version_is_the_one_requirements_install():
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert f"rasa=={runtime.PINNED_RASA}" in requirements.replace(" ", "")


def test_stock_rasa_serves_the_advisor_end_to_end():
    """`ADVISOR_STOCK_RASA=1`: the real servers, no patch, the same recommendation."""
    import requests

    from tests import servers

    with servers.action_server() as action_url, servers.rasa_server(
        action_url, ADVISOR_STOCK_RASA="1"
    ) as url:
        reply = requests.post(
            f"{url}/webhooks/rest/webhook",
            json={"sender": "stock-rasa", "message": "I'm a data scientist"},
            timeout=60,
        )
        tracker = requests.get(f"{url}/conversations/stock-rasa/tracker", timeout=30)
    assert reply.status_code == 200 and "CAIP" in reply.text
    assert tracker.json()["slots"]["recommended_certification"] == "CAIP"
    port = url.rsplit(":", 1)[1]
    log = (servers.ARTIFACTS / f"rasa-{port}.log").read_text(encoding="utf-8")
    assert "stock Rasa, no patches installed" in log
