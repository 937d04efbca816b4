"""The ``warroom`` command line (typer). Every command also has ``--json``."""
