"""`warroom serve mcp --domain D`: one subagent's server lists exactly that domain's tools
(plus the session tools, start_task and answer), a tool call works on a live incident and
on a fact task, whose answer is graded by facts and decoys; several domains get one
endpoint each on the same incidents; driven by the official MCP client over stdio and
HTTP, and in process.

Needs the ``mcp`` extra; runs in its own environment (see ``.ci/steps/adapters.sh``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

import warroom
from warroom.scenarios.fact_templates import open_task, task_refs
from warroom.servers.episodes import EpisodeStore
from warroom.servers.mcp_domain import DomainIncidentTools, domain_definitions
from warroom.servers.process import ServerProcess
from warroom.tools.slices import DOMAINS, READ_DOMAINS

SCENARIO = "db_connection_leak/app/easy/v1"
SESSION = {"start_incident", "end_incident", "start_task"}
WITH_TASKS = [d for d in READ_DOMAINS if task_refs(domain=d, split="dev")]


def _text(result: Any) -> str:
    return str(result.content[0].text)


def _task(domain: str) -> Any:
    """The first dev task of the domain that has a decoy (else the first)."""
    tasks = [open_task(r["id"]) for r in task_refs(domain=domain, split="dev")[:8]]
    return next((t for t in tasks if t.decoys), tasks[0])


def test_deploys_has_tasks() -> None:
    assert "deploys" in WITH_TASKS


@pytest.mark.parametrize("domain", list(DOMAINS))
def test_definitions_are_exactly_the_domains_tools(domain: str) -> None:
    names = [d["name"] for d in domain_definitions(domain)]
    own = [s.name for s in DOMAINS[domain].tools()]
    reads = domain in READ_DOMAINS
    assert set(names) - SESSION - {"answer"} == set(own) and len(names) == len(set(names))
    assert ("answer" in names) == reads and ("start_task" in names) == reads
    for d in domain_definitions(domain):
        if d["name"] in own:
            assert d["inputSchema"]["required"][0] == "episode_id"
    with pytest.raises(KeyError, match="unknown domain"):
        domain_definitions("payments")


@pytest.mark.parametrize("domain", WITH_TASKS)
def test_fact_task_in_process_is_graded_by_facts_and_decoys(domain: str) -> None:
    tools = DomainIncidentTools(domain, EpisodeStore(max_open=4))
    task = _task(domain)
    for text, success in ((" ".join(task.facts), True),
                          (" ".join([*task.facts, *task.decoys]), not task.decoys)):
        opened = tools.call("start_task", {"task": task.id})
        assert not opened.is_error, opened.text
        assert task.question in opened.text and task.scenario.id not in opened.text
        eid = opened.structured["episode_id"]
        for call in task.reads:
            out = tools.call(call.name, {"episode_id": eid, **call.arguments})
            assert not out.is_error and out.structured["step"] >= 1
        done = tools.call("answer", {"episode_id": eid, "text": text})
        assert done.structured["done"] and done.structured["result"]["success"] is success
        end = tools.call("end_incident", {"episode_id": eid})
        assert end.structured["answered"] and end.structured["result"]["success"] is success
    other = next(r["id"] for r in task_refs(split="dev") if r["domain"] != domain) \
        if len(WITH_TASKS) > 1 else "errors/x@" + SCENARIO
    assert tools.call("start_task", {"task": other}).is_error
    assert "unknown fact task" in tools.call("start_task", {"task": f"{domain}/nope@x"}).text
    assert tools.call("start_task", {"task": task.id, "seed": -1}).is_error


def test_incident_serves_the_domain_tools_only_with_the_flat_outputs() -> None:
    tools = DomainIncidentTools("deploys")
    opened = tools.call("start_incident", {"scenario": SCENARIO, "seed": 2})
    assert "INCIDENT PAGE" in opened.text and "deploys tools only" in opened.text
    assert opened.structured["tools"] == [s.name for s in DOMAINS["deploys"].tools()]
    eid = opened.structured["episode_id"]
    got = tools.call("list_deploys", {"episode_id": eid})
    flat = warroom.make(SCENARIO)
    flat.reset(seed=2)
    assert got.text == flat.step(warroom.ToolCall("list_deploys", {})).observation.text
    refused = tools.call("list_alerts", {"episode_id": eid})
    assert refused.is_error and "deploys tools only" in refused.text
    assert "ends a fact task" in tools.call("answer", {"episode_id": eid, "text": "x"}).text
    end = tools.call("end_incident", {"episode_id": eid})
    assert end.structured["steps"] == 1 and end.structured["reported"] is False


def test_stdio_cli_lists_exactly_the_domain_tools_and_plays_a_task() -> None:
    task = _task("deploys")
    params = StdioServerParameters(command=sys.executable, args=[
        "-m", "warroom", "serve", "mcp", "--domain", "deploys"])

    async def play() -> None:
        async with Client(params) as client:
            listed = [t.name for t in (await client.list_tools()).tools]
            assert set(listed) == SESSION | {"answer"} | {
                s.name for s in DOMAINS["deploys"].tools()}
            r = await client.call_tool("start_task", {"task": task.id})
            assert not r.is_error, _text(r)
            eid = r.structured_content["episode_id"]
            for call in task.reads:
                r = await client.call_tool(call.name, {"episode_id": eid, **call.arguments})
                assert not r.is_error, _text(r)
            bad = await client.call_tool("list_pods", {"episode_id": eid})
            assert bad.is_error and "deploys tools only" in _text(bad)
            done = await client.call_tool("answer", {"episode_id": eid,
                                                     "text": " ".join(task.facts)})
            assert done.structured_content["result"]["success"] is True
            assert done.structured_content["result"]["score"] == 1.0

    anyio.run(play)


def test_http_domain_server_and_refusals() -> None:
    with ServerProcess(["-m", "warroom", "serve", "mcp", "--transport", "http",
                        "--domain", "kubernetes"]) as srv:
        async def play() -> None:
            async with Client(f"{srv.url}/mcp") as client:
                listed = {t.name for t in (await client.list_tools()).tools}
                assert listed == SESSION | {"answer"} | {
                    s.name for s in DOMAINS["kubernetes"].tools()}
                r = await client.call_tool("start_incident", {"scenario": SCENARIO})
                eid = r.structured_content["episode_id"]
                pods = await client.call_tool("list_pods", {"episode_id": eid})
                assert not pods.is_error and pods.structured_content["tool"] == "list_pods"

        anyio.run(play)
    with pytest.raises(ValueError, match="not both"):
        from warroom.servers.mcp_server import incident_tools

        incident_tools(team=True, domain="errors")


def test_cli_refuses_an_unknown_domain_and_team_with_domain() -> None:
    base = [sys.executable, "-m", "warroom", "serve", "mcp"]
    bad = subprocess.run([*base, "--domain", "payments"], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and "unknown domain 'payments'" in bad.stderr
    both = subprocess.run([*base, "--domain", "errors", "--team"], capture_output=True,
                          text=True, timeout=60)
    assert both.returncode == 2 and "do not combine" in both.stderr


def test_two_domain_endpoints_act_on_one_live_incident() -> None:
    with ServerProcess(["-m", "warroom", "serve", "mcp", "--transport", "http",
                        "--domain", "deploys", "--domain", "errors"]) as srv:
        async def play() -> None:
            async with Client(f"{srv.url}/mcp/deploys") as deploys, \
                    Client(f"{srv.url}/mcp/errors") as errors:
                for client, domain in ((deploys, "deploys"), (errors, "errors")):
                    listed = {t.name for t in (await client.list_tools()).tools}
                    assert listed - SESSION - {"answer"} == {
                        s.name for s in DOMAINS[domain].tools()}
                r = await deploys.call_tool("start_incident", {"scenario": SCENARIO,
                                                               "seed": 1})
                eid = r.structured_content["episode_id"]
                first = await deploys.call_tool("list_deploys", {"episode_id": eid})
                second = await errors.call_tool("list_issues", {"episode_id": eid})
                assert not first.is_error and not second.is_error, _text(second)
                assert (first.structured_content["step"],
                        second.structured_content["step"]) == (1, 2)  # one episode
                assert second.structured_content["time"] > first.structured_content["time"]
                texts.extend([_text(first), _text(second)])
                crossed = await errors.call_tool("list_deploys", {"episode_id": eid})
                assert crossed.is_error and "errors tools only" in _text(crossed)
                end = await errors.call_tool("end_incident", {"episode_id": eid})
                assert end.structured_content["steps"] == 2

        texts: list[str] = []
        anyio.run(play)
        with urllib.request.urlopen(f"{srv.url}/health") as resp:
            health = json.load(resp)
        assert health["endpoints"] == {"deploys": "/mcp/deploys", "errors": "/mcp/errors"}
        assert health["open_episodes"] == 0
    flat = warroom.make(SCENARIO)  # the same calls on one flat episode read the same
    flat.reset(seed=1)
    assert texts == [flat.step(warroom.ToolCall(n, {})).observation.text
                     for n in ("list_deploys", "list_issues")]


def test_several_domains_need_http() -> None:
    run = subprocess.run([sys.executable, "-m", "warroom", "serve", "mcp", "--domain",
                          "errors", "--domain", "deploys"], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2 and "need --transport http" in run.stderr
