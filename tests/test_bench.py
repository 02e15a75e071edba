"""The benchmark's stock bot runs Rasa as installed, nothing of the project.

The stock `rasa init` bot lives under bench/cache/ with its own PYTHONPATH; a command
line that goes through the project's wrapper (scripts/rasa -> infra.quiet) cannot start
there, and would not be stock Rasa if it could.
"""

from __future__ import annotations

import os
from pathlib import Path

from bench.bots import stock_cli
from infra.launch import action_server_command, rasa_server_command


def test_the_stock_bots_servers_start_with_the_installed_rasa() -> None:
    for argv in (
        stock_cli(rasa_server_command(Path("models/stock.tar.gz"), 5005)),
        stock_cli(action_server_command(5055)),
    ):
        assert os.access(argv[0], os.X_OK), argv[0]
        assert Path(argv[0]).name == "rasa"
        assert argv[1] == "run"
        assert not any("infra" in part or "scripts/" in part for part in argv)


def test_the_stock_command_keeps_every_option_of_the_launchers() -> None:
    launcher = rasa_server_command(Path("models/stock.tar.gz"), 5005)
    assert stock_cli(launcher)[1:] == launcher[launcher.index("run") :]
    assert "--enable-api" in stock_cli(launcher)
