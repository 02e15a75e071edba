"""Background server processes: started in their own session, logged to a file,
stopped by PID (and process group)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.common import BUSY_CORES, BenchTimeout, Deadline, ServerFailed, log, tail
from bench.cpu import process_cpu_s, system_busy_s
from bench.memory import descendants


class Server:
    """One background server process in its own session, logged to a file."""

    running: list[Server] = []

    def __init__(
        self, name: str, cmd: list[str], cwd: Path, env: dict[str, str], log_path: Path
    ) -> None:
        self.name, self.cmd, self.log_path = name, cmd, log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.t0 = time.monotonic()
        with open(log_path, "wb") as handle:
            self.proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        Server.running.append(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def fail(self, why: str) -> ServerFailed:
        msg = (
            f"{self.name} {why} (exit code {self.proc.poll()}); last lines of "
            f"{self.log_path}:\n{tail(self.log_path)}"
        )
        print(msg, file=sys.stderr, flush=True)
        return ServerFailed(f"{self.name} {why}")

    def stop(self) -> None:
        """SIGTERM the process (and its process group, whose id is our child's PID),
        then SIGKILL after a grace period."""
        if self in Server.running:
            Server.running.remove(self)
        if self.proc.poll() is not None:
            return
        kids = descendants(self.pid)
        try:
            os.killpg(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        for kid in kids:  # anything that left the group
            try:
                os.kill(kid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    @classmethod
    def stop_all(cls) -> None:
        for server in list(cls.running):
            try:
                server.stop()
            except Exception as exc:  # keep stopping the others
                print(
                    f"could not stop {server.name} (pid {server.pid}): {exc}",
                    file=sys.stderr,
                )


def base_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ACTION_SERVER_URL", None)
    env.update(
        RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1"
    )
    env.update(extra)
    return env


def run_timed(
    cmd: list[str],
    cwd: Path,
    env: dict[str, str],
    log_path: Path,
    deadline: Deadline,
    what: str,
) -> tuple[float, float]:
    """Run a command to completion within the deadline; return its wall time and the
    CPU (in cores) that other processes used meanwhile."""
    deadline.check(what, need=5)
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys0, self0 = system_busy_s(), process_cpu_s(os.getpid())
    server = Server(what, cmd, cwd, env, log_path)
    try:
        server.proc.wait(timeout=max(1.0, deadline.left()))
    except subprocess.TimeoutExpired:
        server.stop()
        raise BenchTimeout(f"time cap reached during {what}; log: {log_path}") from None
    finally:
        if server in Server.running:
            Server.running.remove(server)
    seconds = time.monotonic() - server.t0
    if server.proc.returncode != 0:
        raise server.fail("failed")
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = (kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime) + (
        process_cpu_s(os.getpid()) - self0
    )
    other = round(max(0.0, system_busy_s() - sys0 - own) / max(seconds, 1e-6), 2)
    if other > BUSY_CORES:
        log(f"  {what}: other processes used {other} cores meanwhile (time skewed)")
    return round(seconds, 1), other
