"""`medshare supplies`: allocate the open requests, commit a run, check the stock ledger."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from medshare.accounts import service as accounts
from medshare.cli.context import cli_transaction
from medshare.errors import DomainError
from medshare.supplies import service as supplies
from medshare.supplies.models import AllocationRun
from medshare.supplies.schemas import RunIn

app = typer.Typer(help="Emergency supplies: allocate stock and capacity to requests, track shipments.",
                  no_args_is_help=True)
console = Console(stderr=True)
User = Annotated[str, typer.Option("--user", help="the account the run acts as (a regulator)")]


def _fail(error: DomainError) -> None:
    console.print(f"[red]error:[/red] {error.message}")
    for problem in error.problems:
        console.print(f"  {problem.field}: {problem.message} [dim]({problem.rule})[/dim]")
    raise typer.Exit(2)


def _show(run: AllocationRun) -> None:
    figures = run.figures
    methods = ("optimal", "fcfs", "proportional")
    table = Table(title=f"allocation run {run.id} ({run.status.value})")
    table.add_column("minimum / mean fill")
    for name in methods:
        table.add_column(name, justify="right")
    for code in supplies.policy().codes:
        cells = []
        for name in methods:
            c = figures.get("methods", {}).get(name, {}).get("by_class", {}).get(code)
            cells.append(f"{c['min_fill']:.0%} / {c['mean_fill']:.0%}" if c else "—")
        if any(cell != "—" for cell in cells):
            table.add_row(code, *cells)
    table.add_row("transport (unit-km)", *(str(figures.get("methods", {}).get(n, {}).get("transport_cost_unit_km"))
                                           for n in methods))
    Console().print(table)
    console.print(f"{figures.get('requests', 0)} requests, {figures.get('lines', 0)} shipment lines; "
                  f"what bound the rest: {figures.get('bounds', {})}; seconds {figures.get('seconds', {})}")
    if "commit" in figures:
        console.print(f"commit: {figures['commit']}")


@app.command("allocate")
def allocate(
    user: User,
    item: Annotated[list[str] | None, typer.Option(help="only requests for this item code (repeatable)")] = None,
    horizon: Annotated[int, typer.Option(min=1, max=30, help="days ahead")] = 7,
    commit: Annotated[bool, typer.Option(help="create the shipment orders at once")] = False,
) -> None:
    """Allocate the supply within reach to every open request (and commit it with --commit)."""
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=console) as bar, cli_transaction() as session:
            task = bar.add_task("allocating", total=None)
            actor = accounts.principal_of(accounts.get_user_by_name(session, user))
            run = supplies.propose(session, actor, RunIn(horizon_days=horizon, item_codes=item or []))
            if commit:
                bar.update(task, description="committing")
                run = supplies.commit(session, actor, run)
            bar.update(task, description="done")
            _show(run)
    except DomainError as error:
        _fail(error)


@app.command("commit")
def commit_run(user: User, run_id: Annotated[int, typer.Argument(help="the proposed run")]) -> None:
    """Turn a proposed run into shipment orders."""
    try:
        with cli_transaction() as session:
            actor = accounts.principal_of(accounts.get_user_by_name(session, user))
            _show(supplies.commit(session, actor, supplies.get_run(session, actor, run_id)))
    except DomainError as error:
        _fail(error)


@app.command("ledger")
def ledger() -> None:
    """Check that the stock ledger balances against every lot and every shipment in transit (exit 1 if not)."""
    with cli_transaction() as session:
        problems = supplies.ledger_problems(session)
    if problems:
        for problem in problems[:50]:
            console.print(f"[red]✗[/red] {problem}")
        raise typer.Exit(1)
    console.print("the stock ledger balances: every location's lots, every shipment in transit")
