"""`medshare demo`: seed a synthetic region, and the first-start seeding of `medshare serve`."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.engine import Engine

from medshare.accounts.service import hash_password
from medshare.audit.service import Origin, current_origin
from medshare.cli.context import engine as configured_engine
from medshare.db import downgrade, session_factory, transaction, upgrade
from medshare.demo import service
from medshare.demo.extensions import DemoContext, extend_all
from medshare.demo.generator import SCALES, Region, generate
from medshare.errors import DomainError
from medshare.identity.batch import relink
from medshare.settings import get_settings

console = Console(stderr=True)
TABLE_LABELS = {"institutions": "institutions", "licences": "licences", "communities": "medical communities",
                "memberships": "community memberships", "practitioners": "practitioners",
                "registrations": "multi-site registrations", "patient_records": "patient records",
                "truths": "person truth rows", "users": "demo accounts", "assets": "shared assets",
                "opening_hours": "opening hours", "exam_types": "exam types", "prices": "price list rows",
                "blackouts": "blackouts and maintenance", "booking_series": "recurring bookings",
                "bookings": "bookings", "slot_claims": "claimed slot units", "ledger_accounts": "ledger accounts",
                "journal_entries": "journal entries", "journal_lines": "journal lines",
                "persons": "persons (master patient index)", "review_items": "pairs waiting for review"}


def region_is_empty(engine: Engine) -> bool:
    """No institutions yet: the database may be seeded."""
    with session_factory(engine, writing=False)() as session:
        return service.region_is_empty(session)


def _seed(engine: Engine, scale: str, seed: int) -> tuple[Region, dict]:
    """Generate and load a region in one committed transaction, with a progress bar on stderr."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    token = current_origin.set(Origin(channel="cli", source_ip="local"))
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task(f"generating the {scale} region (seed {seed})", total=None)
            settings = get_settings()
            region = generate(scale, seed, max_sites=settings.max_sites_per_practitioner)
            password_hash = hash_password(settings.demo_password)
            progress.update(task, total=sum(region.counts().values()), completed=0)

            def advance(table: str, rows: int) -> None:
                progress.update(task, description=f"writing {TABLE_LABELS[table]}", advance=rows)

            with transaction(session_factory(engine)) as session:
                counts = service.load(session, region, password_hash=password_hash, progress=advance)
                progress.update(task, description="committing")

            def linking(label: str, done: int, total: int) -> None:
                progress.update(task, description=label, completed=done, total=total)

            # Bulk-loaded records have no person yet: link them as online linkage would have.
            linked = relink(engine, progress=linking)
            counts |= {"persons": linked["persons"], "review_items": linked["reviews_opened"]}

            def extending(name: str) -> None:
                progress.update(task, description=f"adding {name} to the region")

            counts = extend_all(engine, DemoContext(region, password_hash), counts, progress=extending)
            progress.update(task, description=f"{scale} region seeded")
    finally:
        current_origin.reset(token)
    return region, counts


def seed(engine: Engine, *, scale: str, seed: int) -> dict:
    """Generate and load the demo region in one committed transaction; return the row counts."""
    if scale not in SCALES:
        _fail(f"MEDSHARE_DEMO_SCALE must be one of {', '.join(SCALES)}, not {scale!r}", code=2)
    _, counts = _seed(engine, scale, seed)
    console.print(f"demo region seeded: sign in as [bold]admin[/bold], [bold]regulator[/bold], "
                  f"[bold]doctor[/bold] or [bold]patient[/bold] with the password "
                  f"[bold]{get_settings().demo_password}[/bold]")
    return counts


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[red]error:[/red] {message}", soft_wrap=True)
    raise typer.Exit(code)


def _reset(engine: Engine) -> None:
    # Dropping the tables is the only way to empty an append-only audit trail, so it is done
    # only to a database the demo seeded, and through the migrations' own downgrade path.
    with session_factory(engine, writing=False)() as session:
        if not service.holds_demo_region(session):
            _fail("--reset drops every table, so it only resets a database seeded by `medshare demo`; "
                  "this one holds data that was not. Point MEDSHARE_DATABASE_URL at another database.")
    url = engine.url.render_as_string(hide_password=True)
    console.print(f"dropping every table of {url} and creating them afresh")
    downgrade(engine, "base")
    upgrade(engine)


def _summary(region: Region, counts: dict, elapsed: float) -> None:
    out = Console()
    table = Table(title=f"demo region: {region.scale}, seed {region.seed}")
    table.add_column("rows")
    table.add_column("count", justify="right")
    for name, count in counts.items():
        table.add_row(TABLE_LABELS.get(name, name.replace("_", " ")), f"{count:,}")
    table.add_row("elapsed", f"{elapsed:.1f} s")
    out.print(table)
    names = {row["id"]: row["name"] for row in region.institutions}
    accounts = Table(title=f"demo accounts (password: {get_settings().demo_password})")
    accounts.add_column("username", overflow="fold")
    accounts.add_column("role and institution", no_wrap=True, overflow="ellipsis")
    admins = [u for u in region.users if u["role"] == "institution_admin"]
    shown = [u for u in region.users if u["role"] != "institution_admin" or u in admins[:6]]
    for user in shown:
        where = names.get(user["institution_id"])
        accounts.add_row(user["username"], user["role"].replace("_", " ") + (f" · {where}" if where else ""))
    if len(admins) > 6:
        accounts.add_row(f"… {len(admins) - 6} more admin-*", "institution admin · each hospital and centre")
    out.print(accounts)


def demo(
    scale: Annotated[str, typer.Option(help="size of the region: small (30 institutions, 3,000 patient "
                                            "records), city (312, 100,000) or province (about 3,000, "
                                            "1,000,000)")] = "small",
    seed: Annotated[int, typer.Option(help="random seed; the same seed gives the same region")] = 1,
    reset: Annotated[bool, typer.Option(help="first drop and re-create every table of a database that a "
                                             "previous `medshare demo` seeded")] = False,
) -> None:
    """Seed an empty database with a synthetic region: institutions, practitioners, patients, demo accounts,
    shared assets and weeks of their bookings."""
    if scale not in SCALES:
        _fail(f"--scale must be one of {', '.join(SCALES)}, not {scale!r}", code=2)
    eng = configured_engine()
    if not region_is_empty(eng):
        if not reset:
            _fail("the database already holds institutions; `medshare demo` seeds only an empty one. "
                  "Add --reset to drop and re-create the tables of a database an earlier "
                  "`medshare demo` seeded.")
        _reset(eng)
    started = time.perf_counter()
    try:
        region, counts = _seed(eng, scale, seed)
    except DomainError as error:
        _fail(error.message)
    _summary(region, counts, time.perf_counter() - started)
