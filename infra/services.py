"""The servers of the scale-out stack (infra/cluster.py), each on 127.0.0.1.

PostgreSQL (a throwaway cluster, password auth), Redis (locks only, password auth),
the action server, the Rasa instances and nginx in front of them. Started, awaited
and stopped by PID through `infra.processes.Server`; command lines from
`infra.launch`.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from infra import launch
from infra.launch import (
    Server,
    action_server_command,
    free_port,
    http_ok,
    port_open,
    rasa_server_command,
)

ROOT = launch.ROOT


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
    env = launch.base_env(None, **extra)
    for name in ("TRACKER_DB_URL", "DB_HOST", "REDIS_URL", "SANIC_WORKERS"):
        if name not in extra:
            env.pop(name, None)  # each server gets exactly what the stack gives it
    return env


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


@contextmanager
def throwaway_postgres(log: Path | None = None) -> Iterator[Postgres]:
    """A fresh PostgreSQL cluster (Debian's server) in a temporary folder, on a free
    loopback port with a random password; stopped by PID and deleted afterwards.
    For tests and benchmarks (the report's, tests/reporting/)."""
    folder = Path(tempfile.mkdtemp(prefix="advisor-pg-"))
    os.chmod(folder, 0o755)  # the `postgres` user reaches its data folder
    server = Postgres(
        "postgres",
        log or folder / "postgres.log",
        data=folder / "pg",
        port=free_port(),
        password=secrets.token_hex(16),
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


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
        return launch.action_server_env(base_env())

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
