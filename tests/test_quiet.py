"""Start-up output: no third-party deprecation warnings, errors still shown.

Before infra/quiet.py, `rasa run` printed 17 deprecation warnings (36 lines) from
SQLAlchemy, pkg_resources, sanic-cors, TensorFlow, matplotlib, packaging, typer and
spaCy before its first useful line.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys

import pytest
import yaml

from tests import servers

WARNING_LINE = re.compile(r"^\S+:\d+: \w*Warning: .*$", re.MULTILINE)
UP = "Rasa server is up and running"


def warnings_in(text: str) -> list[str]:
    return WARNING_LINE.findall(text)


def python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=servers.ROOT,
        env=servers._env(**env),
        capture_output=True,
        text=True,
        timeout=240,
    )


def modules_rasa_imports_by_name() -> list[str]:
    """The project's modules named in credentials.yml and config.yml."""
    credentials = yaml.safe_load((servers.ROOT / "credentials.yml").read_text())
    config = yaml.safe_load((servers.ROOT / "config.yml").read_text())
    names = list(credentials) + [step["name"] for step in config["pipeline"]]
    return sorted({name.rsplit(".", 1)[0] for name in names if "." in name})


@pytest.fixture(scope="module")
def imported() -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """Importing those modules, as Rasa does, with the filters and without them."""
    modules = modules_rasa_imports_by_name()
    assert "channels.slack" in modules and "components.job_evidence" in modules
    code = "import " + ", ".join(modules)
    return python(code), python(code, ADVISOR_SHOW_WARNINGS="1")


def test_the_modules_rasa_imports_by_name_print_no_deprecation_warning(imported):
    quiet, loud = imported
    assert quiet.returncode == 0, quiet.stderr
    assert warnings_in(quiet.stderr) == []
    # the same imports with ADVISOR_SHOW_WARNINGS=1 print them: the filter did it
    assert loud.returncode == 0, loud.stderr
    assert "jax.xla_computation is deprecated" in loud.stderr  # from tensorflow


def test_errors_and_other_warnings_still_show():
    done = python(
        "import logging, warnings\n"
        "import channels\n"
        "warnings.warn_explicit('library deprecation', DeprecationWarning,"
        " 'tensorflow/x.py', 1, module='tensorflow.x')\n"
        "warnings.warn_explicit('our deprecation', DeprecationWarning,"
        " 'channels/x.py', 1, module='channels.x')\n"
        "warnings.warn('a user warning', UserWarning)\n"
        "logging.basicConfig()\n"
        "logging.getLogger('advisor').error('a logged error')\n"
        "raise RuntimeError('a real failure')\n"
    )
    assert done.returncode == 1
    assert "library deprecation" not in done.stderr
    assert "DeprecationWarning: our deprecation" in done.stderr
    assert "UserWarning: a user warning" in done.stderr
    assert "ERROR:advisor:a logged error" in done.stderr
    assert "RuntimeError: a real failure" in done.stderr


def _start_up_output(command: list[str], **env: str) -> str:
    port = servers.free_port()
    with servers._running(
        f"quiet-{port}",
        [*command, "run", "--model", str(servers.MODEL), "--interface", "127.0.0.1"]
        + ["--port", str(port), "--credentials", "credentials.yml"],
        servers._env(
            TRACKER_DB_PATH=str(servers.ARTIFACTS / f"quiet-{port}.db"), **env
        ),
        f"http://127.0.0.1:{port}/",
        servers.READY_TIMEOUT,
    ):
        pass
    return (servers.ARTIFACTS / f"quiet-{port}.log").read_text(errors="replace")


def test_scripts_rasa_starts_the_server_without_a_deprecation_warning():
    output = _start_up_output([str(servers.ROOT / "scripts" / "rasa")])
    assert UP in output
    assert warnings_in(output) == [], output


def test_plain_rasa_run_prints_none_once_it_loads_the_project():
    """Rasa prints 9 while importing itself, before it reads credentials.yml."""
    output = _start_up_output([str(servers.BIN / "rasa")])
    assert UP in output
    first_project_line = output.index("channels.slack")  # "Slack is off ..."
    assert warnings_in(output[first_project_line:]) == [], output
    assert len(warnings_in(output[:first_project_line])) <= 9, output


def test_rasa_calls_the_hook_after_adding_its_own_filters():
    """infra.quiet.main relies on this order in Rasa's command line."""
    from rasa.__main__ import main

    source = inspect.getsource(main)
    assert source.index("configure_logging_and_warnings(") < source.index(
        "hook.configure_commandline("
    )


def test_the_switch_turns_the_filters_off(monkeypatch):
    from infra import quiet

    monkeypatch.setenv(quiet.SWITCH, "1")
    assert quiet.install() is False
    monkeypatch.delenv(quiet.SWITCH)
    assert quiet.install() is True
