"""The hierarchy's domains cover the registry exactly once."""

from warroom.tools.registry import FINAL, load_all
from warroom.tools.slices import DOMAINS, READ_DOMAINS, TOP_LEVEL_GROUPS, domain_of


def test_interface_domain_names():
    assert set(READ_DOMAINS) == {"errors", "database", "deploys", "kubernetes",
                                 "observability", "fleet"}
    assert "operations" in DOMAINS


def test_every_tool_in_exactly_one_domain_or_top_level():
    for name, spec in load_all().items():
        owners = [d.name for d in DOMAINS.values() if spec in d.tools()]
        if spec.kind == FINAL or spec.domain in TOP_LEVEL_GROUPS:
            assert owners == [] or spec.kind != FINAL, name
            continue
        assert len(owners) == 1, (name, owners)
        assert domain_of(name) == owners[0]


def test_operations_holds_only_writes_and_reads_hold_no_writes():
    assert {s.kind for s in DOMAINS["operations"].tools()} == {"write"}
    for d in READ_DOMAINS:
        assert DOMAINS[d].tools(), d
        assert {s.kind for s in DOMAINS[d].tools()} == {"read"}
    assert domain_of("rollback_deploy") == "operations"
    assert domain_of("get_issue") == "errors"
    assert domain_of("submit_report") is None
