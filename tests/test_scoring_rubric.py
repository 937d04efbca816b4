"""Rubric tree arithmetic, exact-token matching and the reward-config registry."""

from __future__ import annotations

import json

import pytest

from warroom.scoring import CONFIGS, get_config
from warroom.scoring.configs import register_config
from warroom.scoring.rubric import deduct, leaf, mean, not_applicable, product
from warroom.scoring.tokens import named, named_all


def test_mean_renormalizes_over_applicable_children() -> None:
    n = mean("m", [leaf("a", 1.0, weight=0.3), leaf("b", 0.5, weight=0.1),
                   not_applicable("c", "n/a", weight=0.6)])
    assert n.score == pytest.approx((0.3 * 1.0 + 0.1 * 0.5) / 0.4)


def test_mean_of_nothing_is_zero_not_one() -> None:
    assert mean("m", [not_applicable("x", "n/a")]).score == 0.0


def test_product_and_deduct() -> None:
    assert product("p", [leaf("a", 0.5), leaf("b", 0.4)]).score == pytest.approx(0.2)
    assert deduct("d", [leaf("a", 0.85), leaf("b", 0.7)]).score == pytest.approx(0.55)
    assert deduct("d", [leaf("a", 0.2), leaf("b", 0.1)]).score == 0.0
    assert deduct("d", []).score == 1.0


def test_scores_are_clamped_and_tree_is_json() -> None:
    root = product("root", [mean("m", [leaf("a", 1.7), leaf("b", -2.0)]), leaf("s", 1.0)])
    assert root.find("m.a").score == 1.0 and root.find("m.b").score == 0.0
    d = json.loads(json.dumps(root.to_dict()))
    assert d["children"][0]["children"][1]["score"] == 0.0
    assert root.flat()["root.m"] == pytest.approx(0.5)


@pytest.mark.parametrize("token,text,expected", [
    ("team-42", "owned by team-42.", True),
    ("team-42", "owned by team-421", False),
    ("team-42", "owned by xteam-42", False),
    ("team-42", "TEAM-42 again", True),
    ("charge", "in billing.charge()", False),
    ("billing.charge", "in billing.charge().", True),
    ("42", "exactly 42 times", True),
    ("42", "4.42 seconds", False),
    ("42", "port 42:80", False),
    ("c0ffee", "GET /v1/calls/c0ffee", True),
    ("", "anything", False),
])
def test_exact_tokens(token: str, text: str, expected: bool) -> None:
    assert named(token, text) is expected


def test_named_all_keeps_order_without_repeats() -> None:
    assert named_all(["b-2", "a-1", "b-2", "c-3"], "a-1 and b-2") == ["b-2", "a-1"]


def test_config_names_and_versions() -> None:
    assert get_config(None).id == "standard/v1"
    assert get_config("default") is get_config("standard") is CONFIGS["standard/v1"]
    assert get_config("strict/v1").name == "strict"
    with pytest.raises(KeyError, match="standard/v1"):
        get_config("nope")


def test_config_digest_is_stable_and_distinct() -> None:
    digests = {c.digest() for c in CONFIGS.values()}
    assert len(digests) == len(CONFIGS)
    assert get_config("standard").digest() == get_config("standard/v1").digest()
    rec = get_config("binary").record()
    assert rec["id"] == "binary/v1" and rec["version"] == 1


def test_published_config_cannot_be_replaced() -> None:
    with pytest.raises(ValueError, match="new version"):
        register_config(get_config("standard"))


def test_weights_cover_every_node() -> None:
    for cfg in CONFIGS.values():
        assert set(cfg.weights) == {"diagnosis", "mitigation", "evidence", "efficiency",
                                    "communication", "oversight", "facts"}
        assert sum(cfg.diagnosis_parts.values()) == pytest.approx(1.0)
