"""Input channels of the advisor (loaded by the Rasa server from credentials.yml)."""
