"""The structured oracle: the best next structured action from any state, for imitation.

``expert_action(env)`` reads the episode's ground truth (privileged: it is only the teacher
at training time; the student sees its own dashboard) and answers, for whatever state the
student reached, the action the oracle's plan would take next *in the structured face's
action space*: a read that would show evidence not yet seen, then the action whose tool
calls are a fault's declared fix (or one of its alternatives), a status update, a page to
the team that must follow up, and the report whose call names the true component and
category. Reads and fixes the face cannot express are skipped; when the true report is not
expressible it falls back to the best-ranked hypothesis's report. Used to label the states
of behaviour cloning and of DAgger (``ppo_imitation``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..agents.structured import ACTIONS, METRICS, Action, Dashboard
from ..env.episode import run_tool
from ..tools.registry import REGISTRY, WRITE
from ..types import ToolCall
from ..world.faults import FAULTS, Evidence, Truth

INDEX = {(a.kind, a.name, a.slot, a.family): i for i, a in enumerate(ACTIONS)}
REPORTS = [i for i, a in enumerate(ACTIONS) if a.kind == "report"]
VERDICT = {a.name: i for i, a in enumerate(ACTIONS) if a.kind == "verdict"}
# Global reads that show what a per-service call of the same tool shows (and more).
GLOBAL_FOR = {"get_events": "get_events", "list_fleet_actions": "list_fleet_actions",
              "list_issues": "list_issues", "list_flags": "list_flags",
              "provider_status": "provider_status", "queue_stats": "queue_stats",
              "cache_stats": "cache_stats", "db_locks": "db_locks"}
READ_FOR = {"search_logs": "logs", "get_config": "config", "list_pods": "pods",
            "describe_pod": "describe", "db_activity": "db_activity",
            "list_deploys": "history"}


SETTLE_S = 180.0
SWEEPS = ("list_deploys", "list_issues", "get_events", "list_fleet_actions")
ENABLING = ("drift", "history", "pods", "describe", "config", "logs", "errors", "saturation",
            "latency", "db_activity")


def _target(ev: Evidence) -> str | None:
    args = ev.args
    for key in ("service", "database"):
        if isinstance(args.get(key), str):
            return str(args[key])
    return None


def evidence_actions(board: Dashboard, ev: Evidence) -> list[int]:
    """Structured actions that may show ``ev`` (most direct first)."""
    out: list[int] = []
    if ev.tool in GLOBAL_FOR:
        out.append(INDEX[("global", GLOBAL_FOR[ev.tool], -1, "")])
    if ev.tool == "list_deploys":
        out.append(INDEX[("global", "list_deploys", -1, "")])
    target = _target(ev)
    if target is None or target not in board.slots:
        return out
    slot = board.slots.index(target)
    if ev.tool in READ_FOR:
        out.insert(0, INDEX[("read", READ_FOR[ev.tool], slot, "")])
    if ev.tool == "query_metrics":
        kind = board.notes.kind(target)
        metric = ev.args.get("metric")
        for name, per_kind in METRICS.items():
            if per_kind.get(kind) == metric:
                out.insert(0, INDEX[("read", name, slot, "")])
    return out


def _same(a: ToolCall, fix: dict[str, Any]) -> bool:
    return a.name == fix["name"] and dict(a.arguments) == dict(fix["arguments"])


def _made(trace: list[Any]) -> list[ToolCall]:
    return [s.call for s in trace if s.ok and s.kind == "write"]


def fixed(episode: Any, truth: Truth) -> bool:
    """Whether ``truth``'s root condition is gone now, or its declared fix was made."""
    if FAULTS[truth.fault].resolved(episode.world, truth):
        return True
    made = _made(episode.trace)
    return bool(truth.fix) and all(any(_same(c, f) for c in made) for f in truth.fix)


def _resolves(episode: Any, calls: list[ToolCall], truth: Truth) -> bool:
    """Whether making ``calls`` now (then a restart, where the fix restarts) removes
    ``truth``'s root condition (on a fork)."""
    world = episode.world.fork()
    restart = [ToolCall(f["name"], dict(f["arguments"])) for f in truth.fix
               if f["name"] == "restart_service"]
    for call in [*calls, *restart]:
        spec = REGISTRY.get(call.name)
        if spec is None or spec.kind != WRITE:
            return False
        _, _, ok, _ = run_tool(world, spec, call)
        if not ok:
            return False
    world.advance(SETTLE_S)  # a rollout or a restart takes a while to replace the pods
    return bool(FAULTS[truth.fault].resolved(world, truth))


