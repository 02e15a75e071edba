"""The scale-out stack on one machine, every server on 127.0.0.1, stopped by PID.

    PostgreSQL   a throwaway cluster (initdb) in CLUSTER_DIR/pg, password auth
    Redis        no persistence (it only holds locks), password auth
    actions      `rasa run actions`
    rasa-1..N    `rasa run` on the same model, PostgreSQL tracker store, Redis lock
    nginx        round robin over the Rasa instances, on 127.0.0.1:CLUSTER_PORT

`python -m infra.cluster` (what `make cluster` runs) starts it, prints the address
and stops everything on Ctrl-C. The reliability tests drive the same classes.

| variable | default | meaning |
|---|---|---|
| `CLUSTER_DIR` | `var/cluster` | data, logs, generated configs (git-ignored) |
| `CLUSTER_PORT` | 8000 | nginx, the address users talk to |
| `RASA_INSTANCES` | 2 | how many Rasa servers |
| `CLUSTER_RASA_PORT` | free ports | Rasa instance i (from 0) listens on this + i |
| `CLUSTER_PG_PORT`, `CLUSTER_REDIS_PORT`, `CLUSTER_ACTION_PORT` | free ports | |
| `CLUSTER_MODEL` | `models/advisor.tar.gz` | the trained model |
| `CLUSTER_FRESH` | unset | `1`: wipe CLUSTER_DIR first (else conversations are kept) |

PostgreSQL refuses to run as root: as root the cluster is created and run as the
`postgres` user (the Debian package's), in a folder owned by it.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from infra.endpoints import endpoints_for

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def action_server_command(port: int) -> list[str]:
    """`rasa run actions` on `port` (the tests, the cluster and the benchmark)."""
    return [
        str(BIN / "rasa"),
        "run",
        "actions",
        "--actions",
        "actions",
        "--port",
        str(port),
    ]


def rasa_server_command(
    model: Path | str,
    port: int,
    credentials: str = "credentials.yml",
    action_url: str | None = None,
) -> list[str]:
    """`rasa run`: HTTP API on 127.0.0.1:`port`, the endpoints for `action_url`."""
    return [
        str(BIN / "rasa"),
        "run",
        "--model",
        str(model),
        "--endpoints",
        endpoints_for(action_url),
        "--credentials",
        credentials,
        "--enable-api",
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
    ]


READY_TIMEOUT = 300.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def http_ok(url: str, timeout: float = 2.0) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(
            url, timeout=timeout
        ) as reply:  # noqa: S310 (loopback)
            return reply.status == 200
    except Exception:
        return False


def pg_bin(name: str) -> str:
    """A PostgreSQL server binary from Debian's versioned folder (newest first)."""
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(f"{name} not found: run `scripts/cluster.sh setup`")


def base_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("TRACKER_DB_URL", "DB_HOST", "REDIS_URL", "SANIC_WORKERS"):
        env.pop(name, None)  # each server gets exactly what the stack gives it
    env.update(
        RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT)
    )
    env.update(extra)
    return env


