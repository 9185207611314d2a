"""The settlement ledger: balanced double-entry lines in fen between payer and owner, and statements."""

from __future__ import annotations

import csv
import datetime as dt
import io

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.assets import rules
from medshare.assets.models import Booking, JournalEntry, JournalLine, LedgerAccount
from medshare.audit.service import record_event
from medshare.errors import Forbidden, InvalidInput
from medshare.permissions import Permission, Principal, Scope, authorize, scope_of


def account_for(session: Session, *, institution_id: int | None = None, practitioner_id: int | None = None) -> int:
    """The id of a party's settlement account, opened on first use."""
    party = f"institution:{institution_id}" if institution_id is not None else f"practitioner:{practitioner_id}"
    found = session.scalar(sa.select(LedgerAccount.id).where(LedgerAccount.party == party))
    if found is not None:
        return found
    account = LedgerAccount(party=party, institution_id=institution_id, practitioner_id=practitioner_id)
    session.add(account)
    session.flush()
    return account.id


def settle(session: Session, booking: Booking, amount_fen: int, *, reason: str, now: dt.datetime) -> None:
    """Post what the booking's payer owes its owner; one entry per booking and reason."""
    if booking.requester_practitioner_id is not None:
        payer = account_for(session, practitioner_id=booking.requester_practitioner_id)
    else:
        payer = account_for(session, institution_id=booking.requester_institution_id)
    owner = account_for(session, institution_id=booking.asset.owner_institution_id)
    lines = rules.settlement_lines(amount_fen, payer, owner)
    if not lines:
        return
    entry = JournalEntry(booking_id=booking.id, posted_at=now, reason=reason,
                         lines=[JournalLine(account_id=a, amount_fen=amount) for a, amount in lines])
    session.add(entry)
    session.flush()
    record_event(session, None, "ledger.post", "journal_entry", entry.id,
                 institution_id=booking.asset.owner_institution_id,
                 details={"booking_id": booking.id, "reason": reason, "amount_fen": amount_fen})


def post_service_fee(session: Session, *, service_ref: str, payer_institution_id: int, payee_institution_id: int,
                     amount_fen: int, reason: str, now: dt.datetime) -> bool:
    """Post what one institution owes another for a shared service other than a booking (a teleconsultation);
    False when there is nothing to post. Posted once per service and reason (a constraint, not a check)."""
    payer = account_for(session, institution_id=payer_institution_id)
    payee = account_for(session, institution_id=payee_institution_id)
    lines = rules.settlement_lines(amount_fen, payer, payee)
    if not lines:
        return False
    entry = JournalEntry(service_ref=service_ref, posted_at=now, reason=reason,
                         lines=[JournalLine(account_id=a, amount_fen=amount) for a, amount in lines])
    session.add(entry)
    session.flush()
    record_event(session, None, "ledger.post", "journal_entry", entry.id, institution_id=payee_institution_id,
                 details={"service_ref": service_ref, "reason": reason, "amount_fen": amount_fen})
    return True


def imbalance(session: Session) -> int:
    """The sum of every line of the ledger: zero when it balances."""
    return session.scalar(sa.select(sa.func.coalesce(sa.func.sum(JournalLine.amount_fen), 0))) or 0


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """[first instant, first instant of next month) of a YYYY-MM month, in UTC."""
    try:
        year, number = (int(part) for part in month.split("-"))
        start = dt.datetime(year, number, 1, tzinfo=dt.UTC)
    except ValueError:
        raise InvalidInput.on("month", "yyyy-mm", "must be a month written YYYY-MM") from None
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=dt.UTC)
    return start, end


def statement(session: Session, party: str, month: str) -> dict:
    """A party's lines in a month, with the balances before and after (positive: the party owes)."""
    start, end = month_bounds(month)
    account = session.scalar(sa.select(LedgerAccount.id).where(LedgerAccount.party == party))
    if account is None:
        return {"party": party, "month": month, "opening_fen": 0, "lines": [], "closing_fen": 0}
    balance_before = sa.select(sa.func.coalesce(sa.func.sum(JournalLine.amount_fen), 0)).join(JournalEntry).where(
        JournalLine.account_id == account, JournalEntry.posted_at < start)
    opening = session.scalar(balance_before) or 0
    rows = session.execute(
        sa.select(JournalEntry.id, JournalEntry.booking_id, JournalEntry.service_ref, JournalEntry.posted_at,
                  JournalEntry.reason, JournalLine.amount_fen)
        .join(JournalLine).where(JournalLine.account_id == account, JournalEntry.posted_at >= start,
                                 JournalEntry.posted_at < end)
        .order_by(JournalEntry.posted_at, JournalEntry.id)).all()
    lines = [{"entry_id": r[0], "booking_id": r[1], "service_ref": r[2], "posted_at": r[3], "reason": r[4],
              "amount_fen": r[5]} for r in rows]
    return {"party": party, "month": month, "opening_fen": opening, "lines": lines,
            "closing_fen": opening + sum(line["amount_fen"] for line in lines)}


def read_statement(session: Session, actor: Principal, *, month: str, institution_id: int | None = None,
                   practitioner_id: int | None = None) -> dict:
    """A statement the actor may read: their institution's, their own as a doctor, or any for a regulator."""
    if practitioner_id is not None:
        if practitioner_id != actor.practitioner_id and scope_of(actor, Permission.LEDGER_READ) is not Scope.ANY:
            raise Forbidden("a practitioner's statement is read by that practitioner or a regulator")
        party = f"practitioner:{practitioner_id}"
    else:
        institution_id = institution_id or actor.institution_id
        authorize(actor, Permission.LEDGER_READ, institutions=[institution_id])
        party = f"institution:{institution_id}"
    result = statement(session, party, month)
    record_event(session, actor, "ledger.statement.read", "ledger_account", party, institution_id=institution_id)
    return result


def statement_csv(statement_: dict) -> str:
    """The statement as CSV, amounts in fen and yuan."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["entry_id", "booking_id", "service_ref", "posted_at", "reason", "amount_fen", "amount_yuan"])
    for line in statement_["lines"]:
        writer.writerow([line["entry_id"], line["booking_id"] or "", line["service_ref"] or "",
                         line["posted_at"].isoformat(), line["reason"], line["amount_fen"],
                         f"{line['amount_fen'] / 100:.2f}"])
    closing = statement_["closing_fen"]
    writer.writerow(["", "", "", "", "closing balance", closing, f"{closing / 100:.2f}"])
    return out.getvalue()
