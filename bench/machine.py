"""What was measured, and where: the project's state and the machine."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path
from typing import Any

from bench.common import ROOT, file_hash


def project_state() -> dict[str, Any]:
    """The commit and the uncommitted changes the measured project had."""

    def git(*cmd: str) -> str:
        try:
            return subprocess.run(
                ["git", *cmd], cwd=ROOT, capture_output=True, text=True, timeout=20
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    files = [
        ROOT / "config.yml",
        ROOT / "domain.yml",
        ROOT / "endpoints.yml",
        ROOT / "credentials.yml",
    ]
    for folder in ("actions", "channels", "infra", "data"):
        files += [
            p
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and p.suffix in (".py", ".yml", ".yaml")
        ]
    return {
        "git_head": git("rev-parse", "--short", "HEAD"),
        "uncommitted": git("status", "--porcelain").splitlines(),
        "bot_files_sha256": file_hash([f for f in files if f.exists()]),
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total_mb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None
