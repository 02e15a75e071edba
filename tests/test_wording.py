"""Words and facts, each in one place.

What the bot says is in actions/wording.yml; the facts are in
actions/certifications.yml; the question intents are listed once (`questions` in
the facts file) for the code. These tests check what a user would notice when that
breaks: a channel apologising in other words, a fact that no longer matches its
source, a question intent Rasa routes but the code does not answer.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from actions import actions as act
from actions import answers
from actions import knowledge as kb
from infra import action_failures, wording
from tests.conftest import make_tracker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import serve_web  # noqa: E402

# Every module the Rasa server loads from this project for its channels.
SERVER_MODULES = """
import importlib, json, pkgutil, sys
import channels
names = [f"channels.{m.name}" for m in pkgutil.iter_modules(channels.__path__)]
for name in names + ["infra.action_failures", "infra.wording"]:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m == "actions" or m.startswith("actions."))
print(json.dumps({"imported": names, "actions": loaded}))
"""


def _load(relative: str) -> Any:
    with open(ROOT / relative, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_the_channels_do_not_load_the_action_servers_code():
    result = subprocess.run(
        [sys.executable, "-c", SERVER_MODULES],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"channels.guard", "channels.guarded_rest", "channels.slack"} <= set(
        found["imported"]
    )
    assert found["actions"] == [], "a channel imports the action server's code"


# -- the apologies the channels send ------------------------------------------


def _rest_receive(on_new_message):
    from channels.guarded_rest import GuardedRestInput

    blueprint = GuardedRestInput().blueprint(on_new_message)
    for route in blueprint._future_routes:
        if route.uri == "/webhook":
            return route.handler
    raise AssertionError("the REST channel has no /webhook route")


def _post(receive, message: str, sender: str = "u1") -> tuple[int, list[str]]:
    body = json.dumps({"sender": sender, "message": message}).encode()
    reply = asyncio.run(receive(SimpleNamespace(body=body)))
    return reply.status, [m["text"] for m in json.loads(reply.body)]


async def _fails(message: Any) -> None:
    raise RuntimeError("the assistant broke")


async def _action_fails(message: Any) -> None:
    raise action_failures.ActionFailed("Action 'action_greet' failed.")


def test_the_rest_channel_apologises_in_the_wording_files_words():
    assert _post(_rest_receive(_fails), "hello") == (
        500,
        [wording.say("apology", "error")],
    )
    status, texts = _post(_rest_receive(_action_fails), "hello")
    assert (status, texts) == (503, [wording.say("apology", "action_failed")])
    # the contact a user is sent to is the facts file's, filled in
    assert kb.facts()["source"]["contact_email"] in texts[0]
    assert _post(_rest_receive(_fails), " \t ") == (
        200,
        [wording.say("input", "empty")],
    )


def test_the_rest_channel_says_busy_in_the_wording_files_words():
    async def flood() -> tuple[int, list[str]]:
        release = asyncio.Event()

        async def slow(message: Any) -> None:
            await release.wait()

        receive = _rest_receive(slow)
        body = json.dumps({"sender": "u1", "message": "hi"}).encode()
        waiting = [
            asyncio.create_task(receive(SimpleNamespace(body=body))) for _ in range(8)
        ]
        await asyncio.sleep(0.05)
        refused = await receive(SimpleNamespace(body=body))
        release.set()
        await asyncio.gather(*waiting)
        return refused.status, [m["text"] for m in json.loads(refused.body)]

    assert asyncio.run(flood()) == (429, [wording.say("apology", "busy")])


def test_the_slack_channel_apologises_in_the_wording_files_words():
    from channels.slack import SlackFromEnv

    posted: list[dict[str, Any]] = []

    async def chat_post_message(**kwargs: Any) -> None:
        posted.append(kwargs)

    channel = SlackFromEnv("xoxb-1", "s3cret")
    channel.client = SimpleNamespace(proxy=None, chat_postMessage=chat_post_message)
    asyncio.run(channel._answer(_fails, "hello", "U1", {"out_channel": "C1"}))
    assert [p["text"] for p in posted] == [wording.say("apology", "error")]


# -- facts only in the facts file ---------------------------------------------


def _fact_values() -> list[str]:
    """Facts the bot states that must not be copied outside the facts file."""
    facts = kb.facts()
    values = [
        facts["source"]["publisher"],
        facts["source"]["contact_email"],
        facts["source"]["date"],
        facts["source"]["title"],
    ]
    for code in kb.CODES:
        cert = kb.certification(code)
        values += [cert["full_name"], cert["verbs_ing"], *cert["products"]]
        values += [cert["programming_in_short"], cert.get("without_tools") or ""]
    return [value for value in values if value]


@pytest.mark.parametrize(
    "relative",
    [
        "actions/wording.yml",
        "domain.yml",
        "web/index.html",
        "channels/guard.py",
        "channels/guarded_rest.py",
        "channels/guarded_socketio.py",
        "channels/slack.py",
        "infra/action_failures.py",
    ],
)
def test_no_fact_is_copied_out_of_the_facts_file(relative):
    text = (ROOT / relative).read_text(encoding="utf-8").lower()
    copied = [value for value in _fact_values() if value.lower() in text]
    assert copied == [], f"{relative} repeats facts: {copied}"


def test_sentences_that_quote_a_fact_say_the_facts_files_value():
    source = kb.facts()["source"]
    challenge = wording.say("replies", "bot_challenge")
    assert source["publisher"] in challenge and source["contact_email"] in challenge
    assert source["publisher"] in wording.say("replies", "greet")
    tools = answers.fact_answer("tools", "CAIP").blocks[0]
    for product in kb.certification("CAIM")["products"]:
        assert product in tools
    assert kb.certification("CAIP")["without_tools"] in tools


def test_every_fixed_reply_and_apology_fills_from_the_facts():
    for section in ("replies", "apology", "input"):
        for key in wording.templates()[section]:
            text = wording.say(section, key, limit="1,000")
            assert text and "{" not in text and "}" not in text, (section, key)


def test_a_missing_template_or_value_is_named():
    with pytest.raises(wording.DataFileError, match="replies.nonexistent"):
        wording.say("replies", "nonexistent")
    with pytest.raises(wording.DataFileError, match="needs 'limit'"):
        wording.say("input", "too_long")


def test_the_page_states_the_facts_files_facts():
    page = serve_web.page()
    assert "{{" not in page
    for code in kb.CODES:
        assert kb.certification(code)["full_name"] in page
        for audience in kb.certification(code)["audience"]:
            assert f"<li>{audience['text']}</li>" in page
    assert kb.facts()["source"]["contact_email"] in page
    with pytest.raises(serve_web.SetupError, match="certifications.CAIX"):
        serve_web.fill_facts("{{ certifications.CAIX.full_name }}", kb.facts())


# -- the fixed replies are sent by actions --------------------------------------


@pytest.mark.parametrize(
    "action",
    [
        act.ActionGreet,
        act.ActionHelp,
        act.ActionGoodbye,
        act.ActionThank,
        act.ActionBotChallenge,
        act.ActionOutOfScope,
    ],
)
def test_each_fixed_reply_is_sent_with_its_buttons(dispatcher, domain, action):
    asyncio.run(action().run(dispatcher, make_tracker("hi", "greet"), domain))
    [message] = dispatcher.messages
    assert message["text"] == wording.say("replies", action.reply)
    assert action().name() in domain["actions"]
    if action is act.ActionGreet:
        assert [b["payload"] for b in message["buttons"]] == [
            "/compare",
            "/ask_how_to_choose",
            "/ask_focus",
        ]


def test_restart_says_the_conversation_starts_over_then_restarts(dispatcher, domain):
    events = asyncio.run(
        act.ActionRestart().run(dispatcher, make_tracker("/restart", "restart"), domain)
    )
    [message] = dispatcher.messages
    assert message["text"] == wording.say("replies", "start_over")
    assert [e["event"] for e in events] == ["restart"]
    assert "action_restart" in domain["actions"]


# -- the question intents, listed once for the code -----------------------------


def _rule_intents_before(action: str) -> list[set[str]]:
    """For each rule that runs `action` after a user message: its intents."""
    found = []
    for path in sorted((ROOT / "data").rglob("*.yml")):
        for rule in _load(str(path.relative_to(ROOT))).get("rules") or []:
            steps = rule.get("steps") or []
            for step, after in zip(steps, steps[1:], strict=False):
                if after.get("action") != action:
                    continue
                if "intent" in step:
                    found.append({step["intent"]})
                elif "or" in step:
                    found.append({part["intent"] for part in step["or"]})
    return found


def test_rasa_routes_the_question_intents_the_code_answers():
    questions = set(kb.facts()["questions"])
    domain = _load("domain.yml")
    assert questions <= set(domain["intents"])
    [mapping] = domain["slots"]["ai_involvement"]["mappings"]
    assert questions <= set(mapping["not_intent"])  # a question is not an answer
    routed = _rule_intents_before("action_answer_question")
    assert len(routed) == 2, "one rule outside the form, one while it waits"
    assert all(intents == questions for intents in routed), routed


def test_every_question_intent_gets_an_answer_of_its_own():
    topics = kb.facts()["questions"]
    assert set(topics.values()) == set(answers.FACT_TOPICS)
    fallback = answers.fact_answer("no such topic", None).blocks
    for intent, topic in topics.items():
        assert kb.question_topic(intent) == topic
        assert answers.fact_answer(topic, "CAIP", "cost").blocks != fallback, intent
    assert kb.question_topic("greet") is None
