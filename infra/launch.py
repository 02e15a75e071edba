"""The one launcher: how every server of the advisor is started, stopped and awaited.

The command lines of the action server, the Rasa server, `rasa shell` and the web
page; the settings they take from the environment, checked before anything starts;
a free port; a process started with its log, awaited until ready, stopped by its PID.
Used by `make run`, `make shell`, `make actions` (`python -m infra.launch ...`), the
scale-out stack (infra/cluster.py), the tests (tests/servers.py), the benchmark
(bench/) and the Docker image (deploy/Dockerfile).

    python -m infra.launch server   action server + web page + Rasa server (make run)
    python -m infra.launch shell    action server + rasa shell (make shell)
    python -m infra.launch actions  the action server alone, on 127.0.0.1 (make actions)
    python -m infra.launch rasa     the Rasa server alone (the Docker image)
    python -m infra.launch check    check the settings; print the Rasa command, no token

Settings (the README's Settings table): ACTION_PORT, RASA_PORT, WEB_PORT,
RASA_INTERFACE, RASA_ENABLE_API, RASA_AUTH_TOKEN, RASA_MAX_BODY_BYTES, WEB_ORIGINS,
ACTION_SERVER_URL. A refused setting starts nothing (exit 2, the reason on stderr).
Rasa's HTTP API gets a token by default: RASA_AUTH_TOKEN, or one made at start and
written to var/api-token (mode 0600); RASA_AUTH_TOKEN=none, on loopback only, for none.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from infra.endpoints import endpoints_for
from infra.processes import READY_TIMEOUT, Server

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
RASA = (
    "scripts/rasa"  # Rasa's command line, quiet from the first import (infra/quiet.py)
)
PYTHON = ".venv/bin/python"
MODEL = "models/advisor.tar.gz"
LIMITS = ("SANIC_REQUEST_MAX_SIZE", "SANIC_WEBSOCKET_MAX_SIZE")
LOOPBACK = re.compile(r"^(127(\.\d{1,3}){3}|localhost|::1|\[::1\])$")
ORIGIN = re.compile(r"^https?://[^/*\s]+$")
MODES = ("server", "shell", "actions", "rasa", "check")
TOKEN_FILE = "var/api-token"  # a token made at start, readable by the user only
__all__ = ["READY_TIMEOUT", "Server"]  # re-exported for the stack and the tests


class Refused(ValueError):
    """A setting that would make the advisor unsafe or unusable; nothing starts."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when `url` (on this machine) answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:  # noqa: S310
            return reply.status == 200
    except Exception:
        return False


def base_env(environ: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The environment every server of the project gets."""
    env = dict(os.environ if environ is None else environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT)
    )
    env.update(extra)
    return env


def _rasa(root: Path) -> list[str]:
    """Rasa's command line: scripts/rasa in a checkout, else (the Docker image, which
    holds no scripts/) the same through the `python` on PATH."""
    script = root / RASA
    if script.exists():
        return [str(script)]
    return [shutil.which("python") or sys.executable, "-m", "infra.quiet"]


def action_server_command(port: int, root: Path = ROOT) -> list[str]:
    """`rasa run actions` on `port` (it listens on 127.0.0.1: `action_server_env`)."""
    return [*_rasa(root), "run", "actions", "--actions", "actions"] + [
        "--port",
        str(port),
    ]


def action_server_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """127.0.0.1 only; no body cap (it receives whole conversations)."""
    env = base_env(environ, SANIC_HOST="127.0.0.1")
    for name in LIMITS:
        env.pop(name, None)
    return env


def rasa_server_command(
    model: Path | str,
    port: int,
    credentials: str = "credentials.yml",
    action_url: str | None = None,
    interface: str = "127.0.0.1",
    enable_api: bool = True,
    token: str | None = None,
    root: Path = ROOT,
) -> list[str]:
    """`rasa run` with the project's channels and the endpoints for `action_url`."""
    command = [*_rasa(root), "run", "--model", str(model)]
    command += ["--endpoints", endpoints_for(action_url)]
    command += ["--credentials", credentials, "--interface", interface]
    command += ["--port", str(port)]
    if enable_api:
        command.append("--enable-api")
    if token:
        command += ["--auth-token", token]
    return command


