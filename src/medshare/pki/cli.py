"""`medshare pki`: set up the platform CA, issue and revoke certificates, verify a report, print the CRL."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from medshare.cli.context import cli_transaction
from medshare.errors import DomainError
from medshare.pki import reports
from medshare.pki import service as pki
from medshare.pki.models import RevocationReason
from medshare.settings import get_settings

app = typer.Typer(help="The platform certificate authority and signed reports.", no_args_is_help=True)
console = Console(stderr=True)


def _fail(error: DomainError) -> None:
    console.print(f"[red]{error.message}[/red]")
    raise typer.Exit(2)


@app.command()
def init() -> None:
    """Generate the CA key pair and certificate (once); the private key is kept encrypted under the platform secret."""
    with cli_transaction() as session:
        existed = pki.current_authority(session) is not None
        authority = pki.ensure_authority(session, secret=get_settings().resolved_secret_key())
    console.print(("the platform CA was already set up: " if existed else "set up the platform CA: ")
                  + authority.subject)
    typer.echo(authority.certificate_pem, nl=False)


@app.command()
def issue(practitioner: Annotated[int, typer.Option(help="practitioner id")],
          days: Annotated[int, typer.Option(help="days the certificate is valid")] = 730) -> None:
    """Issue a practitioner a certificate with a platform-held key (earlier ones are superseded)."""
    try:
        with cli_transaction() as session:
            certificate = pki.issue_certificate(session, None, practitioner, validity_days=days,
                                                secret=get_settings().resolved_secret_key())
    except DomainError as error:
        _fail(error)
    typer.echo(f"{certificate.id}\t{certificate.serial_number}\t{certificate.subject}")


@app.command()
def revoke(practitioner: Annotated[int, typer.Option(help="practitioner id: every active certificate of theirs")],
           reason: Annotated[RevocationReason, typer.Option(help="RFC 5280 reason")] = RevocationReason.UNSPECIFIED
           ) -> None:
    """Revoke a practitioner's active certificates."""
    with cli_transaction() as session:
        count = pki.revoke_certificates_of(session, practitioner, reason)
    typer.echo(f"revoked {count} certificate(s)")


@app.command()
def crl() -> None:
    """Print the current certificate revocation list (PEM)."""
    with cli_transaction() as session:
        typer.echo(pki.revocation_list_pem(session, secret=get_settings().resolved_secret_key()), nl=False)


@app.command()
def verify(report: Annotated[str, typer.Argument(help="the DiagnosticReport's FHIR id")]) -> None:
    """Check a report against its latest signature: valid, altered, revoked, expired, unsigned (exit 1 unless valid)."""
    try:
        with cli_transaction() as session:
            row = reports.load_report(session, report)
            signatures = pki.signatures_of(session, reports.DOCUMENT_TYPE, row.fhir_id)
            if not signatures:
                typer.echo("unsigned")
                raise typer.Exit(1)
            checked = pki.verify(session, signatures[0], reports.payload(session, row))
    except DomainError as error:
        _fail(error)
    typer.echo(checked.verdict.outcome.value)
    for reason in checked.verdict.reasons:
        console.print(reason)
    raise typer.Exit(0 if checked.verdict.valid else 1)
