"""`medshare care`: the periodic check of tiered care (late referrals, waiting consultations and night
requests, the rota's coming gaps) and the region's referral figures."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from medshare.accounts import service as accounts
from medshare.care import referrals, service
from medshare.cli.context import cli_transaction
from medshare.errors import DomainError

app = typer.Typer(help="Tiered care: referrals, teleconsultation, family doctors and night care.",
                  no_args_is_help=True)
console = Console(stderr=True)


def _instant(text: str | None) -> dt.datetime:
    if not text:
        return dt.datetime.now(dt.UTC)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("an ISO 8601 instant, e.g. 2026-06-01T20:00+08:00") from None
    if value.tzinfo is None:
        raise typer.BadParameter("give the instant's time zone, e.g. +08:00")
    return value


@app.command("check")
def check(
    now: Annotated[str | None, typer.Option(help="the instant to check at (ISO 8601; default: now)")] = None,
    days: Annotated[int, typer.Option(min=1, max=31, help="nights ahead to check the rota for")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Escalate referrals unanswered past their limit, assign waiting consultations, route waiting night
    requests, and flag the rota's coverage gaps of the coming nights. Run it every few minutes (cron)."""
    at = _instant(now)
    with cli_transaction() as session:
        result = service.run_checks(session, now=at, gap_days=days)
    gaps = result.pop("rota_gaps")
    if as_json:
        print(json.dumps(result | {"rota_gaps": [{"specialty": g.specialty, "starts_at": g.starts_at.isoformat(),
                                                  "ends_at": g.ends_at.isoformat(), "on_duty": g.on_duty,
                                                  "needed": g.needed} for g in gaps]}, ensure_ascii=False))
        return
    console.print(f"escalated referrals: {len(result['escalated'])} {result['escalated'] or ''}")
    console.print(f"teleconsultations assigned: {result['teleconsults_assigned']}; "
                  f"night requests routed: {result['night_requests_routed']}")
    table = Table(title=f"rota gaps, next {days} nights")
    for column in ("specialty", "from (UTC)", "to (UTC)", "on duty", "needed"):
        table.add_column(column)
    for g in gaps:
        table.add_row(g.specialty, f"{g.starts_at:%Y-%m-%d %H:%M}", f"{g.ends_at:%Y-%m-%d %H:%M}", str(g.on_duty),
                      str(g.needed))
    Console().print(table)


@app.command("figures")
def figures(
    user: Annotated[str, typer.Option("--user", help="the account reading them (a regulator for the region)")],
    days: Annotated[int, typer.Option(min=1, max=3650, help="the last N days")] = 30,
    institution: Annotated[int | None, typer.Option(help="one institution's referrals")] = None,
) -> None:
    """Up and down referral volumes and their ratio, time to accept, and the share treated within the county."""
    end = dt.datetime.now(dt.UTC)
    try:
        with cli_transaction() as session:
            actor = accounts.principal_of(accounts.get_user_by_name(session, user))
            result = referrals.figures(session, actor, start=end - dt.timedelta(days=days), end=end,
                                       institution_id=institution)
    except DomainError as error:
        console.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(2) from None
    print(json.dumps(result, default=str, ensure_ascii=False))
