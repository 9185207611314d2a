"""The `medshare` command: one Typer app (cli.main) with a sub-app per domain."""
