"""Custom Rasa graph components named in config.yml."""

from infra import quiet  # noqa: F401 (third-party deprecation warnings off; see it)
