"""`medshare bench NAME`."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from medshare.bench import BenchOptions, load_all


def bench(
    name: Annotated[str, typer.Argument(help="benchmark to run; `medshare bench list` names them")],
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object of figures")] = False,
    scale: Annotated[str, typer.Option(help="demo region scale: small, city or province")] = "city",
    seed: Annotated[int, typer.Option(help="demo region seed")] = 1,
    quick: Annotated[bool, typer.Option(help="a smoke run: small data, few repetitions")] = False,
) -> None:
    """Run a named benchmark on a freshly generated demo region and print its figures."""
    registry = load_all()
    if name == "list" or name not in registry:
        for known, (_, summary) in sorted(registry.items()):
            typer.echo(f"{known}\t{summary}")
        raise typer.Exit(0 if name == "list" else 2)
    fn, _ = registry[name]
    figures = fn(BenchOptions(scale=scale, seed=seed, quick=quick))
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, sort_keys=True))
        return
    table = Table(title=f"bench {name}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        table.add_row(key, json.dumps(value, ensure_ascii=False))
    Console().print(table)
