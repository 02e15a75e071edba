"""Third-party deprecation warnings kept out of the Rasa server's output.

Starting Rasa 3.6 printed 17 deprecation warnings (36 lines) from the
libraries it imports (SQLAlchemy, pkg_resources, sanic-cors, TensorFlow, matplotlib
and packaging through pyparsing, typer and spaCy through Click) before the first
useful line. None is something this project or its users can act on.

`install()` hides exactly those, and only DeprecationWarnings (the category of all
17): each filter names the category and the module the warning is reported from
(or, for two that Python reports from the Rasa module importing the library, the
library's own message). Everything else still shows: errors and log lines are
never warnings, a deprecation from Rasa itself or from this project still prints,
and so does any warning a new library version adds. `ADVISOR_SHOW_WARNINGS=1`
switches it off.

Where it runs:
- imported by `channels/__init__.py` and `components/__init__.py`, which Rasa
  imports by name (credentials.yml, config.yml) in `rasa run`, `rasa shell`,
  `rasa train` and `rasa test`: every warning after that point is filtered;
- `python -m infra.quiet ARGS` is `rasa ARGS` with the filters in place before Rasa
  imports anything, for the warnings Rasa's own imports print before it loads a
  project module (9 of the 17 in `rasa run`). `scripts/rasa` and the Docker image
  start Rasa this way.

Sanic adds `filterwarnings("once", category=DeprecationWarning)` when it is
imported, in front of any earlier filter: sanic is imported here first, so that
these filters come before Sanic's.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import pluggy

SWITCH = "ADVISOR_SHOW_WARNINGS"

# The modules the warnings are reported from: the library that calls a deprecated
# API (matplotlib and packaging call pyparsing's, typer and spaCy call Click's).
THIRD_PARTY_MODULES = (
    "matplotlib",
    "packaging",
    "pkg_resources",
    "sanic_cors",
    "spacy",
    "tensorflow",
    "typer",
)
MODULE_PATTERN = "({})(\\..*)?$".format("|".join(THIRD_PARTY_MODULES))

# Reported from the Rasa module that imports the library, so told by the message.
LIBRARY_MESSAGES = (
    # setuptools, on `import pkg_resources` (rasa.shared.utils.validation)
    r"pkg_resources is deprecated as an API",
    # SQLAlchemy's one summary warning for the 1.4 API (rasa.core.tracker_store)
    r"Deprecated API features detected! These feature\(s\) are not compatible "
    r"with SQLAlchemy 2\.0",
)


def enabled() -> bool:
    """False when ADVISOR_SHOW_WARNINGS=1 asks for every warning."""
    return os.environ.get(SWITCH, "").strip() != "1"


def install() -> bool:
    """Put the filters in front of the others; idempotent. True when installed."""
    if not enabled():
        return False
    import sanic.app  # noqa: F401 (its own "once" filter must come before ours)

    warnings.filterwarnings(
        "ignore", category=DeprecationWarning, module=MODULE_PATTERN
    )
    for message in LIBRARY_MESSAGES:
        warnings.filterwarnings("ignore", message=message, category=DeprecationWarning)
    return True


class _FiltersAfterRasaLogging:
    """A Rasa plugin (rasa.plugin's hooks) that puts the filters back in front.

    Rasa's command line adds `filterwarnings("once", category=UserWarning)` when it
    configures logging, in front of ours, and pyparsing's deprecations are also
    UserWarnings; `configure_commandline` is the hook Rasa calls right after.
    """

    @pluggy.HookimplMarker("rasa")
    def configure_commandline(self, cmdline_arguments: Any) -> None:
        install()


def main(argv: list[str] | None = None) -> Any:
    """`rasa ARGS` with the filters installed before Rasa imports anything."""
    install()
    from rasa.__main__ import main as rasa_main
    from rasa.plugin import plugin_manager

    if enabled():
        plugin_manager().register(_FiltersAfterRasaLogging())
    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    return rasa_main()


install()

if __name__ == "__main__":
    sys.exit(main())