@dataclass
class Server:
    """One process: started with `start()`, stopped by its PID."""

    name: str
    log: Path
    proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return base_env()

    def ready(self) -> bool:
        raise NotImplementedError

    def popen_kwargs(self) -> dict:
        return {}

    def prepare(self) -> None:
        """Called before each start."""

    def start(self, wait: bool = True) -> Server:
        if self.running:
            return self
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.prepare()
        with open(self.log, "ab") as handle:
            handle.write(f"\n=== start {time.strftime('%H:%M:%S')} ===\n".encode())
            handle.flush()
            self.proc = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env(),
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **self.popen_kwargs(),
            )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {self.log}")
            if self.ready():
                return
            time.sleep(0.3)
        self.stop()
        raise TimeoutError(
            f"{self.name} not ready after {timeout:.0f}s; see {self.log}"
        )

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        """Stop by PID: `sig`, then SIGKILL after `timeout` seconds."""
        if not self.running:
            return
        assert self.proc is not None
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL, as a crash would: no clean-up, locks and connections left behind."""
        if self.running:
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait(timeout=10)


@dataclass
class Postgres(Server):
    data: Path = Path()
    port: int = 0
    password: str = ""
    user: str = "rasa"
    database: str = "advisor"

    @property
    def url(self) -> str:
        return (
            f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/"
            f"{self.database}"
        )

    def _owner(self) -> dict:
        """As root, PostgreSQL runs as `postgres`; otherwise as the current user."""
        if os.geteuid() != 0:
            return {}
        account = pwd.getpwnam("postgres")
        return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

    def prepare(self) -> None:
        owner = self._owner()
        if (self.data / "PG_VERSION").exists():
            return
        self.data.mkdir(parents=True, exist_ok=True)
        pwfile = self.data.parent / "pg.pwfile"
        pwfile.write_text(self.password + "\n")
        if owner:
            for path in (self.data, pwfile):
                os.chown(path, owner["user"], owner["group"])
        os.chmod(self.data, 0o700)
        os.chmod(pwfile, 0o600)
        try:
            with open(self.log, "ab") as handle:
                subprocess.run(
                    [
                        pg_bin("initdb"),
                        "-D",
                        str(self.data),
                        "-U",
                        self.user,
                        f"--pwfile={pwfile}",
                        "--auth=scram-sha-256",
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                    ],
                    check=True,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    env=base_env(),
                    **owner,
                )
        finally:
            pwfile.unlink()

    def popen_kwargs(self) -> dict:
        return self._owner()

    def command(self) -> list[str]:
        return [
            pg_bin("postgres"),
            "-D",
            str(self.data),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"port={self.port}",
            "-c",
            f"unix_socket_directories={self.data}",
            "-c",
            "max_connections=100",
            "-c",
            "log_min_messages=warning",
        ]

    def ready(self) -> bool:
        import psycopg2

        try:
            conn = psycopg2.connect(
                host="127.0.0.1",
                port=self.port,
                user=self.user,
                password=self.password,
                dbname="postgres",
                connect_timeout=2,
            )
        except psycopg2.OperationalError:
            return False
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
                )
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{self.database}"')
        finally:
            conn.close()
        return True

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30.0) -> None:
        super().stop(sig, timeout)  # SIGINT: PostgreSQL's "fast" shutdown


@dataclass
class Redis(Server):
    workdir: Path = Path()
    port: int = 0
    password: str = ""

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def prepare(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "redis.conf"  # the password stays off the command line
        conf.write_text(f"requirepass {self.password}\n")
        os.chmod(conf, 0o600)

    def command(self) -> list[str]:
        return [
            shutil.which("redis-server") or "redis-server",
            str(self.workdir / "redis.conf"),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--protected-mode",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ]

    def ready(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except Exception:
            return False


@dataclass
class ActionServer(Server):
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    def command(self) -> list[str]:
        return action_server_command(self.port)

    def env(self) -> dict[str, str]:
        return base_env(SANIC_HOST="127.0.0.1")

    def ready(self) -> bool:
        return http_ok(f"http://127.0.0.1:{self.port}/health")


@dataclass
class RasaServer(Server):
    port: int = 0
    model: Path = ROOT / "models" / "advisor.tar.gz"
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        action_url = self.extra_env.get("ACTION_SERVER_URL")
        return rasa_server_command(self.model, self.port, action_url=action_url)

    def env(self) -> dict[str, str]:
        return base_env(**self.extra_env)

    def ready(self) -> bool:
        return http_ok(f"{self.url}/status")


NGINX_CONF = """\
# Generated by infra/cluster.py; not edited by hand.
worker_processes 1;
{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
  log_format upstream '$time_iso8601 "$request" $status upstream=$upstream_addr '
                      'upstream_status=$upstream_status time=$request_time';
  access_log {dir}/access.log upstream;
  client_body_temp_path {dir}/tmp/body;
  proxy_temp_path {dir}/tmp/proxy;
  fastcgi_temp_path {dir}/tmp/fastcgi;
  uwsgi_temp_path {dir}/tmp/uwsgi;
  scgi_temp_path {dir}/tmp/scgi;
  client_max_body_size 64k;
  upstream rasa {{
{servers}
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://rasa;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      # A request goes to the other instance only when it could not reach one
      # (connection refused or timed out). A POST that reached an instance is never
      # re-sent (nginx's default for non-idempotent requests): no turn runs twice.
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
      proxy_read_timeout 120s;
    }}
  }}
}}
"""


@dataclass
class Nginx(Server):
    workdir: Path = Path()
    port: int = 0
    upstreams: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def prepare(self) -> None:
        tmp = self.workdir / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        user = ""
        if os.geteuid() == 0:  # workers drop root; they only need the temp folders
            user = "user nobody nogroup;"
            for path in [tmp, *tmp.iterdir()]:
                shutil.chown(path, "nobody", "nogroup")
        servers = "\n".join(
            f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;"
            for port in self.upstreams
        )
        (self.workdir / "nginx.conf").write_text(
            NGINX_CONF.format(
                dir=self.workdir, port=self.port, servers=servers, user=user
            )
        )

    def command(self) -> list[str]:
        return [
            "/usr/sbin/nginx",
            "-p",
            str(self.workdir),
            "-c",
            str(self.workdir / "nginx.conf"),
        ]

    def ready(self) -> bool:
        return port_open(self.port)

    def stop(self, sig: int = signal.SIGQUIT, timeout: float = 10.0) -> None:
        super().stop(sig, timeout)  # SIGQUIT: graceful


def _env_int(name: str, default: int | None = None) -> int | None:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


class Stack:
    """The whole stack, with its ports and secrets fixed once (kept in secrets.json)."""

    def __init__(
        self,
        directory: Path,
        port: int,
        instances: int = 2,
        rasa_ports: list[int] | None = None,
        pg_port: int | None = None,
        redis_port: int | None = None,
        action_port: int | None = None,
        model: Path = ROOT / "models" / "advisor.tar.gz",
        rasa_env: dict[str, str] | None = None,
    ) -> None:
        self.dir = directory.resolve()
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # `postgres` must reach its folder
            for path in [self.dir, *self.dir.parents]:
                mode = path.stat().st_mode
                if not mode & 0o001:
                    raise PermissionError(
                        f"{path} is not searchable by other users; the PostgreSQL "
                        "server (user postgres) needs it: set CLUSTER_DIR elsewhere"
                    )
        secrets_file = self.dir / "secrets.json"
        if secrets_file.exists():
            keys = json.loads(secrets_file.read_text())
        else:
            keys = {"pg": secrets.token_hex(16), "redis": secrets.token_hex(16)}
            secrets_file.write_text(json.dumps(keys))
            os.chmod(secrets_file, 0o600)
        logs = self.dir / "logs"
        self.postgres = Postgres(
            "postgres",
            logs / "postgres.log",
            data=self.dir / "pg",
            port=pg_port or free_port(),
            password=keys["pg"],
        )
        self.redis = Redis(
            "redis",
            logs / "redis.log",
            workdir=self.dir / "redis",
            port=redis_port or free_port(),
            password=keys["redis"],
        )
        self.actions = ActionServer(
            "actions", logs / "actions.log", port=action_port or free_port()
        )
        ports = rasa_ports or [free_port() for _ in range(instances)]
        self.rasa = [
            RasaServer(
                f"rasa-{i + 1}",
                logs / f"rasa-{i + 1}.log",
                port=port,
                model=model,
                extra_env={
                    "TRACKER_DB_URL": self.postgres.url,
                    "REDIS_URL": self.redis.url,
                    "ACTION_SERVER_URL": self.actions.url,
                    "SANIC_WORKERS": "1",
                    **(rasa_env or {}),
                },
            )
            for i, port in enumerate(ports)
        ]
        self.nginx = Nginx(
            "nginx",
            logs / "nginx.log",
            workdir=self.dir / "nginx",
            port=port,
            upstreams=ports,
        )

    @classmethod
    def from_env(cls) -> Stack:
        directory = Path(os.environ.get("CLUSTER_DIR") or ROOT / "var" / "cluster")
        if not directory.is_absolute():
            directory = ROOT / directory
        if os.environ.get("CLUSTER_FRESH") == "1" and directory.exists():
            shutil.rmtree(directory)
        instances = _env_int("RASA_INSTANCES", 2) or 2
        base = _env_int("CLUSTER_RASA_PORT")
        return cls(
            directory,
            port=_env_int("CLUSTER_PORT", 8000) or 8000,
            instances=instances,
            rasa_ports=[base + i for i in range(instances)] if base else None,
            pg_port=_env_int("CLUSTER_PG_PORT"),
            redis_port=_env_int("CLUSTER_REDIS_PORT"),
            action_port=_env_int("CLUSTER_ACTION_PORT"),
            model=Path(
                os.environ.get("CLUSTER_MODEL") or ROOT / "models" / "advisor.tar.gz"
            ),
        )

    @property
    def servers(self) -> list[Server]:
        return [self.postgres, self.redis, self.actions, *self.rasa, self.nginx]

    @property
    def url(self) -> str:
        return self.nginx.url

    def start(self, say: Callable[[str], None] = lambda _: None) -> None:
        """Start everything in dependency order; the Rasa instances in parallel."""
        try:
            for server in (self.postgres, self.redis):
                say(f"starting {server.name} on 127.0.0.1:{server.port}")
                server.start()
            say(f"starting actions on 127.0.0.1:{self.actions.port}")
            self.actions.start(wait=False)
            for rasa in self.rasa:
                say(f"starting {rasa.name} on 127.0.0.1:{rasa.port}")
                rasa.start(wait=False)
            for server in (self.actions, *self.rasa):
                server.wait_ready()
            say(f"starting nginx on 127.0.0.1:{self.nginx.port}")
            self.nginx.start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every server by PID, front to back."""
        for server in reversed(self.servers):
            server.stop()


