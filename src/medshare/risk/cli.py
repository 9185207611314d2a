"""`medshare risk scan`: run every risk rule over the region and list the open alerts."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from medshare.accounts import service as accounts
from medshare.cli.context import cli_transaction
from medshare.errors import DomainError
from medshare.risk import service as risk
from medshare.risk.models import AlertStatus, RiskAlert

app = typer.Typer(help="Risk rules: overlapping commitments, outlying override and no-show rates, workloads.",
                  no_args_is_help=True)
console = Console(stderr=True)


def _fail(error: DomainError) -> None:
    console.print(f"[red]error:[/red] {error.message}")
    for problem in error.problems:
        console.print(f"  {problem.field}: {problem.message} [dim]({problem.rule})[/dim]")
    raise typer.Exit(2)


@app.command("scan")
def scan(
    user: Annotated[str | None, typer.Option("--user", help="the regulator the scan runs as (default: the system)")]
    = None,
    lookback: Annotated[int, typer.Option(min=1, max=366, help="days of history to judge rates and workloads")] = 90,
    lookahead: Annotated[int, typer.Option(min=0, max=90, help="days ahead to look for overlaps")] = 30,
    travel: Annotated[int, typer.Option(min=0, max=240, help="minutes between two sites that still count")] = 0,
    show: Annotated[int, typer.Option(min=0, help="open alerts to list after the scan")] = 20,
) -> None:
    """Run every rule now; new findings become open alerts, known ones are refreshed."""
    policy = risk.RiskPolicy(lookback_days=lookback, lookahead_days=lookahead, travel_minutes=travel)
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=console) as bar, cli_transaction() as session:
            task = bar.add_task("reading", total=None)
            actor = accounts.principal_of(accounts.get_user_by_name(session, user)) if user else None
            run = risk.scan(session, actor, policy=policy,
                            progress=lambda rule: bar.update(task, description=f"rule {rule}"))
            table = Table(title=f"risk scan {run.id}")
            for column in ("rule", "found", "new"):
                table.add_column(column, justify="right" if column != "rule" else "left")
            for rule, figures in run.counts.items():
                table.add_row(rule, str(figures["found"]), str(figures["new"]))
            Console().print(table)
            if show:

                alerts = session.scalars(sa.select(RiskAlert).where(RiskAlert.status == AlertStatus.OPEN)
                                         .order_by(RiskAlert.detected_at.desc(), RiskAlert.score.desc()).limit(show))
                listing = Table(title="open alerts")
                for column in ("id", "rule", "subject", "score", "summary"):
                    listing.add_column(column)
                for alert in alerts:
                    listing.add_row(str(alert.id), alert.rule, f"{alert.subject_type} {alert.subject_id}",
                                    f"{alert.score:g}", alert.summary)
                Console().print(listing)
    except DomainError as error:
        _fail(error)
