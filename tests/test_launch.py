"""The one launcher (infra/launch.py): safe settings or nothing starts; what it starts.

Runs `infra.launch.main` in a throwaway project whose `scripts/rasa` and
`.venv/bin/python` are stand-ins: they record their arguments and SANIC_* environment
and, where a server would start (the action server, the web page), serve 200s on
127.0.0.1.
"""

from __future__ import annotations

import os
import uuid

import pytest

from infra import launch
from tests import servers

STAND_IN = """#!/usr/bin/env bash
{{ printf '%s' "{name}"; printf ' %q' "$@"; echo; env | grep -E '^SANIC_' | sort
  echo ---; }} >>"$CALLS"
[ -n "${{STAND_IN_EXIT:-}}" ] && exit 0
case "{name} $1 $2" in
  "rasa run actions" | "python scripts/serve_web.py "*) ;;
  *) exit 0 ;;
esac
while [ $# -gt 0 ]; do [ "$1" = --port ] && port=$2; shift; done
exec python3 -m http.server --bind 127.0.0.1 --directory "$SERVE_DIR" "$port" \\
  >/dev/null 2>&1
"""


@pytest.fixture
def project(tmp_path):
    """An empty project whose scripts/rasa and .venv/bin/python are stand-ins."""
    for name, where in (("rasa", launch.RASA), ("python", launch.PYTHON)):
        (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / where).write_text(STAND_IN.format(name=name))
        (tmp_path / where).chmod(0o755)
    serve = tmp_path / "serve"
    serve.mkdir()
    (serve / "health").write_text("ok")
    (serve / "index.html").write_text("ok")
    return tmp_path


def launch_in(project, mode: str, capsys, **env: str):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RASA_", "SANIC_", "WEB_", "ACTION_"))
    }
    clean.update(
        ACTION_PORT=str(servers.free_port()),
        RASA_PORT=str(servers.free_port()),
        WEB_PORT=str(servers.free_port()),
        CALLS=str(project / "calls.log"),
        SERVE_DIR=str(project / "serve"),
    )
    clean.update(env)
    code = launch.main([mode], environ=clean, root=project)
    out = capsys.readouterr()
    calls = project / "calls.log"
    return code, out.out, out.err, calls.read_text() if calls.exists() else ""


@pytest.mark.parametrize(
    "interface", ["0.0.0.0", "::", "192.0.2.10", "rasa.example.org", "127.evil.example"]
)
@pytest.mark.parametrize("mode", ["server", "check", "rasa"])
def test_the_api_beyond_loopback_without_a_token_is_refused(
    project, capsys, interface, mode
):
    code, _, err, calls = launch_in(
        project, mode, capsys, RASA_INTERFACE=interface, RASA_AUTH_TOKEN="none"
    )
    assert code == 2
    assert "refusing to start" in err and "RASA_AUTH_TOKEN" in err and interface in err
    assert calls == ""  # nothing was started
    assert not (project / "var").exists()


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"RASA_INTERFACE": "0.0.0.0", "RASA_AUTH_TOKEN": "short"}, "shorter than 16"),
        ({"WEB_ORIGINS": "*"}, "WEB_ORIGINS"),
        ({"WEB_ORIGINS": "http://localhost:8080,*"}, "WEB_ORIGINS"),
        ({"RASA_MAX_BODY_BYTES": "100MB"}, "RASA_MAX_BODY_BYTES"),
        ({"RASA_ENABLE_API": "yes"}, "RASA_ENABLE_API"),
        ({"RASA_PORT": "http"}, "RASA_PORT"),
    ],
)
def test_other_unsafe_settings_are_refused(project, capsys, env, why):
    code, _, err, calls = launch_in(project, "server", capsys, **env)
    assert code == 2 and why in err
    assert calls == ""


def test_a_token_beyond_loopback_or_no_api_starts_and_the_token_is_never_shown(
    project, capsys
):
    token = "t0k3n-" + uuid.uuid4().hex
    code, out, err, _ = launch_in(
        project, "check", capsys, RASA_INTERFACE="0.0.0.0", RASA_AUTH_TOKEN=token
    )
    assert code == 0, err
    assert "--auth-token ***" in out and token not in out
    code, out, err, _ = launch_in(
        project, "check", capsys, RASA_INTERFACE="0.0.0.0", RASA_ENABLE_API="false"
    )
    assert code == 0, err
    assert "--enable-api" not in out


def test_the_defaults_keep_everything_on_loopback(project, capsys):
    token = "t0k3n-" + uuid.uuid4().hex
    code, out, err, calls = launch_in(
        project,
        "server",
        capsys,
        RASA_AUTH_TOKEN=token,
        SANIC_REQUEST_MAX_SIZE="100000000",
    )
    assert code == 0, err + out
    actions, web, rasa = calls.split("---\n")[:3]
    assert actions.startswith("rasa run actions") and "SANIC_HOST=127.0.0.1" in actions
    assert "SANIC_REQUEST_MAX_SIZE" not in actions  # whole trackers go there
    assert web.startswith("python scripts/serve_web.py")
    assert rasa.startswith("rasa run ")
    assert "--interface 127.0.0.1" in rasa and "--enable-api" in rasa
    assert f"--auth-token {token}" in rasa and "--cors" not in rasa
    assert f"SANIC_REQUEST_MAX_SIZE={servers.MAX_BODY_BYTES}" in rasa
    assert f"SANIC_WEBSOCKET_MAX_SIZE={servers.MAX_BODY_BYTES}" in rasa
    assert "127.0.0.1" in out and "token required" in out


def test_the_api_gets_a_token_made_at_start_unless_asked_for_none(project, capsys):
    code, out, err, calls = launch_in(project, "server", capsys)
    assert code == 0, err
    token_file = project / launch.TOKEN_FILE
    token = token_file.read_text().strip()
    assert len(token) >= 16 and oct(token_file.stat().st_mode & 0o777) == "0o600"
    rasa = calls.split("---\n")[2]
    assert f"--auth-token {token}" in rasa
    assert launch.TOKEN_FILE in out and token not in out
    (project / "calls.log").unlink()
    code, out, err, calls = launch_in(project, "server", capsys, RASA_AUTH_TOKEN="none")
    assert code == 0, err
    assert "--auth-token" not in calls and "--enable-api" in calls


def test_a_token_made_at_start_also_guards_an_api_beyond_loopback(project, capsys):
    code, out, err, _ = launch_in(project, "check", capsys, RASA_INTERFACE="0.0.0.0")
    assert code == 0, err
    assert "--interface 0.0.0.0" in out and "--auth-token ***" in out


def test_rasa_shell_stays_on_loopback(project, capsys):
    code, _, err, calls = launch_in(project, "shell", capsys)
    assert code == 0, err
    shell = calls.split("---\n")[1]
    assert shell.startswith("rasa shell") and "--interface 127.0.0.1" in shell


def test_the_action_server_alone_listens_on_loopback_only(project, capsys):
    code, _, err, calls = launch_in(project, "actions", capsys, STAND_IN_EXIT="1")
    assert code == 0, err
    assert calls.startswith("rasa run actions") and "SANIC_HOST=127.0.0.1" in calls