def main() -> int:
    stack = Stack.from_env()
    if port_open(stack.nginx.port):
        print(
            f"cluster: 127.0.0.1:{stack.nginx.port} is taken; set CLUSTER_PORT",
            file=sys.stderr,
        )
        return 1
    stopping = False

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt  # while starting: Stack.start stops what it started

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, interrupt)
    started = time.monotonic()
    try:
        stack.start(say=lambda line: print(f"cluster: {line}", flush=True))
    except KeyboardInterrupt:
        print("cluster: interrupted while starting; stopped", flush=True)
        return 130
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(
        f"""
  The advisor cluster is up after {time.monotonic() - started:.0f}s: {stack.url}
  (nginx -> {', '.join(r.url for r in stack.rasa)};
   PostgreSQL 127.0.0.1:{stack.postgres.port}, Redis 127.0.0.1:{stack.redis.port},
   actions 127.0.0.1:{stack.actions.port}; logs in {stack.dir / 'logs'})

    curl -s -XPOST {stack.url}/webhooks/rest/webhook \\
      -H 'Content-Type: application/json' \\
      -d '{{"sender":"me","message":"I am a data scientist"}}'
    curl -s {stack.url}/conversations/me/tracker

  Ctrl-C stops everything.
""",
        flush=True,
    )
    try:
        while not stopping:
            for server in stack.servers:
                if server.proc is not None and server.proc.poll() is not None:
                    print(
                        f"cluster: {server.name} exited ({server.proc.returncode}); "
                        f"see {server.log}",
                        flush=True,
                    )
                    server.proc = None
            time.sleep(0.5)
    finally:
        print("cluster: stopping", flush=True)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
        print("cluster: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
