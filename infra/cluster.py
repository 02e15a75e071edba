"""The scale-out stack on one machine, every server on 127.0.0.1, stopped by PID.

    PostgreSQL   a throwaway cluster (initdb) in CLUSTER_DIR/pg, password auth
    Redis        no persistence (it only holds locks), password auth
    actions      `rasa run actions`
    rasa-1..N    `rasa run` on the same model, PostgreSQL tracker store, Redis lock
    nginx        round robin over the Rasa instances, on 127.0.0.1:CLUSTER_PORT

`python -m infra.cluster` (what `make cluster` runs) starts it, prints the address
and stops everything on Ctrl-C. The reliability tests drive the same classes
(infra/services.py).

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
import secrets
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from infra.launch import ROOT, Server, free_port, port_open
from infra.services import ActionServer, Nginx, Postgres, RasaServer, Redis


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
            for service in (self.postgres, self.redis):
                say(f"starting {service.name} on 127.0.0.1:{service.port}")
                service.start()
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
