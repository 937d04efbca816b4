"""Physics: what the system does, computed from state at an instant (see ``flow.solve``)."""
