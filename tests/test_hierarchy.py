"""The orchestrator's episode: ask_<domain> tools over subagents on the live world, graded
like the flat Episode; determinism; the top level never sees raw tool output; bad calls."""

from __future__ import annotations

import warroom
from warroom.agents.orch_base import make_orchestrator
from warroom.agents.subagents import OperationsExpert, explicit_calls
from warroom.env.orchestrator import HierarchyEpisode
from warroom.harness.hierarchy import run_flat, run_hierarchical
from warroom.harness.policies import build, parse
from warroom.scenarios import get
from warroom.tools.slices import DOMAINS
from warroom.types import Observation, ToolCall

SID = "db_connection_leak/checkout/medium/v1"
HARD = "memory_leak/orders/hard/v2"


def play(name: str, sid: str = SID, seed: int = 0) -> HierarchyEpisode:
    ep = warroom.make_hierarchy(sid)
    obs = ep.reset(seed)
    pol = make_orchestrator(name)
    pol.reset(obs, ep.tools, 7, list(ep.truths) if pol.needs_truth else None)
    while not ep.done:
        obs = ep.step(pol.act(obs)).observation
    return ep


def test_top_level_tools_are_the_specialists_and_the_report() -> None:
    ep = warroom.make_hierarchy(SID)
    names = [t["function"]["name"] for t in ep.tools]
    assert names == [f"ask_{d}" for d in DOMAINS] + ["submit_report"]
    page = ep.reset(0)
    assert "ask_operations" in page.text and "database/connection_leak" in page.text


def test_heuristic_orchestrator_solves_through_subagents() -> None:
    ep = play("heuristic")
    assert ep.result["success"], ep.result["gates"]
    vias = {s.info["via"] for s in ep.trace}
    assert {"errors", "deploys", "observability", "operations"} <= vias
    assert ep.usage["subagent_calls"] == sum(s.info["via"] != "top" for s in ep.trace) > 10
    writes = [s.call.name for s in ep.trace if s.kind == "write"]
    assert "rollback_deploy" in writes and ep.result["mitigated"]
    assert ep.result["rubric"]  # graded by the flat grader's rubric tree
    assert all(s.info["via"] == "operations" for s in ep.trace if s.kind == "write")


def test_oracle_orchestrator_matches_the_flat_oracle() -> None:
    for sid in (SID, HARD, "rogue_autoscaler/catalog/medium/v1"):
        ep = play("oracle", sid)
        assert ep.result["success"], (sid, ep.result["gates"])
        flat = run_flat(build(parse("oracle")), get(sid), 0)
        assert flat["result"]["success"]
        # same evidence credit as the flat oracle: the subagents' reads reach the grader
        assert ep.result["metrics"]["evidence_coverage"] == \
            flat["result"]["metrics"]["evidence_coverage"]


def test_same_state_hash_and_result_twice() -> None:
    a, b = play("heuristic", HARD, 3), play("heuristic", HARD, 3)
    assert a.state_hash() == b.state_hash()
    assert a.result == b.result
    assert [s.text for s in a.top_trace] == [s.text for s in b.top_trace]
    other = play("heuristic", HARD, 4)
    assert other.state_hash() != a.state_hash()


def test_top_level_never_receives_raw_tool_output() -> None:
    ep = play("heuristic")
    seen = "\n".join(s.text for s in ep.top_trace)
    raw = [s for s in ep.trace if s.kind == "read" and s.ok and len(s.text) > 200]
    assert len(raw) >= 8
    for s in raw:
        assert s.text not in seen, s.call.name
    # and what it does receive is smaller than the raw outputs it stands for
    assert len(seen) < sum(len(s.text) for s in raw)


def test_bad_calls_are_observations_and_the_budget_truncates() -> None:
    ep = warroom.make_hierarchy(SID, max_steps=5)
    ep.reset(0)
    t0 = ep.world.now
    for call in (ToolCall("ask_nowhere", {"question": "x"}), ToolCall("list_issues", {}),
                 ToolCall("ask_errors", {}), {"name": "ask_errors", "arguments": "{bad"}):
        res = ep.step(call)
        assert not res.observation.ok and res.observation.text.startswith("ERROR")
        assert res.info["invalid"] and not res.done
    assert "ask_errors" in ep.top_trace[0].text  # the error names the valid tools
    assert ep.world.now > t0 and ep.usage["invalid"] == 4
    res = ep.step(ToolCall("ask_errors", {"question": "which issues are open?"}))
    assert res.observation.ok and res.truncated and ep.result is not None
    assert not ep.result["success"] and ep.result["metrics"]["invalid_actions"] == 4


def test_a_broken_subagent_answers_with_its_error() -> None:
    from warroom.agents.base import Policy

    class Crash(Policy):
        def act(self, observation: Observation) -> ToolCall:
            raise RuntimeError("model fell over")

    ep = warroom.make_hierarchy(SID, subagents={"errors": Crash})
    ep.reset(0)
    res = ep.step(ToolCall("ask_errors", {"question": "open issues?"}))
    assert res.observation.ok and "model fell over" in res.observation.text
    assert not res.done


