"""One server process: started with its log, awaited until ready, stopped by its PID.

The base of every server the project starts (infra/launch.py, infra/cluster.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 300.0


@dataclass
class Server:
    """One process: started with `start()`, stopped by its PID."""

    name: str
    log: Path
    proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ)

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
                env=self.env(),
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **{"cwd": ROOT, **self.popen_kwargs()},
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
