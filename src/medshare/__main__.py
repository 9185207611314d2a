"""`python -m medshare` is the `medshare` command."""

from medshare.cli import app

app(prog_name="medshare")
