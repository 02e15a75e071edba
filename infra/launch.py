"""The one launcher: how every server of the advisor is started, stopped and awaited.

Starts what the checked settings (infra/settings.py) ask for, with the command
lines of infra/commands.py: a process started with its log, awaited until ready,
stopped by its PID.
Used by `make run`, `make shell`, `make actions` (`python -m infra.launch ...`), the
scale-out stack (infra/cluster.py), the tests (tests/servers.py), the benchmark
(bench/) and the Docker image (deploy/Dockerfile).

    python -m infra.launch server   action server + web page + Rasa server (make run)
    python -m infra.launch shell    action server + rasa shell (make shell)
    python -m infra.launch actions  the action server alone (make actions; ACTION_HOST)
    python -m infra.launch rasa     the Rasa server alone (the Docker image)
    python -m infra.launch check    check the settings; print the Rasa command, no token

Settings (the README's Settings table): ACTION_PORT, RASA_PORT, WEB_PORT,
RASA_INTERFACE, ACTION_HOST, WEB_HOST, RASA_ENABLE_API, RASA_AUTH_TOKEN,
RASA_MAX_BODY_BYTES, WEB_ORIGINS, ACTION_SERVER_URL. A refused setting starts
nothing (exit 2, the reason on stderr).
Rasa's HTTP API gets a token by default: RASA_AUTH_TOKEN, or one made at start and
written to var/api-token (mode 0600); RASA_AUTH_TOKEN=none, on loopback only, for none.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from infra.commands import (
    BIN,
    LIMITS,
    PYTHON,
    RASA,
    ROOT,
    action_server_command,
    action_server_env,
    base_env,
    free_port,
    http_ok,
    port_open,
    rasa_server_command,
    shell_command,
    web_command,
)
from infra.processes import READY_TIMEOUT, Server
from infra.settings import TOKEN_FILE, Refused, Settings, reachable

MODES = ("server", "shell", "actions", "rasa", "check")
__all__ = [  # re-exported for the stack, the benchmark and the tests
    "BIN",
    "LIMITS",
    "PYTHON",
    "RASA",
    "READY_TIMEOUT",
    "ROOT",
    "Server",
    "Settings",
    "TOKEN_FILE",
    "action_server_command",
    "action_server_env",
    "base_env",
    "free_port",
    "port_open",
    "rasa_server_command",
    "web_command",
]


@dataclass
class Process(Server):
    """A server given by its command line, environment and readiness URL."""

    cmd: Sequence[str] = ()
    environment: dict[str, str] = field(default_factory=dict)
    ready_url: str = ""
    cwd: Path = ROOT

    def command(self) -> list[str]:
        return list(self.cmd)

    def env(self) -> dict[str, str]:
        return self.environment

    def ready(self) -> bool:
        return http_ok(self.ready_url)

    def popen_kwargs(self) -> dict:
        return {"cwd": self.cwd}


def _foreground(cmd: list[str], root: Path, env: dict[str, str]) -> int:
    """Run `cmd` in this terminal until it ends; stopped by SIGTERM if we are."""
    child = subprocess.Popen(cmd, cwd=root, env=env)
    try:
        return child.wait()
    except BaseException:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=10)
        raise


def _write_token(path: Path, token: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")


def _terminated(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # stops what was started (the `finally` of main)


def _refuse(reason: str) -> int:
    print(f"launch: refusing to start: {reason}", file=sys.stderr)
    return 2


def _background(
    name: str, cmd: list[str], env: dict[str, str], url: str, root: Path
) -> Process:
    log = root / "var" / "log" / f"{name}.log"
    process = Process(name, log, cmd=cmd, environment=env, ready_url=url, cwd=root)
    process.start(wait=False)
    process.wait_ready(timeout=120)
    return process


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    root: Path = ROOT,
) -> int:
    """`python -m infra.launch MODE`; see the module docstring."""
    args = list(sys.argv[1:] if argv is None else argv)
    mode = args[0] if args else "server"
    environ = dict(os.environ if environ is None else environ)
    if mode not in MODES:
        return _refuse(f"unknown mode '{mode}' ({', '.join(MODES)})")
    try:
        settings = Settings.from_env(environ)
    except Refused as refused:
        return _refuse(str(refused))
    if mode == "check":
        print(f"ok: {settings.shown()}")
        return 0
    actions_cmd = action_server_command(settings.action_port, root)
    actions_env = action_server_env(environ, settings.action_host)
    if mode == "actions":
        return _foreground(actions_cmd, root, actions_env)
    rasa_env = settings.rasa_env(environ)
    if settings.generated and mode in ("server", "rasa"):
        _write_token(root / TOKEN_FILE, settings.token)
        print(TOKEN_NOTE.format(file=TOKEN_FILE, port=settings.rasa_port), flush=True)
    if mode == "rasa":
        return _foreground(settings.rasa_command(root), root, rasa_env)
    started: list[Process] = []
    try:
        health = (
            f"http://{reachable(settings.action_host)}:{settings.action_port}/health"
        )
        started.append(_background("actions", actions_cmd, actions_env, health, root))
        if mode == "shell":
            port = settings.rasa_port
            command = shell_command(settings.model, port, settings.action_url, root)
            return _foreground(command, root, rasa_env)
        rasa_url = f"http://localhost:{settings.rasa_port}"
        page = web_command(settings.web_port, rasa_url, root, settings.web_host)
        web_url = f"http://{reachable(settings.web_host)}:{settings.web_port}/"
        started.append(_background("web", page, base_env(environ), web_url, root))
        print(BANNER.format(s=settings, api=settings.api_note()), flush=True)
        return _foreground(settings.rasa_command(root), root, rasa_env)
    except (RuntimeError, TimeoutError) as error:
        print(f"launch: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        for process in reversed(started):
            process.stop()


TOKEN_NOTE = """
  Rasa's HTTP API needs a token, made for this run and kept in {file} (readable by
  you only). For example:
    curl -s "http://127.0.0.1:{port}/conversations/me/tracker?token=$(cat {file})"
  RASA_AUTH_TOKEN sets your own; RASA_AUTH_TOKEN=none runs without (loopback only).
"""

BANNER = """
  The advisor is starting on http://{s.interface}:{s.rasa_port} ({api}).
  Chat in your browser:  http://localhost:{s.web_port}/  (ready once Rasa says it is up)
  Chat over REST, for example:
    curl -s -XPOST http://127.0.0.1:{s.rasa_port}/webhooks/rest/webhook \\
      -H 'Content-Type: application/json' \\
      -d '{{"sender":"me","message":"I am a data scientist"}}'
  Or stop this (Ctrl-C) and run 'make shell' to chat in the terminal.
"""


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminated)
    sys.exit(main())
