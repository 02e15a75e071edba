"""`rasa shell` through a pseudo-terminal: buttons show as a choice list."""

from __future__ import annotations

import pexpect
import pytest

from infra.endpoints import endpoints_for
from tests import servers

UP, DOWN, ENTER = "\x1b[A", "\x1b[B", "\r"


@pytest.fixture(scope="module")
def shell():
    with servers.action_server() as action_url:
        env = servers._env(TERM="xterm")
        child = pexpect.spawn(
            str(servers.BIN / "rasa"),
            [
                "shell",
                "--model",
                str(servers.MODEL),
                "--endpoints",
                endpoints_for(action_url),
                "--interface",
                "127.0.0.1",
                "--port",
                str(servers.free_port()),
            ],
            cwd=str(servers.ROOT),
            env=env,
            encoding="utf-8",
            timeout=90,
            dimensions=(60, 400),
        )
        servers.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        child.logfile_read = open(
            servers.ARTIFACTS / "shell.log", "w", encoding="utf-8"
        )
        try:
            child.expect("Bot loaded", timeout=servers.READY_TIMEOUT)
            child.expect("Your input ->")
            yield child
        finally:
            child.terminate(force=True)
            child.logfile_read.close()


def _type_free_text(child: pexpect.spawn, text: str) -> None:
    """From a button list, pick "Type out your own message..." and type."""
    child.send(UP)  # the free-text choice is last; Up wraps round to it
    child.send(ENTER)
    child.expect("Your input ->")
    child.sendline(text)


def test_shell_recommends_and_asks_for_ambiguous_roles(shell):
    shell.sendline("I'm a data scientist building machine learning models")
    shell.expect("Certified Artificial Intelligence Professional")
    shell.expect(r"Why CAIP\?")  # a button, shown as a choice
    _type_free_text(shell, "I'm a compliance officer at a bank")
    shell.expect("Risk and compliance people appear in both audiences")
    shell.expect("I lead or govern AI")
    shell.send(DOWN)  # second choice: lead or govern
    shell.send(ENTER)
    shell.expect("Certified Artificial Intelligence Manager")
