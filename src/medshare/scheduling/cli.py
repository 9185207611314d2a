"""`medshare schedule`: propose the region's (or a desk's) schedule, review its figures, commit it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from medshare.accounts import service as accounts
from medshare.cli.context import cli_transaction
from medshare.errors import DomainError
from medshare.scheduling import service as scheduling
from medshare.scheduling.models import SchedulingRun

app = typer.Typer(help="Regional exam scheduling: waiting lists to the region's free slots.", no_args_is_help=True)
console = Console(stderr=True)
User = Annotated[str, typer.Option("--user", help="the account the run acts as (a regulator or a desk's admin)")]


def _fail(error: DomainError) -> None:
    console.print(f"[red]error:[/red] {error.message}")
    for problem in error.problems:
        console.print(f"  {problem.field}: {problem.message} [dim]({problem.rule})[/dim]")
    raise typer.Exit(2)


def _show(run: SchedulingRun) -> None:
    figures = run.figures
    table = Table(title=f"scheduling run {run.id} ({run.status})")
    table.add_column("")
    for name in ("optimal", "home_only", "greedy"):
        table.add_column(name.replace("_", " "), justify="right")
    rows = [("weighted mean wait (days)", "weighted_mean_wait_days"), ("share within due", "share_within_due"),
            ("mean travel (km)", "mean_travel_km"), ("share unassigned", "share_unassigned"),
            ("utilisation spread across grades", "utilisation_spread")]
    for label, key in rows:
        table.add_row(label, *(str(figures.get(name, {}).get(key)) for name in ("optimal", "home_only", "greedy")))
    Console().print(table)
    console.print(f"{figures.get('assigned', 0)} of {figures.get('requests', 0)} requests assigned; "
                  f"solver {figures.get('solver_seconds')} s; objective {figures.get('objective')}")
    if "commit" in figures:
        console.print(f"commit: {figures['commit']}")


def _progress():
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console)


@app.command("run")
def run(
    user: User,
    community: Annotated[int | None, typer.Option(help="a medical community's desk: its members' requests")] = None,
    institution: Annotated[int | None, typer.Option(help="one institution's requests")] = None,
    horizon: Annotated[int, typer.Option(min=1, max=60, help="days ahead to schedule")] = 14,
    commit: Annotated[bool, typer.Option(help="book the proposals at once")] = False,
) -> None:
    """Propose slots for every open request in scope (and book them with --commit)."""
    try:
        with _progress() as bar, cli_transaction() as session:
            task = bar.add_task("reading requests", total=None)
            actor = accounts.principal_of(accounts.get_user_by_name(session, user))
            proposed = scheduling.propose(session, actor, community_id=community, institution_id=institution,
                                          horizon_days=horizon,
                                          progress=lambda stage: bar.update(task, description=stage))
            if commit:
                scheduling.commit(session, actor, proposed, progress=lambda s: bar.update(task, description=s))
            bar.update(task, description="done")
            _show(proposed)
    except DomainError as error:
        _fail(error)


@app.command("commit")
def commit_run(user: User, run_id: Annotated[int, typer.Argument(help="the proposed run to book")]) -> None:
    """Book a proposed run's slots; slots taken since are re-planned."""
    try:
        with _progress() as bar, cli_transaction() as session:
            task = bar.add_task("booking", total=None)
            actor = accounts.principal_of(accounts.get_user_by_name(session, user))
            done = scheduling.commit(session, actor, scheduling.get_run(session, actor, run_id),
                                     progress=lambda s: bar.update(task, description=s))
            _show(done)
    except DomainError as error:
        _fail(error)
