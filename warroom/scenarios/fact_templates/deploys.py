"""Fact-task templates of the deploys domain (see ``warroom.scenarios.fact_templates``)."""

from __future__ import annotations

from ...types import ToolCall
from ...world.faults import Truth
from ...world.world import World
from ..spec import Scenario
from . import Draft, template


@template("deploys")
def live_release(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The release live on the service the page is about, and the one it replaced."""
    st = world.head
    svc_name = truths[0].component if truths and truths[0].component in st.services \
        else sorted(n for n, s in st.services.items() if s.release)[0]
    rels = sorted((r for r in st.releases.values() if r.service == svc_name
                   and r.deployed_at <= world.now), key=lambda r: (-r.deployed_at, r.id))
    live = st.services[svc_name].release
    decoys = tuple(r.id for r in rels if r.id != live)[:2]
    return Draft(f"Which release is live on {svc_name} right now? Give its release id.",
                 (live,), decoys, (ToolCall("list_deploys", {"service": svc_name}),))
