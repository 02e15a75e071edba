"""The decision a user gets, from the trained model's NLU and the advisor's rule.

Loads the trained model once (models/advisor.tar.gz, as `make train` writes it)
and, for a text, returns what the advisor would do with it as a first message:
"CAIP", "CAIM", "ask" (the clarifying question), or "other:<intent>" when the
message would not be read as a job description at all (a question, chit-chat,
the fallback). This is the same path as the action server's `action_assess_job`.
"""

from __future__ import annotations

import asyncio
from functools import cache
from pathlib import Path
from typing import Any

from actions import decision as dec

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "advisor.tar.gz"
DESCRIBE = "describe_job_"


class AdvisorNLU:
    """The trained NLU plus the decision rule."""

    def __init__(self, model: Path = MODEL) -> None:
        from rasa.core.agent import Agent

        self._agent = Agent.load(str(model))
        self._loop = asyncio.new_event_loop()

    def parse(self, text: str) -> dict[str, Any]:
        """Rasa's parse data for one message, as the tracker keeps it."""
        return self._loop.run_until_complete(self._agent.parse_message(text))

    def decide(self, text: str) -> tuple[str, dec.Decision | None, dict[str, Any]]:
        """(label, decision, parse) for one first message."""
        parse = self.parse(text)
        intent = (parse.get("intent") or {}).get("name") or ""
        if not intent.startswith(DESCRIBE):
            return f"other:{intent}", None, parse
        found = dec.decide(dec.Evidence.from_parse(parse))
        return found.code or "ask", found, parse


@cache
def advisor() -> AdvisorNLU:
    """One loaded advisor per test session."""
    return AdvisorNLU()
