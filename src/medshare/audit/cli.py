"""`medshare audit`: verify the hash-chained trail, sign a checkpoint, export checkpoints for safekeeping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from medshare.audit import sealing, signing
from medshare.audit.service import export_checkpoints
from medshare.audit.verify import verify
from medshare.cli.context import cli_transaction
from medshare.settings import get_settings

app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
console = Console(stderr=True)


@app.command("verify")
def verify_command(
    checkpoints: Annotated[Path | None, typer.Option("--checkpoints", help="a checkpoint export kept outside "
                                                     "the database, checked against the trail too")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as one JSON object")] = False,
) -> None:
    """Walk the whole chain and every signed checkpoint; exit 1 naming the first bad event."""
    key_file = Path(get_settings().data_dir) / signing.KEY_FILE
    trusted = [signing.Signer.from_file(key_file).public_key] if key_file.exists() else None
    exported = json.loads(checkpoints.read_text())["checkpoints"] if checkpoints else None
    with cli_transaction() as session:
        report = verify(session, trusted_keys=trusted, exported=exported)
    if trusted is None:
        report.notes.append(f"no key file at {key_file}: checkpoints were checked against the keys in the database")
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    elif report.ok:
        console.print(f"[green]ok[/green]: {report.events} events, {report.checkpoints} signed checkpoints, "
                      f"verified in {report.seconds} s")
    else:
        bad = report.first_bad
        console.print(f"[red]tampered[/red]: {bad.kind} at seq {bad.seq} (event id {bad.event_id}): {bad.message}")
    for note in report.notes:
        console.print(f"[dim]{note}[/dim]")
    raise typer.Exit(0 if report.ok else 1)


@app.command("checkpoint")
def checkpoint_command() -> None:
    """Sign a checkpoint at the chain's head now with the platform's key."""
    signer = signing.configure(get_settings())
    with cli_transaction() as session:
        made = sealing.checkpoint(session, signer)
    if made is None:
        console.print("the trail is empty; nothing to sign")
        return
    console.print(f"checkpoint at seq {made.seq}: {made.hash} (key {made.key_id[:16]}…)")


@app.command("export-checkpoints")
def export_command(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file to write (default: stdout)")] = None,
) -> None:
    """Write every signed checkpoint with its public key as JSON, to keep outside the database."""
    with cli_transaction() as session:
        document = export_checkpoints(session)
    text = json.dumps(document, ensure_ascii=False, indent=1)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text)
        console.print(f"{len(document['checkpoints'])} checkpoints written to {output}")
