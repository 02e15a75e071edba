"""deploy/Dockerfile, checked without a Docker engine.

The image's files are built from the Dockerfile's own COPY lines and its
.dockerignore, copied into a temporary folder, and Rasa loads the trained model
there (no path back to this checkout). The entry script is run with stand-ins for
Python to see the command it starts.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / "deploy" / "Dockerfile.dockerignore"
TOKEN = "t0k3n-for-the-http-api"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined."""
    result, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):  # a comment inside a continued instruction
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, arguments = current.partition(" ")
        result.append((keyword.upper(), arguments.strip()))
        current = ""
    return result


def arguments(value: str) -> list[str]:
    """Exec form (a JSON array) or shell form, split into words."""
    return json.loads(value) if value.startswith("[") else shlex.split(value)


def _pattern(pattern: str) -> re.Pattern:
    """A .dockerignore pattern as a regex (Go filepath.Match, plus `**`)."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + "$")


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether the build context leaves `path` out: the last matching pattern wins,
    and a pattern that matches a folder matches everything in it."""
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = _pattern(raw.lstrip("!").strip("/"))
        if any(pattern.match(prefix) for prefix in prefixes):
            result = not negate
    return result


def image_files(dockerfile: str, root: Path = ROOT) -> dict[str, Path]:
    """{path in the image's WORKDIR: file in this checkout} for every COPY line."""
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    files: dict[str, Path] = {}
    for keyword, value in instructions(dockerfile):
        if keyword != "COPY":
            continue
        words = [w for w in arguments(value) if not w.startswith("--")]
        *sources, dest = words
        assert len(sources) == 1 or dest.endswith("/"), value
        for source in sources:
            found = root / source
            assert found.exists(), f"COPY {source}: not in the build context"
            if found.is_dir():
                pairs = [
                    (f, dest.rstrip("/") + "/" + f.relative_to(found).as_posix())
                    for f in sorted(found.rglob("*"))
                    if f.is_file()
                ]
            else:
                into = dest.endswith("/") or dest == "."
                pairs = [(found, dest.rstrip("/") + "/" + found.name if into else dest)]
            for file, target in pairs:
                if not ignored(file.relative_to(root).as_posix(), patterns):
                    files[target.removeprefix("./")] = file
    return files


def build(tmp_path: Path, dockerfile: str) -> Path:
    """The image's WORKDIR as the COPY lines fill it."""
    app = tmp_path / "app"
    for target, source in image_files(dockerfile).items():
        (app / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, app / target)
    return app


def in_image(app: Path, code: str) -> subprocess.CompletedProcess:
    """Python in the copied folder, as the image's PYTHONPATH=/app would run it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(app), RASA_TELEMETRY_ENABLED="false")
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


LOAD = """
import asyncio, json, sys
from pathlib import Path
import yaml
from rasa.core.agent import Agent
from rasa.shared.utils.common import class_from_module_path

here = Path.cwd()
agent = Agent.load("models/advisor.tar.gz")
parsed = asyncio.run(agent.parse_message("I'm a data scientist building ML models"))
named = list(yaml.safe_load(open("credentials.yml")))
endpoints = yaml.safe_load(open("endpoints.yml"))
named += [endpoints[key]["type"] for key in ("tracker_store", "lock_store")]
for name in named:  # what the Rasa server imports by name at start-up
    class_from_module_path(name)
