"""The ReAct text protocol: rendering the tools and parsing one action per turn."""

from __future__ import annotations

import pytest

from warroom.agents.react import parse_action, render_instructions
from warroom.tools.registry import schemas
from warroom.types import ToolCall

NAMES = ["list_alerts", "search_logs", "submit_report"]


@pytest.mark.parametrize("text, call", [
    ("Thought: start\nAction: list_alerts\nAction Input: {}", ToolCall("list_alerts", {})),
    ("Action: list_alerts", ToolCall("list_alerts", {})),
    ("Thought: x\nAction: `search_logs`\nAction Input: {\"service\": \"db\"} then more",
     ToolCall("search_logs", {"service": "db"})),
    ("action: search_logs()\naction input: {\"service\": \"a\"}",
     ToolCall("search_logs", {"service": "a"})),
    ("Action: submit_report\nAction Input: {\"root_cause\": {\"component\": \"db\",\n"
     "  \"category\": \"x\", \"culprit\": null},\n \"summary\": \"multi\\nline\"}",
     ToolCall("submit_report", {"root_cause": {"component": "db", "category": "x",
                                               "culprit": None}, "summary": "multi\nline"})),
    ("Action: list_alerts\nAction Input: {}\nObservation: invented\nAction: search_logs",
     ToolCall("list_alerts", {})),
])
def test_valid_actions(text: str, call: ToolCall) -> None:
    parsed = parse_action(text, NAMES)
    assert parsed.error is None and parsed.call == call


@pytest.mark.parametrize("text, problem", [
    ("I would look at the logs.", "No Action found"),
    ("", "No Action found"),
    ("Final Answer: the db", "submit_report"),
    ("Action: list_alerts\nAction: search_logs", "exactly one Action"),
    ("Action: search_log\nAction Input: {}", "Did you mean search_logs"),
    ("Action: search_logs\nAction Input: {service: db}", "not valid JSON"),
    ("Action: search_logs\nAction Input: [\"db\"]", "must be a JSON object"),
])
def test_malformed_actions_say_what_is_wrong(text: str, problem: str) -> None:
    parsed = parse_action(text, NAMES)
    assert parsed.call is None and parsed.error is not None and problem in parsed.error


def test_thought_is_kept() -> None:
    assert parse_action("Thought: check alerts\nAction: list_alerts", NAMES).thought == \
        "check alerts"


def test_instructions_list_every_registry_tool_and_the_format() -> None:
    text = render_instructions(schemas())
    for tool in schemas():
        assert f"- {tool['function']['name']}(" in text
    assert "submit_report(root_cause: object, summary: string)" in text
    assert text.rstrip().endswith("use the action submit_report.")
