"""An LLM team role through the local fake OpenAI-compatible endpoint: it gets its role's
tools and prompt, and its chat reaches the rest of the team."""

from __future__ import annotations

import warroom
from tests.fake_openai_server import FakeOpenAIServer
from warroom.env.roles import ROLES
from warroom.harness.team import build_team, play

SCENARIO = "db_connection_leak/app/easy/v1"


def test_llm_sre_with_oracle_teammates() -> None:
    ep = warroom.make_team(SCENARIO)
    ep.reset()
    truth = ep.inner.truths[0]
    ev = truth.evidence[0]
    line = (f"root cause 1: {truth.component} ({truth.category}), culprit {truth.culprit}. "
            f"fix: rollback_deploy {truth.component}")
    script = [{"tool_call": (ev.tool, dict(ev.args))},
              {"tool_call": ("say", {"to": "all", "message": line})}] + \
        [{"tool_call": ("stand_by", {})}] * 40
    with FakeOpenAIServer(script) as srv:
        spec = f"sre=llm:model=fake-model,base_url={srv.url},oversight=oracle," \
               "developer=oracle,commander=oracle"
        label, policies = build_team(spec)
        result = play(warroom.make_team(SCENARIO), policies)
    assert label.startswith("team:sre=llm:model=fake-model")
    assert result["success"], result["gates"]
    first = srv.requests[0]
    sent = {t["function"]["name"] for t in first["tools"]}
    assert sent == set(ROLES["sre"].tool_names())
    assert "submit_report" not in sent and "SRE" in first["messages"][0]["content"]
    assert result["team"]["transcript"][0]["from"] == "sre"
    assert result["team"]["roles"]["sre"]["reads"] >= 1
