"""Input channels of the advisor (loaded by the Rasa server from credentials.yml)."""

from infra import quiet  # noqa: F401 (third-party deprecation warnings off; see it)
