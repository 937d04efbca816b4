"""The deploy platform beyond the release list: diffs between releases, commit logs,
pipeline runs and build logs, per-pod rollout progress, config history and drift from the
config repository, and feature-flag details and history."""

from __future__ import annotations

import json
from typing import Any

from ...world import noise
from ...world.telemetry import fmt
from ...world.world import World
from ..common import component, one_of, window
from ..registry import READ, ToolError, ToolOutput, tool
from .deploys import DEPLOYABLE

CHORES = ("Bump lint rules", "Refactor request logging", "Add metrics for handler latency",
          "Update dependencies", "Fix flaky test", "Tidy error messages", "Document endpoint")


def _release(world: World, release_id: str) -> Any:
    rel = world.head.releases.get(release_id)
    if rel is None or rel.deployed_at > world.now:
        raise ToolError(f"unknown release {release_id!r}; ids come from list_deploys")
    return rel


def _history(world: World, service: str) -> list[Any]:
    return sorted((r for r in world.head.releases.values() if r.service == service
                   and r.deployed_at <= world.now), key=lambda r: (r.deployed_at, r.id))


def _previous(world: World, rel: Any) -> Any:
    hist = _history(world, rel.service)
    i = [r.id for r in hist].index(rel.id)
    return hist[i - 1] if i > 0 else None


def _commits(world: World, rel: Any) -> list[dict[str, str]]:
    """The commits a release brought: its head commit and a few seeded chores before it."""
    n = 1 + noise.bits(world.seed, noise.sid(rel.id), 41) % 3
    out = [{"commit": rel.commit[:12], "author": rel.author, "message": rel.message}]
    for i in range(n):
        out.append({"commit": noise.hexid(world.seed, 12, noise.sid(rel.id), 42, i),
                    "author": rel.reviewed_by or rel.author,
                    "message": noise.choice(world.seed, CHORES, noise.sid(rel.id), 43, i)})
    return out


@tool("deploys", READ, cost_s=5)
def diff_releases(world: World, from_release: str, to_release: str) -> ToolOutput:
    """Diff two releases of one service, like git diff: commits between them and the
    configuration each release set.

    Args:
        from_release: the older release id.
        to_release: the newer release id.
    """
    a, b = _release(world, from_release), _release(world, to_release)
    if a.service != b.service:
        raise ToolError(f"{from_release} is {a.service} and {to_release} is {b.service}; "
                        f"diff releases of one service")
    hist = _history(world, a.service)
    ids = [r.id for r in hist]
    lo, hi = sorted((ids.index(a.id), ids.index(b.id)))
    changes: dict[str, list[Any]] = {}
    for r in hist[lo + 1:hi + 1]:
        for k, (old, new) in r.config_diff.items():
            changes[k] = [changes.get(k, [old])[0], new]
    lines = [f"diff {hist[lo].id}..{hist[hi].id} ({a.service} {hist[lo].version} -> "
             f"{hist[hi].version})", "commits:"]
    commits = [c for r in hist[lo + 1:hi + 1] for c in _commits(world, r)]
    lines += [f"  {c['commit']} {c['author']}: {c['message']}" for c in commits]
    lines.append(f"--- a/config/{a.service}.env\n+++ b/config/{a.service}.env")
    for k, (old, new) in sorted(changes.items()):
        if old is not None:
            lines.append(f"-{k}={json.dumps(old)}")
        if new is not None:
            lines.append(f"+{k}={json.dumps(new)}")
    if not changes:
        lines.append(" (no configuration changes)")
    return ToolOutput("\n".join(lines), {"service": a.service, "from": hist[lo].id,
                                         "to": hist[hi].id, "commits": commits,
                                         "config_changes": changes})


@tool("deploys", READ, cost_s=4)
def release_commits(world: World, release_id: str) -> ToolOutput:
    """Show the git log of one release: the commits it brought since the release before.

    Args:
        release_id: a release id from list_deploys.
    """
    rel = _release(world, release_id)
    prev = _previous(world, rel)
    commits = _commits(world, rel)
    text = (f"git log {prev.commit[:12] if prev else '(root)'}..{rel.commit[:12]}  "
            f"({rel.service} {rel.version})\n" +
            "\n".join(f"commit {c['commit']}\nAuthor: {c['author']}\n    {c['message']}"
                      for c in commits))
    return ToolOutput(text, {"release": rel.id, "previous": prev.id if prev else None,
                             "commits": commits})


