"""medshare's commands: serve, demo, db, admin, bench."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
from typing import Annotated

import typer
from rich.console import Console

from medshare.accounts import service as accounts
from medshare.accounts.models import Role, TokenKind
from medshare.accounts.schemas import UserIn
from medshare.audit.cli import app as audit_app
from medshare.bench import cli as bench_cli
from medshare.care.cli import app as care_app
from medshare.cli.context import cli_transaction, engine
from medshare.demo import cli as demo_cli
from medshare.errors import DomainError
from medshare.fhir.cli import app as fhir_app
from medshare.identity.cli import app as identity_app
from medshare.pki.cli import app as pki_app
from medshare.risk.cli import app as risk_app
from medshare.scheduling.cli import app as schedule_app
from medshare.settings import get_settings
from medshare.supplies.cli import app as supplies_app

app = typer.Typer(help="medshare: a regional platform for sharing medical equipment, results, specialists "
                       "and supplies. Every command reads MEDSHARE_DATABASE_URL (default: an SQLite file "
                       "in ./medshare-data).", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
admin_app = typer.Typer(help="Accounts and tokens, from the operator's shell.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(identity_app, name="identity")
app.add_typer(pki_app, name="pki")
app.command(name="demo")(demo_cli.demo)
app.command(name="bench")(bench_cli.bench)
app.add_typer(schedule_app, name="schedule")
app.add_typer(supplies_app, name="supplies")
app.add_typer(care_app, name="care")
app.add_typer(risk_app, name="risk")
app.add_typer(audit_app, name="audit")
app.add_typer(fhir_app, name="fhir")
console = Console(stderr=True)


def fail(error: DomainError) -> None:
    """Print a domain error with its field problems and exit 2."""
    console.print(f"[red]error:[/red] {error.message}")
    for problem in error.problems:
        console.print(f"  {problem.field}: {problem.message} [dim]({problem.rule})[/dim]")
    raise typer.Exit(2)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to the newest migration."""
    eng = engine()
    console.print(f"database at {eng.url.render_as_string(hide_password=True)} is up to date")


def _check_port_free(host: str, port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            console.print(f"[red]error:[/red] cannot listen on {host}:{port} ({error.strerror}); "
                          "choose another with --port")
            raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="server worker processes")] = 1,
    demo: Annotated[bool, typer.Option(help="seed a demo region if the database is empty")] = True,
    forwarded_allow_ips: Annotated[str, typer.Option(
        help="addresses of reverse proxies whose X-Forwarded-For is trusted (comma-separated); none by default")] = "",
) -> None:
    """Run the web app and API: upgrade the database, seed a demo region on first start, then serve."""
    import uvicorn

    settings = get_settings()
    _check_port_free(host, port)  # before seeding, so a busy port fails fast
    settings.resolved_secret_key()  # made once here, before workers start
    eng = engine()
    if demo and settings.demo_on_first_start and demo_cli.region_is_empty(eng):
        demo_cli.seed(eng, scale=settings.demo_scale, seed=settings.demo_seed)
    console.print(f"medshare on http://{host}:{port}  (API described at /docs)")
    uvicorn.run("medshare.main:app_factory", factory=True, host=host, port=port, workers=workers,
                proxy_headers=bool(forwarded_allow_ips), forwarded_allow_ips=forwarded_allow_ips or None,
                log_level=os.environ.get("MEDSHARE_LOG_LEVEL", "info"))


@admin_app.command("create-user")
def create_user(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[Role, typer.Option(help="the account's role")] = Role.PLATFORM_ADMIN,
    institution_id: Annotated[int | None, typer.Option(help="institution the account belongs to")] = None,
    password: Annotated[str | None, typer.Option(help="password (asked for when omitted; "
                                                      "or MEDSHARE_ADMIN_PASSWORD)")] = None,
) -> None:
    """Create an account (the first platform admin, typically)."""
    password = password or os.environ.get("MEDSHARE_ADMIN_PASSWORD") or getpass.getpass("password: ")
    try:
        with cli_transaction() as session:
            user = accounts.create_user(session, None, UserIn(username=username, password=password, role=role,
                                                             institution_id=institution_id))
    except DomainError as error:
        fail(error)
    console.print(f"created {user.role.value} account {user.username} (id {user.id})")


@admin_app.command("token")
def token(
    user: Annotated[str, typer.Option("--user", help="account to issue the token for")],
    days: Annotated[int, typer.Option(help="days the token stays valid")] = 90,
) -> None:
    """Print a bearer token for an account, for scripts and integrations (shown once, stored hashed)."""
    try:
        with cli_transaction() as session:
            account = accounts.get_user_by_name(session, user)
            raw, _ = accounts.issue_token(session, account, TokenKind.API, dt.timedelta(days=days))
    except DomainError as error:
        fail(error)
    typer.echo(raw)
