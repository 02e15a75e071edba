"""Titles nobody listed, known by how people introduce them ("As a beekeeper, ...").

A frame names the person's job whatever its words are; the title grammar
(`components/titles.py`) then places it, or it stays a title no table knows.
No Rasa import.
"""

from __future__ import annotations

from components.titles import STOP

FRAME_OPENERS = {"as", "am", "'m", "im"}  # "As a ...", "I am a ...", "I'm a ..."
FRAME_ENDS = {
    "and", "who", "at", "in", "for", "with", "working", "that", "from", "on", "of",
    "i", "my", "since", "where", "which", "but", "so", "to", "by", "&",
}  # fmt: skip
NOT_TITLES = {
    "result", "team", "whole", "example", "matter", "rule", "consequence", "company",
    "business", "group", "side", "hobby", "bit", "lot", "little", "kid", "child",
    "person", "beginner", "newbie", "fan", "part", "member", "way", "first", "second",
}  # fmt: skip
FRAME_MAX = 5
AS_AFTER = {
    "work",
    "works",
    "worked",
    "working",
    "employed",
    "hired",
    "job",
    "serve",
    "serving",
    "started",
    "joined",
    "role",
    "i",
    "now",
    "currently",
}  # "work as a"


def frame_titles(
    tokens: list[tuple[str, bool]], title_ends: set[int] | frozenset[int] = frozenset()
) -> list[tuple[int, int]]:
    """Titles nobody listed, known by how people introduce them.

    "As a beekeeper, ...", "I'm an orthoptist", "I work as a ..." name the
    person's job whatever the words are. Returns (start, end) token spans.

    Args:
        tokens: (lower-case text, is alphabetic) for each token of the message.
        title_ends: where recognised titles end; "of" carries a frame on to
            one of them ("As a front of house manager").
    """
    spans = []
    for i, (lower, _) in enumerate(tokens):
        if lower not in FRAME_OPENERS:
            continue
        previous = tokens[i - 1][0] if i else "."
        if lower == "as" and previous not in AS_AFTER and previous.isalpha():
            continue  # "deployed it as an API" is no job title
        start = i + 1
        has_article = start < len(tokens) and tokens[start][0] in ("a", "an")
        if has_article:
            start += 1
        elif lower != "as":
            continue
        end = start
        while end < len(tokens) and end - start < FRAME_MAX:
            word, alpha = tokens[end]
            joined = end + 1 < len(tokens) and tokens[end + 1][1]
            if word == "-" and end > start and joined:
                end += 1  # a hyphenated word: "computer-aided", "e-learning"
                continue
            if not alpha or word in FRAME_ENDS or word in STOP:
                if word == "of" and any(end < e <= end + 3 for e in title_ends):
                    end += 1
                    continue
                break
            end += 1
        if end > start and tokens[end - 1][0] not in NOT_TITLES:
            spans.append((start, end))
    return spans