def fix_action(episode: Any, board: Dashboard, mask: list[bool], truth: Truth) -> int | None:
    """A valid fix action for ``truth``: one whose calls are part of its declared fix (or
    of an alternative) not made yet, else one that removes the root condition on a fork."""
    made = _made(episode.trace)
    todos = [[f for f in opt if not any(_same(c, f) for c in made)]
             for opt in (truth.fix, *truth.alternatives)]
    slot = board.slots.index(truth.component) if truth.component in board.slots else -2
    candidates = [(i, board.calls(a)) for i, a in enumerate(ACTIONS)
                  if mask[i] and (a.kind == "fix" or (a.kind, a.name) == ("ranked", "remediate"))]
    near = [(i, calls) for i, calls in candidates  # only fixes on the fault's own component
            if ACTIONS[i].slot == slot or ACTIONS[i].kind == "ranked"]
    for i, calls in candidates:  # the next calls of a declared fix, in its order
        if calls and any(len(calls) <= len(todo) and all(
                _same(c, f) for c, f in zip(calls, todo, strict=False)) for todo in todos):
            return i
    for i, calls in near:
        if calls and _resolves(episode, calls, truth):
            return i
    return None


def report_action(board: Dashboard, mask: list[bool], truths: list[Truth]) -> int | None:
    """Focus on the primary fault's component, then the verdict naming its category."""
    if board.focus < 0:
        for t in truths:
            if t.component in board.slots:
                i = INDEX[("focus", "focus", board.slots.index(t.component), "")]
                if mask[i]:
                    return i
        return None
    focused = board.slots[board.focus]
    truth = next((t for t in truths if t.component == focused), truths[0])
    verdict = VERDICT.get(truth.category)
    return verdict if verdict is not None and mask[verdict] else None


def _first(mask: list[bool], candidates: Iterable[int | None]) -> int | None:
    return next((i for i in candidates if i is not None and mask[i]), None)


def _investigate(episode: Any, board: Dashboard) -> Iterator[int]:
    """The sweeps, then a read for every piece of evidence not seen yet."""
    yield from (INDEX[("global", name, -1, "")] for name in SWEEPS)
    seen = episode.grader.ledger.evidence_seen
    for k, ev in enumerate(episode.grader.gt.evidence):
        if k not in seen:
            yield from evidence_actions(board, ev)


def _mitigate(episode: Any, board: Dashboard, mask: list[bool], room: bool) -> int | None:
    """A fix for the first fault still there, else a read on its component that may
    fill a fix template in."""
    for t in episode.truths:
        if fixed(episode, t):
            continue
        i = fix_action(episode, board, mask, t)
        if i is not None:
            return i
        if room and t.component in board.slots:
            slot = board.slots.index(t.component)
            i = _first(mask, (INDEX[("read", name, slot, "")] for name in ENABLING))
            if i is not None:
                return i
    return None


def _page(episode: Any, board: Dashboard, mask: list[bool]) -> int | None:
    """Page the owner when the team it would page must still follow up."""
    paged = {s.call.arguments.get("team") for s in episode.trace
             if s.ok and s.call.name == "page_team"}
    need = {t.team for t in episode.truths if t.page_required and t.team} - paged
    i = INDEX[("comms", "page_owner", -1, "")]
    ok = bool(need) and mask[i] and board.calls(ACTIONS[i])[0].arguments["team"] in need
    return i if ok else None


def expert_action(env: Any) -> int:
    """The structured oracle's next action for the env's current state (always valid)."""
    board: Dashboard = env.unwrapped.dashboard
    episode = env.unwrapped.episode
    mask = board.mask()
    valid = [i for i, m in enumerate(mask) if m]
    if len(valid) == 1:
        return valid[0]
    truths: list[Truth] = list(episode.truths)
    room = board.budget - board.used > 3 + sum(len(t.fix) for t in truths)
    steps: list[Callable[[], int | None]] = [
        lambda: _first(mask, _investigate(episode, board)) if room else None,
        lambda: _mitigate(episode, board, mask, room),
        lambda: _first(mask, [INDEX[("comms", "post_update", -1, "")]]),
        lambda: _page(episode, board, mask),
        lambda: report_action(board, mask, truths),
        lambda: _first(mask, [INDEX[("ranked", "report", 0, "")], *REPORTS])]
    for step in steps:
        i = step()
        if i is not None:
            return i
    return valid[0]


__all__ = ["Action", "evidence_actions", "expert_action", "fix_action", "report_action"]
