"""What the bot says, read from one file by both servers.

Every sentence a user reads lives in `actions/wording.yml`, as a template. A fact a
template states is a {placeholder} filled from the facts file,
`actions/certifications.yml`: the caller passes the facts it quotes, and the source
article's publisher, title, date and contact (`{publisher}`, `{title}`, `{date}`,
`{email}`) are filled in every template. The action server's `actions/advice.py`
composes its answers from these templates; the Rasa server's channels
(`channels/`) and `infra/action_failures.py` take their apologies and notes from
here too, so a reply and an apology can never drift apart.

This module reads the two YAML files directly and imports nothing of the action
server: the Rasa server shares the data files with it, not its reasoning code.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "actions"
WORDING_FILE = DATA_DIR / "wording.yml"
FACTS_FILE = DATA_DIR / "certifications.yml"
SOURCE_KEYS = {
    "publisher": "publisher",
    "title": "title",
    "date": "date",
    "email": "contact_email",
}


class DataFileError(ValueError):
    """A data file (the wording, the facts) is missing or malformed."""


def load_yaml(path: Path) -> dict[str, Any]:
    """Return a YAML file's top-level mapping.

    Raises:
        DataFileError: naming the file, when it is unreadable, not YAML or not a
            mapping.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as error:
        raise DataFileError(f"{path}: cannot be read ({error})") from error
    except yaml.YAMLError as error:
        raise DataFileError(f"{path}: is not valid YAML ({error})") from error
    if not isinstance(data, dict):
        raise DataFileError(f"{path}: must hold a mapping at the top level")
    return data


@cache
def templates(path: Path = WORDING_FILE) -> dict[str, Any]:
    """Return the wording file, loaded once."""
    return load_yaml(path)


@cache
def source_values(path: Path = FACTS_FILE) -> dict[str, str]:
    """The source article's facts every template may quote, from the facts file."""
    source = load_yaml(path).get("source")
    if not isinstance(source, dict):
        raise DataFileError(f"{path}: missing source")
    missing = [key for key in SOURCE_KEYS.values() if not source.get(key)]
    if missing:
        raise DataFileError(f"{path}: source: missing {', '.join(missing)}")
    return {name: str(source[key]) for name, key in SOURCE_KEYS.items()}


def template(section: str, key: str) -> Any:
    """The raw entry `section.key` of the wording file."""
    try:
        return templates()[section][key]
    except (KeyError, TypeError) as error:
        raise DataFileError(f"{WORDING_FILE}: no entry {section}.{key}") from error


def say(section: str, key: str, **values: Any) -> str:
    """Fill one template of the wording file.

    Args:
        section: the template's section (`recommend`, `apology` ...).
        key: the template's name in that section.
        **values: the placeholders it needs besides the source's facts.

    Raises:
        DataFileError: the template is missing or needs a value not given.
    """
    text = str(template(section, key))
    try:
        return text.format(**{**source_values(), **values})
    except (KeyError, IndexError) as error:
        raise DataFileError(
            f"{WORDING_FILE}: {section}.{key} needs {error} and none was given"
        ) from error
