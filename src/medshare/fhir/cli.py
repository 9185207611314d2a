"""`medshare fhir`: load FHIR Bundles from files, and make scoped bearer tokens."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from medshare.accounts import service as accounts
from medshare.accounts.models import TokenKind
from medshare.cli.context import cli_transaction
from medshare.errors import DomainError
from medshare.fhir import scopes
from medshare.fhir.load import load_bundle
from medshare.fhir.outcome import FhirError
from medshare.records.models import FhirTokenScope

app = typer.Typer(help="The FHIR R4 API's data: load Bundles, make scoped tokens.", no_args_is_help=True)
console = Console(stderr=True)


@app.command("load")
def load(
    files: Annotated[list[Path], typer.Argument(help="FHIR Bundle JSON files, applied in the order given",
                                                exists=True, dir_okay=False)],
    user: Annotated[str, typer.Option("--user", help="the account the load acts as (writes are its writes)")],
) -> None:
    """Load Bundles (e.g. Synthea's), each as one transaction; types the server does not keep are left out.

    Give organization and practitioner bundles before the patients that refer to them.
    """
    table = Table(title="FHIR load")
    for column in ("file", "written", "left out"):
        table.add_column(column)
    for path in files:
        try:
            bundle = json.loads(path.read_text())
            with cli_transaction() as session:
                principal = accounts.principal_of(accounts.get_user_by_name(session, user))
                result = load_bundle(session, principal, bundle, name=path.name)
        except FhirError as error:
            console.print(f"[red]{path.name}: nothing loaded[/red]")
            for issue in error.issues:
                console.print(f"  {', '.join(issue.expression) or '-'}: {issue.diagnostics} [dim]({issue.code})[/dim]")
            raise typer.Exit(2) from None
        except DomainError as error:
            console.print(f"[red]error:[/red] {error.message}")
            raise typer.Exit(2) from None
        except ValueError as error:
            console.print(f"[red]{path.name}: not JSON ({error})[/red]")
            raise typer.Exit(2) from None
        table.add_row(path.name, ", ".join(f"{k} {v}" for k, v in sorted(result.written.items())) or "-",
                      ", ".join(f"{k} {v}" for k, v in sorted(result.skipped.items())) or "-")
    Console().print(table)


@app.command("token")
def token(
    user: Annotated[str, typer.Argument(help="the account the token belongs to")],
    scope: Annotated[str, typer.Option("--scope", help="SMART scopes, e.g. 'system/*.rs user/Observation.r'")],
    hours: Annotated[int, typer.Option(help="lifetime in hours")] = 24,
) -> None:
    """Print a bearer token of user narrowed to SMART scopes (only the raw token goes to standard output)."""
    granted = scopes.narrow(scope, scopes.parse("user/*.cruds system/*.cruds patient/*.cruds"))
    if not granted:
        console.print("[red]error:[/red] no valid SMART scope given (e.g. system/*.rs)")
        raise typer.Exit(2)
    try:
        with cli_transaction() as session:
            account = accounts.get_user_by_name(session, user)
            raw, row = accounts.issue_token(session, account, TokenKind.API, dt.timedelta(hours=hours))
            session.add(FhirTokenScope(token_id=row.id, scopes=granted))
    except DomainError as error:
        console.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(2) from None
    console.print(f"scopes: {granted}; valid {hours} h")
    print(raw)