import actions.actions, actions.knowledge  # the action server
actions.knowledge.facts(), actions.knowledge.role_groups()
outside = sorted(
    name for name, module in sys.modules.items()
    if name.split(".")[0] in ("actions", "channels", "components", "infra")
    and getattr(module, "__file__", None)
    and not Path(module.__file__).is_relative_to(here)
)
print(json.dumps({
    "intent": parsed["intent"]["name"],
    "roles": [e["value"] for e in parsed["entities"] if e["entity"] == "role"],
    "outside": outside,
}))
"""


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Path:
    if not (ROOT / "models" / "advisor.tar.gz").exists():
        pytest.fail("no trained model: run `make train`", pytrace=False)
    return build(tmp_path_factory.mktemp("image"), DOCKERFILE.read_text())


def test_the_image_holds_what_the_model_and_servers_need(image):
    done = in_image(image, LOAD)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["intent"] == "describe_job_builder"
    assert "data scientist" in result["roles"]
    assert result["outside"] == []  # nothing came from this checkout
    assert not (image / "scripts").exists() and not (image / "web").exists()


def test_the_check_notices_a_missing_package(tmp_path):
    """The same check on a Dockerfile without `COPY components/` fails."""
    text = DOCKERFILE.read_text().replace("COPY components/ components/\n", "")
    assert text != DOCKERFILE.read_text()
    done = in_image(build(tmp_path, text), LOAD)
    assert done.returncode != 0
    assert "components" in done.stderr


def test_the_image_runs_as_a_user_not_root():
    users = [v for k, v in instructions(DOCKERFILE.read_text()) if k == "USER"]
    assert users and users[-1] not in ("root", "0")


STAND_IN = """#!/bin/sh
# python in the image: the endpoints look-up runs, Rasa's start is recorded.
if [ "$1 $2" = "-m infra.quiet" ]; then
  shift 2; printf '%s\\n' "$@" > "$CALLS"; exit 0
fi
exec {python} "$@"
"""


def start(image: Path, tmp_path: Path, args: list[str] = (), **env: str):
    """The image's ENTRYPOINT + CMD (+ `args`, as `docker run IMAGE ARGS`)."""
    steps = instructions(DOCKERFILE.read_text())
    workdir = [v for k, v in steps if k == "WORKDIR"][-1]
    entrypoint = arguments([v for k, v in steps if k == "ENTRYPOINT"][-1])
    cmd = arguments([v for k, v in steps if k == "CMD"][-1])
    command = [
        str(image / w.removeprefix(workdir + "/")) if w.startswith(workdir) else w
        for w in entrypoint + (list(args) or cmd)
    ]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "python").write_text(STAND_IN.format(python=sys.executable))
    (bin_dir / "python").chmod(0o755)
    calls = tmp_path / "calls"
    calls.unlink(missing_ok=True)
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RASA_AUTH_TOKEN", "ACTION_SERVER_URL", "PYTHONPATH")
    }
    clean.update(
        PATH=f"{bin_dir}:{os.environ['PATH']}",
        PYTHONPATH=str(image),
        CALLS=str(calls),
        **env,
    )
    done = subprocess.run(
        command, cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=60
    )
    started = calls.read_text().splitlines() if calls.exists() else None
    return done, started


def test_the_default_command_keeps_the_http_api_off_without_a_token(image, tmp_path):
    done, started = start(image, tmp_path)
    assert done.returncode == 0, done.stderr
    assert started[:3] == ["run", "--model", "models/advisor.tar.gz"]
    assert "--enable-api" not in started and "--auth-token" not in started
    assert "HTTP API is off" in done.stderr
    assert started[started.index("--credentials") + 1] == "credentials.yml"
    assert started[started.index("--endpoints") + 1] == "endpoints.yml"


def test_a_token_turns_the_http_api_on_with_that_token(image, tmp_path):
    url = "http://actions:5055/webhook"
    done, started = start(image, tmp_path, RASA_AUTH_TOKEN=TOKEN, ACTION_SERVER_URL=url)
    assert done.returncode == 0, done.stderr
    assert "--enable-api" in started
    assert started[started.index("--auth-token") + 1] == TOKEN
    endpoints = Path(started[started.index("--endpoints") + 1])
    assert yaml.safe_load(endpoints.read_text())["action_endpoint"]["url"] == url


def test_a_short_token_starts_nothing(image, tmp_path):
    done, started = start(image, tmp_path, RASA_AUTH_TOKEN="short")
    assert done.returncode == 2 and "shorter than 16" in done.stderr
    assert started is None


def test_arguments_are_rasa_arguments(image, tmp_path):
    args = ["run", "actions", "--actions", "actions", "--port", "5055"]
    done, started = start(image, tmp_path, args, RASA_AUTH_TOKEN=TOKEN)
    assert done.returncode == 0, done.stderr
    assert started == args


def test_the_dockerignore_matcher():
    patterns = ["*", "!actions/", "!models/spacy/", "**/__pycache__"]
    assert ignored("README.md", patterns)
    assert not ignored("actions/actions.py", patterns)
    assert ignored("actions/__pycache__/actions.cpython-310.pyc", patterns)
    assert not ignored("models/spacy/advisor_en/meta.json", patterns)
    assert ignored("models/other.tar.gz", patterns)
