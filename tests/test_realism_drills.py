"""Drills written from public postmortems with the later mechanisms (per-pod versions,
internal mTLS, bot-shipped edge rules, partial capacity removal, replication under write
load, autoscaler thrash, a blinded log pipeline): each file validates, the
oracle solves it, and a runbook heuristic fails it at medium and at hard."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from warroom.agents import make_policy
from warroom.env.episode import Episode
from warroom.harness.checker import check
from warroom.scenarios.files import examples, load, parse, validate
from warroom.scenarios.spec import Scenario

DRILLS = ("knight-2012-flag-old-server", "epic-2021-internal-cert",
          "cloudflare-2019-edge-rules", "aws-s3-2017-partial-capacity",
          "gitlab-2017-replication-write-load", "slack-2021-autoscaler-thrash",
          "debug-logging-blind-pipeline")


def _path(name: str) -> Path:
    return next(p for p in examples() if p.stem == name)


def _at_tier(path: Path, tier: str) -> Scenario:
    data = yaml.safe_load(path.read_text())
    data["tier"] = tier
    sc, problems = parse(data, path.stem)
    assert sc is not None and not problems, problems
    return sc


def _heuristic_wins(sc: Scenario) -> bool:
    ep = Episode(sc)
    obs = ep.reset(seed=0)
    policy = make_policy("heuristic")
    policy.reset(obs, ep.tools, 0, None)
    while not ep.done:
        obs = ep.step(policy.act(obs)).observation
    return bool((ep.result or {}).get("success"))


@pytest.mark.parametrize("name", DRILLS)
def test_a_drill_validates_and_the_oracle_solves_it(name: str) -> None:
    path = _path(name)
    assert validate(path) == []
    sc = load(path)
    assert sc.description and sc.source
    report = check(sc, 0)
    assert report.ok, report


@pytest.mark.parametrize("name", DRILLS)
def test_a_runbook_heuristic_fails_a_drill_at_medium_and_hard(name: str) -> None:
    for tier in ("medium", "hard"):
        sc = _at_tier(_path(name), tier)
        assert len(sc.distractors) == {"medium": 2, "hard": 3}[tier]
        assert not _heuristic_wins(sc), (name, tier)
