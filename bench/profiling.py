"""Optional: where the advisor's servers spend their time, sampled with py-spy."""

from __future__ import annotations

import asyncio
import collections
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import BIN, RESULTS, ROOT, Deadline
from bench.load import Bot, post_turn

# (label, substrings of a frame); the first category any frame of a stack matches wins,
# so specific costs (schema validation, logging) come before the code that calls them.
PROFILE_CATEGORIES = [
    ("action response validation (jsonschema)", ("jsonschema/",)),
    ("logging", ("logging/__init__.py", "structlog/", "rasa/utils/log_utils")),
    ("response templating (nlg)", ("rasa/core/nlg/",)),
    (
        "spaCy",
        ("spacy/", "spacy_utils.py", "spacy_tokenizer.py", "spacy_entity_extractor.py"),
    ),
    (
        "DIET / TensorFlow",
        ("diet_classifier.py", "tensorflow/", "keras/", "rasa/utils/tensorflow/"),
    ),
    ("CountVectorsFeaturizer", ("count_vectors_featurizer.py", "sklearn/")),
    ("LexicalSyntacticFeaturizer", ("lexical_syntactic_featurizer.py",)),
    ("other NLU components", ("rasa/nlu/",)),
    ("tracker store (load/save)", ("tracker_store.py",)),
    (
        "action server call (HTTP client, payload)",
        ("rasa/utils/endpoints.py", "aiohttp/"),
    ),
    (
        "policies (rules, memoization, featurizing)",
        ("rasa/core/policies/", "rasa/core/featurizers/"),
    ),
    ("tracker / events bookkeeping", ("rasa/shared/core/",)),
    ("graph runner (dask)", ("dask/", "rasa/engine/")),
    (
        "other Rasa core (processor, agent, actions)",
        (
            "rasa/core/processor.py",
            "rasa/core/agent.py",
            "rasa/core/actions/",
            "rasa/core/lock",
        ),
    ),
    ("HTTP server (sanic), JSON", ("sanic/", "json/", "channels/")),
]


def categorize(stack: str) -> str:
    """Assign one sampled stack (py-spy raw format: frames outermost first, joined by
    ';') to a cost category; a stack that ends in the server's event loop is idle."""
    frames = stack.split(";")
    if frames and (
        frames[-1].startswith("serve (sanic/server/runners.py")
        or "selectors.py" in frames[-1]
    ):
        return "idle (waiting, e.g. for the action server)"
    for label, needles in PROFILE_CATEGORIES:
        if any(n in stack for n in needles):
            return label
    return "other"


def summarize_pyspy(raw: Path) -> dict[str, Any]:
    """Share of samples per cost category and the top 'self' functions, from py-spy's
    raw (collapsed) output; idle threads are counted separately."""
    cats: collections.Counter = collections.Counter()
    selfs: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        cats[categorize(stack)] += n
        selfs[stack.split(";")[-1]] += n
    return {
        "samples": total,
        "categories_pct": {k: round(100 * v / total, 1) for k, v in cats.most_common()}
        if total
        else {},
        "top_self": [[k, round(100 * v / total, 1)] for k, v in selfs.most_common(25)]
        if total
        else [],
    }


async def profile(
    bot: Bot, seconds: float, deadline: Deadline, stamp: str
) -> dict[str, Any]:
    pyspy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if not pyspy:
        return {"error": "py-spy not installed (.venv/bin/pip install py-spy)"}
    deadline.check("profiling", need=seconds + 30)
    out: dict[str, Any] = {"seconds": seconds}
    procs = {}
    for name, server in (("rasa", bot.rasa), ("actions", bot.actions)):
        if server is None:
            continue
        path = RESULTS / f"{stamp}-pyspy-{name}.txt"
        procs[name] = (
            path,
            subprocess.Popen(
                [
                    pyspy,
                    "record",
                    "--pid",
                    str(server.pid),
                    "--duration",
                    str(int(seconds)),
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--output",
                    str(path),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            ),
        )
    await asyncio.sleep(1.0)
    stop_at = time.monotonic() + seconds
    turns = 0

    async def drive() -> None:
        nonlocal turns
        async with aiohttp.ClientSession() as session:
            i = 0
            while time.monotonic() < stop_at:
                conv = bot.conversations[i % len(bot.conversations)]
                sender = f"bench-prof-{i}-{uuid.uuid4().hex[:6]}"
                for text in conv:
                    if time.monotonic() >= stop_at:
                        break
                    await post_turn(session, bot.url, sender, text, bot.timeout)
                    turns += 1
                i += 1

    await drive()
    for name, (path, proc) in procs.items():
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        if proc.returncode != 0 or not path.exists():
            out[name] = {"error": (err or b"").decode(errors="replace")[-500:]}
        else:
            out[name] = summarize_pyspy(path)
            out[name]["raw"] = str(path.relative_to(ROOT))
    out["turns"] = turns
    return out
