"""`medshare identity`: relink the region, set the linkage policy."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from medshare.audit.service import Origin, current_origin
from medshare.cli.context import cli_transaction
from medshare.cli.context import engine as configured_engine
from medshare.identity import batch
from medshare.identity.models import LinkagePolicy
from medshare.identity.rules import check_thresholds

app = typer.Typer(help="The master patient index: relinking and policy.", no_args_is_help=True)
console = Console(stderr=True)


@app.command()
def relink(
    retrain: Annotated[bool, typer.Option(help="estimate the m/u weights afresh by EM before relinking")] = True,
    chunk: Annotated[int, typer.Option(min=100, help="records per committed transaction")] = batch.CHUNK,
) -> None:
    """Re-score every record of the region and relink it in chunks; manual decisions stay as they are."""
    eng = configured_engine()
    current_origin.set(Origin(channel="cli", source_ip="local"))
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("reading the region", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        summary = batch.relink(eng, retrain=retrain, chunk=chunk, progress=progress)
    table = Table(title="relink")
    table.add_column("")
    table.add_column("value", justify="right")
    labels = {"records": "records", "candidate_pairs": "candidate pairs scored", "links_changed": "links changed",
              "records_moved": "records moved to another person", "persons_created": "persons created",
              "persons": "persons now", "reviews_opened": "review items opened", "prior": "estimated match share",
              "seconds": "seconds", "records_per_second": "records per second"}
    for key, label in labels.items():
        table.add_row(label, f"{summary[key]:,}" if isinstance(summary[key], int) else str(summary[key]))
    for how, count in sorted(summary["links_after"].items()):
        before = summary["links_before"].get(how, 0)
        table.add_row(f"links {how}", f"{before:,} → {count:,}")
    Console().print(table)


@app.command()
def policy(
    link: Annotated[float, typer.Option(help="match probability at or above which records link")],
    review: Annotated[float, typer.Option(help="match probability at or above which a pair is queued for review")],
) -> None:
    """Set the region's two linkage thresholds (then run `medshare identity relink --no-retrain`)."""
    check_thresholds(link, review)
    with cli_transaction() as session:
        from medshare.audit.service import record_event

        row = LinkagePolicy(link_probability=link, review_probability=review)
        session.add(row)
        session.flush()
        record_event(session, None, "identity.policy.set", "linkage_policy", row.id,
                     details={"link_probability": link, "review_probability": review})
    console.print(f"linkage policy: link at p ≥ {link}, review at p ≥ {review}")
