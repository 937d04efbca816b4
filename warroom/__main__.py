"""``python -m warroom``: the same command line as the ``warroom`` script."""

from .cli.main import app

app(prog_name="warroom")
