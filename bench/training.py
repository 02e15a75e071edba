"""The stock bot's preparation and both bots' training times (cached)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.common import (
    ADVISOR_TRAIN_META,
    BIN,
    CACHE,
    ROOT,
    STOCK_DIR,
    STOCK_META,
    Deadline,
    ServerFailed,
    file_hash,
    log,
    version,
)
from bench.machine import cpu_model
from bench.processes import base_env, run_timed


def stock_data_files(project: Path) -> list[Path]:
    files = [project / "config.yml", project / "domain.yml"]
    files += sorted((project / "data").rglob("*.yml"))
    return [f for f in files if f.exists()]


def stock_model(project: Path) -> Path | None:
    models = sorted(
        (project / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime
    )
    return models[-1] if models else None


def prepare_stock(deadline: Deadline, logs: Path) -> dict[str, Any]:
    """Create and train the stock bot once; retrain only when its data changed."""
    rasa_version = version("rasa")
    meta = json.loads(STOCK_META.read_text()) if STOCK_META.exists() else {}
    CACHE.mkdir(parents=True, exist_ok=True)
    env = base_env(PYTHONPATH=str(STOCK_DIR))
    have_project = (STOCK_DIR / "config.yml").exists() and (STOCK_DIR / "data").is_dir()
    if have_project and meta.get("rasa_version") != rasa_version:
        have_project = False  # made by another Rasa: make it again
    if not have_project:
        if STOCK_DIR.exists():
            shutil.rmtree(STOCK_DIR)
        STOCK_DIR.mkdir(parents=True)
        log("stock bot: rasa init --no-prompt (scaffold + training) ...")
        seconds, other = run_timed(
            [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(STOCK_DIR)],
            STOCK_DIR,
            env,
            logs / "stock-init.log",
            deadline,
            "stock rasa init",
        )
        meta = {
            "train_seconds": seconds,
            "method": "rasa init --no-prompt "
            "(scaffold + training, empty training cache)",
            "other_cores_during": other,
        }
    else:
        data_hash = file_hash(stock_data_files(STOCK_DIR), rasa_version)
        model = stock_model(STOCK_DIR)
        if model is not None and meta.get("data_hash") == data_hash:
            log(
                f"stock bot: cached model {model.name} "
                f"(trained in {meta.get('train_seconds')} s)"
            )
            meta["cached"] = True
            return meta
        log("stock bot: data changed or model missing; rasa train --force ...")
        for old in (STOCK_DIR / "models").glob("*.tar.gz"):
            old.unlink()
        seconds, other = run_timed(
            [str(BIN / "rasa"), "train", "--force"],
            STOCK_DIR,
            env,
            logs / "stock-train.log",
            deadline,
            "stock rasa train",
        )
        meta = {
            "train_seconds": seconds,
            "method": "rasa train --force",
            "other_cores_during": other,
        }
    model = stock_model(STOCK_DIR)
    if model is None:
        raise ServerFailed("the stock bot has no trained model after training")
    meta.update(
        rasa_version=rasa_version,
        data_hash=file_hash(stock_data_files(STOCK_DIR), rasa_version),
        model=str(model.relative_to(ROOT)),
        measured_at=dt.datetime.now().isoformat(timespec="seconds"),
        cpu=cpu_model(),
        cores=os.cpu_count(),
    )
    STOCK_META.write_text(json.dumps(meta, indent=2) + "\n")
    log(f"stock bot trained in {meta['train_seconds']} s")
    meta["cached"] = False
    return meta


def advisor_data_hash() -> str:
    files = [ROOT / "config.yml", ROOT / "domain.yml"]
    files += sorted((ROOT / "data").rglob("*.yml"))
    return file_hash([f for f in files if f.exists()], version("rasa"))


def advisor_training(
    args: argparse.Namespace, deadline: Deadline, logs: Path
) -> dict[str, Any]:
    # Like the stock bot's: measured once, and again when config, domain or data
    # changed (or with --train-advisor).
    if not args.train_advisor and ADVISOR_TRAIN_META.exists():
        meta = json.loads(ADVISOR_TRAIN_META.read_text())
        if meta.get("data_hash") == advisor_data_hash():
            meta["source"] = f"last recorded ({ADVISOR_TRAIN_META.relative_to(ROOT)})"
            return meta
    out = Path(tempfile.mkdtemp(prefix="bench-advisor-train-"))
    try:
        log("advisor: rasa train --force into a temporary folder ...")
        env = base_env(PYTHONPATH=str(ROOT), RASA_CACHE_DIRECTORY=str(out / "cache"))
        seconds, other = run_timed(
            [
                str(BIN / "rasa"),
                "train",
                "--fixed-model-name",
                "advisor",
                "--out",
                str(out),
                "--force",
            ],
            ROOT,
            env,
            logs / "advisor-train.log",
            deadline,
            "advisor rasa train",
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)
    meta = {
        "train_seconds": seconds,
        "method": "rasa train --force (temporary --out)",
        "other_cores_during": other,
        "data_hash": advisor_data_hash(),
        "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
    }
    CACHE.mkdir(parents=True, exist_ok=True)
    ADVISOR_TRAIN_META.write_text(json.dumps(meta, indent=2) + "\n")
    log(f"advisor trained in {seconds} s")
    meta["source"] = "measured in this run"
    return meta