@tool("deploys", READ, cost_s=4)
def rollout_progress(world: World, service: str) -> ToolOutput:
    """Show which release each pod of a service runs, and whether it is ready: a canary
    or half-finished rollout shows as pods on two releases.

    Args:
        service: a deployable service.
    """
    component(world, service, DEPLOYABLE)
    snap = world.snapshot()[service]
    svc = world.head.services[service]
    by_rel: dict[str, int] = {}
    rows, data = [], []
    for p in snap.pods:
        if p.phase == "Terminated":
            continue
        by_rel[p.release] = by_rel.get(p.release, 0) + 1
        rows.append([p.name, p.release, "yes" if p.ready else "no", p.phase])
        data.append({"pod": p.name, "release": p.release, "ready": p.ready})
    state = "in progress" if svc.rollout else "complete"
    summary = ", ".join(f"{r}: {n} pod(s)" for r, n in sorted(by_rel.items()))
    return ToolOutput(f"{service} target release {svc.release} (rollout {state}); {summary}\n"
                      + fmt.table(["POD", "RELEASE", "READY", "PHASE"], rows),
                      {"service": service, "target": svc.release, "rollout": state,
                       "pods": data, "by_release": by_rel})


@tool("deploys", READ, cost_s=4)
def list_pipeline_runs(world: World, service: str | None = None, hours: int = 72
                       ) -> ToolOutput:
    """List CI/CD pipeline runs (build, test, deploy) newest first, with who triggered
    each, its duration and result.

    Args:
        service: only this service's pipelines.
        hours: how far back to look (1-720).
    """
    if service is not None:
        component(world, service)
    if not 1 <= hours <= 720:
        raise ToolError(f"hours must be between 1 and 720, got {hours}")
    rels = sorted((r for r in world.head.releases.values()
                   if (service is None or r.service == service)
                   and world.now - hours * 3600 <= r.deployed_at <= world.now),
                  key=lambda r: (-r.deployed_at, r.id))
    rows, data = [], []
    for r in rels[:30]:
        run = 50000 + noise.bits(world.seed, noise.sid(r.id), 44) % 40000
        dur = 240 + noise.bits(world.seed, noise.sid(r.id), 45) % 420
        rows.append([f"#{run}", r.service, r.id, r.author, fmt.ago(world.now - r.deployed_at)
                     + " ago", f"{dur // 60}m{dur % 60:02d}s", "passed"])
        data.append({"run": run, "service": r.service, "release": r.id, "triggered_by":
                     r.author, "duration_s": dur, "result": "passed"})
    return ToolOutput(fmt.table(["RUN", "PIPELINE", "RELEASE", "TRIGGERED BY", "STARTED",
                                 "DURATION", "RESULT"], rows) if rows else
                      f"No pipeline runs in the last {hours}h.", data)


@tool("deploys", READ, cost_s=5)
def get_build_log(world: World, release_id: str) -> ToolOutput:
    """Show the build and deploy log of one release's pipeline run.

    Args:
        release_id: a release id from list_deploys.
    """
    rel = _release(world, release_id)
    comp = world.topology[rel.service]
    t0 = world.wallclock(rel.deployed_at) - 400
    steps = [f"Cloning {rel.service} at {rel.commit[:12]}",
             f"Building image {comp.image}:{rel.version} ({comp.language})",
             "Running unit tests: all passed",
             f"Pushing {comp.image}:{rel.version}",
             f"Review: {'approved by ' + rel.reviewed_by if rel.reviewed_by else 'NO APPROVAL'}"]
    steps += [f"Config change {k}: {json.dumps(v[0])} -> {json.dumps(v[1])}"
              for k, v in sorted(rel.config_diff.items())]
    strategy = world.head.services[rel.service].config.get("ROLLOUT_STRATEGY", "RollingUpdate")
    steps.append(f"Deploying {rel.id} to prod ({strategy})")
    lines = [f"[{fmt.hms(t0 + 60 * i)}] {s}" for i, s in enumerate(steps)]
    return ToolOutput("\n".join(lines), {"release": rel.id, "steps": steps})


