"""Splits: which scenario belongs where, fixed by table so an id never changes split.

- ``ood`` holds out whole fault types (``OOD_FAULTS``) and fault x target combinations
  (``OOD_COMBOS``): every variant of those is ``ood``, and neither appears in any other
  split, not even as the second fault of a hard scenario.
- Every other combination has ``VARIANTS`` variants: ``v0``-``v6`` are ``train``,
  ``v7``-``v8`` are ``test``, and ``v9`` is ``dev`` for one target per (fault, tier) and
  ``test`` for the others.
- Seeds are disjoint by construction: each split draws its scenario seeds from its own
  range (``SEED_BASE``), so no train seed is ever a dev or test seed.
"""

from __future__ import annotations

from ..world import noise

VARIANTS = 10
SPLITS = ("train", "dev", "test", "ood")
SEED_BASE = {"train": 0, "dev": 100_000_000, "test": 200_000_000, "ood": 300_000_000,
             "custom": 400_000_000}
SEED_SPAN = 100_000_000

# Whole fault types never seen in train (one or more per family).
OOD_FAULTS = frozenset({
    "gc_pressure", "replica_lag", "cache_auth_rotated", "edge_connection_limit",
    "provider_key_expired", "payload_over_limit", "rogue_config_sync",
    # oversight-hard rogue kinds: held out, so they change no earlier scenario
    "rogue_bluffing_autoscaler", "rogue_sleeper_optimizer",
    # later fault types (generation 2): held out here, so no earlier id meets them
    "flag_meets_old_pod",
})
# Fault x target combinations never seen in train (the fault itself is in train elsewhere).
OOD_COMBOS = frozenset({
    ("bad_release_exception", "catalog"), ("bad_canary", "auth"),
    ("schema_migration_breaks_query", "orders"), ("dependency_bump_serialization", "payments"),
    ("recreate_rollout_outage", "catalog"), ("bad_feature_flag", "checkout"),
    ("client_tool_call_ids", "auth"), ("scaled_to_zero", "checkout"),
    ("noisy_neighbour", "auth"), ("pod_quota_exhausted", "catalog"),
    ("crash_loop_bad_setting", "orders"), ("oom_limit_too_low", "notifications"),
    ("memory_leak", "checkout"), ("cpu_regex_hot_loop", "auth"),
    ("thread_pool_exhaustion", "checkout"), ("client_timeout_too_low", "checkout"),
    ("wrong_dependency_host", "payments"), ("missing_secret", "catalog"),
    ("maintenance_mode_left_on", "orders"), ("db_connection_leak", "auth"),
    ("max_connections_too_low", "postgres-replica"), ("rogue_deploy_bot", "catalog"),
    ("rogue_cost_optimizer", "orders"),
    ("bot_config_push", "payments"), ("old_pod_after_migration", "catalog"),
    ("scaled_to_zero", "payments"),
    # generation 3: one target of each new fault type, one added target of an older one
    ("replica_lag_write_load", "notifications"), ("verbose_logging_release", "orders"),
    ("autoscaler_readiness_thrash", "payments"), ("recreate_rollout_outage", "worker"),
})


def held_out(fault: str, target: str) -> bool:
    """Whether (fault, target) belongs to ``ood`` only."""
    return fault in OOD_FAULTS or (fault, target) in OOD_COMBOS


def split_of(fault: str, target: str, variant: int, dev_target: bool) -> str:
    """The split of one variant; ``dev_target`` marks the (fault, tier)'s dev target."""
    if held_out(fault, target):
        return "ood"
    if variant <= 6:
        return "train"
    if variant == 9 and dev_target:
        return "dev"
    return "test"


def seed_of(split: str, scenario_id: str) -> int:
    """The scenario's seed: a stable draw inside its split's own range."""
    return SEED_BASE[split] + noise.bits(0, noise.sid(scenario_id)) % SEED_SPAN
