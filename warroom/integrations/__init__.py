"""Framework faces (Gymnasium, HUD, verifiers), each importing its framework lazily."""
