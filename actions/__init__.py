"""Custom actions and the knowledge behind them, served by `rasa run actions`."""
