"""The `medshare` command: one Typer app with a sub-app per domain."""

from medshare.cli.main import app

__all__ = ["app"]
