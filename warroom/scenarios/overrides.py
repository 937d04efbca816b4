"""Apply a scenario's topology overrides and traffic level to a freshly built world.

Overrides are part of the healthy baseline (history starts with them), so they are written
into the first state version rather than recorded as changes someone made.
"""

from __future__ import annotations

from ..world.world import World
from .spec import Scenario


def apply_overrides(world: World, scenario: Scenario) -> None:
    st = world.head
    if scenario.traffic != 1.0:
        st.traffic.multiplier = scenario.traffic
    for name, ov in scenario.overrides.items():
        svc = st.services[name]
        if ov.replicas is not None and ov.replicas != svc.replicas:
            keep = svc.pods[:ov.replicas]
            for i in range(len(keep), ov.replicas):
                template = svc.pods[i % len(svc.pods)]
                keep.append(type(template)(f"{template.name[:-1]}{i}", template.node,
                                           template.created_at, template.release,
                                           template.ready_delay))
            svc.pods = keep
            svc.replicas = ov.replicas
        if ov.cpu_millicores is not None:
            svc.cpu_millicores = ov.cpu_millicores
        if ov.mem_limit_mb is not None:
            svc.mem_limit_mb = ov.mem_limit_mb
        for key, value in ov.config.items():
            if value is None:
                svc.config.pop(key, None)
            else:
                svc.config[key] = value
