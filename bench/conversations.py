"""What the simulated users say to each bot."""

from __future__ import annotations

import random
from pathlib import Path

import yaml

# Advisor conversations, built from the README, the end-to-end tests and the held-out
# NLU data: greetings, job descriptions (clear and ambiguous, answered by text or by a
# button payload), "why?", "what about the other one?", "compare them", fact questions,
# facts the article lacks, chit-chat.
ADVISOR_CONVERSATIONS: list[list[str]] = [
    [
        "hello",
        "I'm a machine learning engineer building recommendation models",
        "why?",
        "what about the other one?",
        "compare them",
        "does CAIM need programming?",
        "thanks",
        "bye",
    ],
    [
        "hi there",
        "I run our company's AI programme and report its ROI to the board",
        "why?",
        "what does CAIM cover?",
        "how much does CAIM cost?",
        "thank you",
    ],
    [
        "I'm a compliance officer at a bank",
        "I set the AI governance policy",
        "why?",
        "compare them",
        "goodbye",
    ],
    [
        "hey",
        "I work in IT",
        "does CAIP need programming?",
        "I mostly build and deploy the models myself",
        "what tools does CAIP use?",
        "bye",
    ],
    [
        "good morning",
        "computer vision engineer at a car maker",
        "what are the prerequisites for CAIP",
        "when is the next CAIM exam?",
        "are you a bot?",
        "bye",
    ],
    [
        "I'm a nurse",
        "/describe_job_builder",
        "why?",
        "where do these facts come from?",
        "thanks",
    ],
    [
        "hello",
        "head of digital transformation, I decide which AI use cases we fund",
        "compare them",
        "what about the other one?",
        "who is CAIP for?",
        "bye",
    ],
    [
        "what is the difference between CAIP and CAIM?",
        "I'm a data scientist",
        "why?",
        "what will I be able to do after CAIP?",
        "ok thanks, bye",
    ],
    [
        "hi",
        "I'm the chief technology officer",
        "/describe_job_leader",
        "why?",
        "how do I choose?",
        "thank you",
    ],
    [
        "I'm a risk manager",
        "does CAIM need programming?",
        "I mostly oversee governance",
        "what about the other one?",
        "compare them",
        "bye",
    ],
]

# One long advisor conversation (same sender) for the growth measurement: a job, then
# follow-ups and fact questions, with a new job description now and then.
ADVISOR_LONG_CYCLE = [
    "why?",
    "compare them",
    "what about the other one?",
    "does CAIM need programming?",
    "what does CAIP cover?",
    "who is CAIM for?",
    "how much does CAIP cost?",
    "thanks",
    "I'm a data scientist",
    "what will I be able to do after CAIM?",
]


def stock_conversations(
    project: Path, seed: int = 7, count: int = 40
) -> list[list[str]]:
    """Conversations for the stock bot, following its own stories and rules, with
    user texts drawn from its own NLU data."""
    nlu = yaml.safe_load((project / "data" / "nlu.yml").read_text(encoding="utf-8"))
    examples: dict[str, list[str]] = {}
    for item in nlu.get("nlu", []):
        if "intent" in item:
            examples[item["intent"]] = [
                line[2:].strip()
                for line in item["examples"].splitlines()
                if line.strip().startswith("- ")
            ]
    shapes = [  # the init bot's stories (happy, sad 1, sad 2) plus its two rules
        ["greet", "mood_great", "goodbye"],
        ["greet", "mood_unhappy", "affirm", "goodbye"],
        ["greet", "mood_unhappy", "deny"],
        ["greet", "bot_challenge", "mood_great", "goodbye"],
        ["bot_challenge", "greet", "mood_unhappy", "affirm"],
    ]
    rng = random.Random(seed)
    return [
        [rng.choice(examples[intent]) for intent in shapes[i % len(shapes)]]
        for i in range(count)
    ]
