"""`python -m medshare` is the `medshare` command."""

from medshare.cli.main import app

app(prog_name="medshare")