def test_a_policy_object_can_be_a_subagent() -> None:
    from warroom.agents.subagents import heuristic_expert

    expert = heuristic_expert("fleet")
    ep = warroom.make_hierarchy(SID, subagents={"fleet": expert})
    ep.reset(0)
    for _ in range(2):  # the same object answers each question afresh
        res = ep.step(ToolCall("ask_fleet", {"question": "list_fleet_agents {}"}))
        assert res.observation.text.startswith("list_fleet_agents:")
    assert [s.call.name for s in ep.trace] == ["list_fleet_agents"] * 2


def test_operations_expert_executes_exact_and_plain_instructions() -> None:
    names = ["rollback_deploy", "pause_agent", "scale_service", "kill_query", "post_update"]
    text = ('rollback_deploy {"service": "checkout", "to_release": "rel-7"}\n'
            "pause cost-optimizer\nscale catalog to 6\n"
            'post_update {"status": "identified", "message": "a; b"}')
    ops = OperationsExpert("operations")
    ops.reset(Observation("", {"question": text}), [{"function": {"name": n}} for n in names],
              0)
    assert [(c.name, c.arguments.get("service") or c.arguments.get("agent")
             or c.arguments.get("status")) for c in ops.instructions()] == [
        ("rollback_deploy", "checkout"), ("pause_agent", "cost-optimizer"),
        ("scale_service", "catalog"), ("post_update", "identified")]
    assert explicit_calls("run list_issues service=checkout please", ["list_issues"]) == \
        [ToolCall("list_issues", {"service": "checkout"})]


def test_harness_counts_calls_and_top_context_tokens() -> None:
    sc = get(SID)
    flat = run_flat(build(parse("heuristic")), sc, 0, "flat:heuristic")
    hier = run_hierarchical(make_orchestrator("heuristic"), sc, 0, label="hierarchical:h")
    assert flat["result"]["success"] and hier["result"]["success"]
    fu, hu = flat["usage"], hier["usage"]
    assert fu["subagent_calls"] == 0 and fu["tool_calls"] == fu["top_calls"] > 10
    assert hu["subagent_calls"] >= 10 and hu["tool_calls"] == hu["subagent_calls"] + 1
    assert hu["top_context_tokens"] < fu["top_context_tokens"]
    assert hu["schema_tokens"] < fu["schema_tokens"]


def test_plain_questions_pick_the_domain_reads_and_answer_with_ids() -> None:
    ep = warroom.make_hierarchy(SID)
    ep.reset(0)
    cases = {
        "ask_errors": ("What is failing in the error tracker?", {"list_issues", "get_issue"},
                       "CHECKOUT-XTD"),
        "ask_database": ("Any locks or long transactions?", {"db_activity", "db_locks"}, ""),
        "ask_deploys": ("What changed recently?", {"list_deploys"}, "rel-4408"),
        "ask_kubernetes": ("Are pods crashing?", {"get_events", "list_pods"}, "checkout-"),
        "ask_observability": ("What errors does checkout log?",
                              {"get_service_map", "search_logs"}, "QueuePool"),
        "ask_fleet": ("What did the fleet do in the last hour?", {"list_fleet_actions"},
                      "config-sync"),
        "ask_operations": ("please fix whatever is wrong", set(), "nothing done"),
    }
    for tool, (question, reads, token) in cases.items():
        before = len(ep.trace)
        res = ep.step(ToolCall(tool, {"question": question}))
        assert res.observation.ok, tool
        assert {s.call.name for s in ep.trace[before:]} == reads, tool
        assert token in res.observation.text, (tool, res.observation.text[:300])
    assert not any(s.kind == "write" for s in ep.trace)


def test_state_hash_is_the_same_in_processes_with_other_hash_seeds() -> None:
    import os
    import subprocess
    import sys

    code = ("import warroom; from warroom.agents.orch_base import make_orchestrator as m\n"
            f"ep = warroom.make_hierarchy({HARD!r}); obs = ep.reset(1); p = m('heuristic')\n"
            "p.reset(obs, ep.tools, 7)\n"
            "while not ep.done: obs = ep.step(p.act(obs)).observation\n"
            "print(ep.state_hash(), ep.result['score'])")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env=dict(os.environ, PYTHONHASHSEED=seed)).stdout
            for seed in ("0", "12345")}
    assert len(outs) == 1 and len(next(iter(outs)).split()[0]) == 64


def test_subagent_specs_from_the_command_line() -> None:
    from warroom.harness.hierarchy import parse_subagents

    assert parse_subagents(None) is None and parse_subagents("heuristic") is None
    every = parse_subagents("llm:model=m,base_url=http://x/v1")
    assert every is not None and set(every) == set(DOMAINS)
    assert every["errors"] == {"llm": {"model": "m", "base_url": "http://x/v1"}}
    one = parse_subagents("errors=llm:model=a;database=heuristic")
    assert one == {"errors": {"llm": {"model": "a"}}, "database": "heuristic"}