@tool("deploys", READ, cost_s=4)
def config_history(world: World, service: str) -> ToolOutput:
    """Show the configuration history of a component, newest first: changes made by
    releases and live changes (by people and fleet agents).

    Args:
        service: component name.
    """
    component(world, service)
    events: list[tuple[float, str, str]] = []
    for r in _history(world, service):
        for k, (old, new) in r.config_diff.items():
            events.append((r.deployed_at, f"{r.id} ({r.author})",
                           f"{k}: {json.dumps(old)} -> {json.dumps(new)}"))
    for rec in world.records:
        if rec.source == service and rec.kind == "config" and rec.t <= world.now:
            events.append((rec.t, "live change", rec.text))
    events.sort(key=lambda e: (-e[0], e[1], e[2]))
    rows = [[fmt.iso(world.wallclock(t)), who, what] for t, who, what in events[:30]]
    return ToolOutput(fmt.table(["TIME", "SOURCE", "CHANGE"], rows) if rows else
                      f"No configuration changes recorded for {service}.",
                      [{"time": r[0], "source": r[1], "change": r[2]} for r in rows])


@tool("deploys", READ, cost_s=4)
def config_drift(world: World, service: str) -> ToolOutput:
    """Diff a component's live configuration against the config repository's baseline,
    like git diff: keys added, removed or changed since the baseline.

    Args:
        service: component name.
    """
    component(world, service)
    base = world.topology.defaults[service]
    live = world.head.services[service].config
    lines = [f"--- baseline/config/{service}.env", f"+++ live/{service}"]
    drift = {}
    for k in sorted(set(base) | set(live)):
        if base.get(k) == live.get(k):
            continue
        drift[k] = [base.get(k), live.get(k)]
        if k in base:
            lines.append(f"-{k}={json.dumps(base[k])}")
        if k in live:
            lines.append(f"+{k}={json.dumps(live[k])}")
    if not drift:
        lines = [f"{service}: live configuration matches the baseline"]
    return ToolOutput("\n".join(lines), {"service": service, "drift": drift})


def _flag_changes(world: World, flag: str | None) -> list[dict[str, Any]]:
    out = []
    for rec in world.records:
        if rec.source == "flags" and rec.kind == "flag" and rec.t <= world.now:
            name = rec.text.split()[1] if len(rec.text.split()) > 1 else ""
            if flag is None or name == flag:
                out.append({"time": fmt.iso(world.wallclock(rec.t)), "flag": name,
                            "change": rec.text, "t": rec.t})
    return sorted(out, key=lambda e: -e["t"])


@tool("flags", READ, cost_s=3)
def get_flag(world: World, flag: str) -> ToolOutput:
    """Show one feature flag: state, owner, description, last change and its history.

    Args:
        flag: flag name from list_flags.
    """
    one_of(flag, sorted(world.head.flags), "flag")
    f = world.head.flags[flag]
    changes = _flag_changes(world, flag)
    lines = [f"{f.name}: {'ON' if f.enabled else 'OFF'}", f"owner: {f.owner}",
             f"description: {f.description}",
             f"last changed {fmt.iso(world.wallclock(f.updated_at))} by {f.updated_by}",
             "history:"] + [f"  {c['time']}  {c['change']}" for c in changes[:10]]
    if not changes:
        lines.append("  (no changes during the recorded window)")
    return ToolOutput("\n".join(lines), {"flag": f.name, "enabled": f.enabled,
                                         "owner": f.owner, "updated_by": f.updated_by,
                                         "updated_at": fmt.iso(world.wallclock(f.updated_at)),
                                         "history": [c["change"] for c in changes[:10]]})


@tool("flags", READ, cost_s=3)
def flag_history(world: World, minutes: int = 120) -> ToolOutput:
    """List feature-flag changes across all flags, newest first, and each flag's last
    change time and author.

    Args:
        minutes: how far back for the change log (1-120).
    """
    window(minutes)
    changes = [c for c in _flag_changes(world, None) if c["t"] >= world.now - minutes * 60]
    rows = [[f.name, "on" if f.enabled else "off", fmt.iso(world.wallclock(f.updated_at)),
             f.updated_by] for f in sorted(world.head.flags.values(), key=lambda f: (
                 -f.updated_at, f.name))]
    text = fmt.table(["FLAG", "STATE", "LAST CHANGED", "BY"], rows)
    text += "\nchanges in window:\n" + ("\n".join(f"  {c['time']}  {c['change']}"
                                                  for c in changes) or "  none")
    return ToolOutput(text, {"flags": [{"flag": r[0], "state": r[1], "last_changed": r[2],
                                        "by": r[3]} for r in rows],
                             "changes": [c["change"] for c in changes]})