def shell_command(
    model: Path | str, port: int, action_url: str | None = None, root: Path = ROOT
) -> list[str]:
    """`rasa shell`; the REST channel it serves for itself stays on this machine."""
    return [*_rasa(root), "shell", "--model", str(model)] + [
        "--endpoints",
        endpoints_for(action_url),
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def web_command(port: int, rasa_url: str, root: Path = ROOT) -> list[str]:
    """The page with the chat widget (scripts/serve_web.py), on 127.0.0.1."""
    return [str(root / PYTHON), "scripts/serve_web.py", "--port", str(port)] + [
        "--rasa-url",
        rasa_url,
    ]


@dataclass(frozen=True)
class Settings:
    """What `make run` takes from the environment, checked."""

    action_port: int = 5055
    rasa_port: int = 5005
    web_port: int = 8080
    interface: str = "127.0.0.1"
    enable_api: bool = True
    token: str = ""
    generated: bool = False  # the token was made at start (written to TOKEN_FILE)
    max_body: int = 65536
    origins: tuple[str, ...] = ()
    action_url: str = ""
    model: str = MODEL

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """The settings, or `Refused` with the reason."""

        def number(name: str, default: int) -> int:
            value = environ.get(name, "").strip() or str(default)
            if not value.isdigit() or not 0 < int(value) < 65536:
                raise Refused(f"{name} must be a port number, not '{value}'.")
            return int(value)

        ports = {
            n: number(n, d)
            for n, d in (("ACTION_PORT", 5055), ("RASA_PORT", 5005), ("WEB_PORT", 8080))
        }
        interface = environ.get("RASA_INTERFACE", "").strip() or "127.0.0.1"
        api = environ.get("RASA_ENABLE_API", "").strip() or "true"
        if api not in ("true", "false"):
            raise Refused("RASA_ENABLE_API must be true or false.")
        body = environ.get("RASA_MAX_BODY_BYTES", "").strip() or "65536"
        if not re.fullmatch(r"[0-9]{4,9}", body) or int(body) < 1024:
            raise Refused(
                "RASA_MAX_BODY_BYTES must be a number of bytes from 1024 to 999999999."
            )
        token = environ.get("RASA_AUTH_TOKEN", "").strip()
        generated = False
        if token.lower() == "none":  # the user asks for an API without a token
            token = ""
            if api == "true" and not LOOPBACK.match(interface):
                raise Refused(
                    f"RASA_AUTH_TOKEN=none: the Rasa HTTP API (--enable-api) would "
                    f"listen on {interface}, beyond this machine, without a token: "
                    "anyone who reaches the port could read every conversation. Set "
                    "a token (16 characters or more), or RASA_ENABLE_API=false, or "
                    "leave RASA_INTERFACE at 127.0.0.1."
                )
        elif not token and api == "true":
            token, generated = secrets.token_urlsafe(24), True
        if token and len(token) < 16:
            raise Refused("RASA_AUTH_TOKEN is shorter than 16 characters.")
        web = ports["WEB_PORT"]
        raw = (
            environ.get("WEB_ORIGINS")
            or f"http://localhost:{web},http://127.0.0.1:{web}"
        )
        origins = tuple(o for o in ("".join(x.split()) for x in raw.split(",")) if o)
        for origin in origins:
            if not ORIGIN.match(origin):
                raise Refused(
                    "WEB_ORIGINS must list origins like https://example.org "
                    f"(no '*', no path): '{origin}'."
                )
        if not origins:
            raise Refused("WEB_ORIGINS lists no origin.")
        action = ports["ACTION_PORT"]
        return cls(
            action_port=action,
            rasa_port=ports["RASA_PORT"],
            web_port=web,
            interface=interface,
            enable_api=api == "true",
            token=token,
            generated=generated,
            max_body=int(body),
            origins=origins,
            action_url=environ.get("ACTION_SERVER_URL")
            or f"http://127.0.0.1:{action}/webhook",
        )

    def rasa_command(self, root: Path = ROOT) -> list[str]:
        return rasa_server_command(
            self.model,
            self.rasa_port,
            action_url=self.action_url,
            interface=self.interface,
            enable_api=self.enable_api,
            token=self.token or None,
            root=root,
        )

    def limits(self) -> dict[str, str]:
        """Sanic's caps on request bodies and WebSocket messages (the Rasa server)."""
        return dict.fromkeys(LIMITS, str(self.max_body))

    def rasa_env(self, environ: Mapping[str, str]) -> dict[str, str]:
        return base_env(environ, WEB_ORIGINS=",".join(self.origins), **self.limits())

    def shown(self) -> str:
        """The Rasa command and its limits as `check` prints them, token hidden."""
        command = [
            ("***" if self.token and part == self.token else part)
            for part in self.rasa_command()
        ]
        limits = " ".join(f"{name}={self.max_body}" for name in LIMITS)
        return f"WEB_ORIGINS={','.join(self.origins)} {limits} {' '.join(command)}"

    def api_note(self) -> str:
        if not self.enable_api:
            return "HTTP API off"
        if self.generated:
            return f"HTTP API on {self.interface}, token in {TOKEN_FILE}"
        if self.token:
            return f"HTTP API on {self.interface}, token required"
        return "HTTP API on localhost only, no token"


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
    if mode == "actions":
        return _foreground(actions_cmd, root, action_server_env(environ))
    rasa_env = settings.rasa_env(environ)
    if settings.generated and mode in ("server", "rasa"):
        _write_token(root / TOKEN_FILE, settings.token)
        print(TOKEN_NOTE.format(file=TOKEN_FILE, port=settings.rasa_port), flush=True)
    if mode == "rasa":
        return _foreground(settings.rasa_command(root), root, rasa_env)
    started: list[Process] = []
    try:
        health = f"http://127.0.0.1:{settings.action_port}/health"
        started.append(
            _background(
                "actions", actions_cmd, action_server_env(environ), health, root
            )
        )
        if mode == "shell":
            port = settings.rasa_port
            command = shell_command(settings.model, port, settings.action_url, root)
            return _foreground(command, root, rasa_env)
        page = web_command(
            settings.web_port, f"http://localhost:{settings.rasa_port}", root
        )
        web_url = f"http://127.0.0.1:{settings.web_port}/"
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
