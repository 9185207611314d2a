"""Use cases of mutual recognition: catalogue and scope policy, accreditation, order-time checks, decisions.

The check finds the patient's results for the item at every institution through the master
patient index, says of each why it is or is not recognisable, and records the look-up; the
doctor then accepts one (the order is fulfilled, no new exam) or repeats with a reason from
the national list. Every result shown is an audited read of patient data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.errors import Conflict, Forbidden, InvalidInput, NotFound
from medshare.identity import service as identity
from medshare.permissions import Permission, Principal, Scope, authorize, scope_of
from medshare.recognition import rules
from medshare.recognition.catalogue import DEFAULT_ITEMS
from medshare.recognition.models import (
    Accreditation,
    Decision,
    RecognitionCheck,
    RecognitionItem,
    RepeatReason,
    ResultKind,
    ScopePolicy,
)
from medshare.records import access
from medshare.records.models import DiagnosticReport, Observation, RequestStatus, ServiceRequest
from medshare.registry.models import CommunityMembership, Institution
from medshare.settings import get_settings

MAX_CANDIDATES = 20
RESULT_MODELS = {ResultKind.OBSERVATION: Observation, ResultKind.REPORT: DiagnosticReport}


def region_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo(get_settings().timezone)


# --- policy data: the scope rules and the item catalogue -------------------------------------------

def current_policy(session: Session) -> ScopePolicy | None:
    return session.scalar(sa.select(ScopePolicy).order_by(ScopePolicy.id.desc()).limit(1))


def scope(session: Session) -> rules.Scope:
    """The region's recognition scope in force (the defaults until the region sets its own)."""
    row = current_policy(session)
    if row is None:
        return rules.Scope()
    return rules.Scope(same_community=row.same_community, lower_accepts_higher=row.lower_accepts_higher,
                       same_grade=row.same_grade, higher_accepts_lower=row.higher_accepts_lower,
                       independent_rank=row.independent_rank)


def set_policy(session: Session, actor: Principal, values: dict) -> ScopePolicy:
    """Put a new scope policy in force (the old rows stay, as the history of the policy)."""
    authorize(actor, Permission.RECOGNITION_POLICY)
    rank = values.get("independent_rank", 2)
    if not 0 <= rank <= 3:
        raise InvalidInput.on("independent_rank", "range", "a rank is 0 (ungraded) to 3 (tertiary)")
    base = scope(session)
    row = ScopePolicy(**({k: getattr(base, k) for k in ("same_community", "lower_accepts_higher", "same_grade",
                                                         "higher_accepts_lower", "independent_rank")} | values),
                      set_by=actor.user_id, set_at=utcnow())
    session.add(row)
    session.flush()
    record_event(session, actor, "recognition.policy.set", "recognition_policy", row.id,
                 details={"changed": sorted(values)})
    return row


def ensure_catalogue(session: Session) -> int:
    """Add the default items the region's catalogue lacks; how many were added."""
    have = set(session.scalars(sa.select(RecognitionItem.code)))
    rows = [RecognitionItem(code=d.code, code_system=d.system, name=d.name, name_zh=d.name_zh, category=d.category,
                            result_kind=d.kind, match_codes=[d.code, *d.also], validity_days=d.validity_days,
                            fee_fen=d.fee_fen, basis=d.basis) for d in DEFAULT_ITEMS if d.code not in have]
    if not rows:
        return 0
    try:
        with session.begin_nested():
            session.add_all(rows)
    except IntegrityError:  # another request filled the catalogue at the same moment: theirs stands
        return 0
    return len(rows)


def list_items(session: Session, *, category: str | None = None, include_inactive: bool = False
               ) -> list[RecognitionItem]:
    """The catalogue (filled with the defaults on first use), lab tests first, by name."""
    if session.scalar(sa.select(sa.func.count()).select_from(RecognitionItem)) == 0:
        ensure_catalogue(session)
    query = sa.select(RecognitionItem)
    if category:
        query = query.where(RecognitionItem.category == category)
    if not include_inactive:
        query = query.where(RecognitionItem.active.is_(True))
    return list(session.scalars(query.order_by(RecognitionItem.category.desc(), RecognitionItem.name)))


def get_item(session: Session, item_id: int) -> RecognitionItem:
    item = session.get(RecognitionItem, item_id)
    if item is None:
        raise NotFound(f"recognition item {item_id} does not exist")
    return item


def item_by_code(session: Session, code: str) -> RecognitionItem:
    query = sa.select(RecognitionItem).where(RecognitionItem.code == code)
    item = session.scalar(query)
    if item is None:
        # Fill the defaults; when another request filled them at the same moment, its rows are there now.
        ensure_catalogue(session)
        item = session.scalar(query)
    if item is None:
        raise NotFound.on("item_code", "known-item", f"{code} is not an item of the region's catalogue")
    return item


def _codes(values: dict, code: str) -> list[str]:
    codes = [c.strip() for c in values.get("match_codes") or [] if c and c.strip()]
    return [code, *[c for c in dict.fromkeys(codes) if c != code]]


def create_item(session: Session, actor: Principal, values: dict) -> RecognitionItem:
    """Add an item to the region's catalogue."""
    authorize(actor, Permission.RECOGNITION_POLICY)
    if session.scalar(sa.select(RecognitionItem.id).where(RecognitionItem.code == values["code"])):
        raise Conflict.on("code", "unique", f"the catalogue already has an item {values['code']}")
    item = RecognitionItem(**(values | {"match_codes": _codes(values, values["code"])}))
    session.add(item)
    session.flush()
    record_event(session, actor, "recognition.item.create", "recognition_item", item.id,
                 details={"code": item.code})
    return item


def update_item(session: Session, actor: Principal, item: RecognitionItem, changes: dict) -> RecognitionItem:
    """Change an item's window, fee, codes or status; figures already counted keep the fee of their day."""
    authorize(actor, Permission.RECOGNITION_POLICY)
    if "match_codes" in changes:
        changes["match_codes"] = _codes(changes, item.code)
    for key, value in changes.items():
        setattr(item, key, value)
    session.flush()
    record_event(session, actor, "recognition.item.update", "recognition_item", item.id,
                 details={"changed": sorted(changes)})
    return item


# --- accreditation (the HR mark) -------------------------------------------------------------------

def accredit(session: Session, actor: Principal, *, institution_id: int, item_id: int, passed_on: dt.date,
             valid_until: dt.date, scheme: str = "") -> Accreditation:
    """Record that an institution passed quality control for an item (its results then carry the HR mark)."""
    authorize(actor, Permission.RECOGNITION_POLICY)
    get_item(session, item_id)
    if session.get(Institution, institution_id) is None:
        raise NotFound.on("institution_id", "exists", f"institution {institution_id} does not exist")
    if valid_until < passed_on:
        raise InvalidInput.on("valid_until", "after-passed-on", "the accreditation ends before it starts")
    row = Accreditation(institution_id=institution_id, item_id=item_id, passed_on=passed_on,
                        valid_until=valid_until, scheme=scheme)
    session.add(row)
    session.flush()
    record_event(session, actor, "recognition.accreditation.create", "accreditation", row.id,
                 institution_id=institution_id, details={"item_id": item_id})
    return row


def get_accreditation(session: Session, accreditation_id: int) -> Accreditation:
    row = session.get(Accreditation, accreditation_id)
    if row is None:
        raise NotFound(f"accreditation {accreditation_id} does not exist")
    return row


def withdraw_accreditation(session: Session, actor: Principal, row: Accreditation) -> Accreditation:
    """Withdraw an accreditation (failed quality control): the institution's results lose the HR mark."""
    authorize(actor, Permission.RECOGNITION_POLICY)
    if row.withdrawn:
        raise Conflict.on("accreditation", "in-force", "the accreditation is already withdrawn")
    row.withdrawn = True
    session.flush()
    record_event(session, actor, "recognition.accreditation.withdraw", "accreditation", row.id,
                 institution_id=row.institution_id, details={"item_id": row.item_id})
    return row


def list_accreditations(session: Session, *, institution_id: int | None = None, item_id: int | None = None,
                        limit: int = 200) -> list[Accreditation]:
    """Accreditations in force or past (public: the HR mark is published), newest first."""
    query = sa.select(Accreditation).where(Accreditation.withdrawn.is_(False))
    if institution_id is not None:
        query = query.where(Accreditation.institution_id == institution_id)
    if item_id is not None:
        query = query.where(Accreditation.item_id == item_id)
    return list(session.scalars(query.order_by(Accreditation.id.desc()).limit(limit)))


# --- candidates: the patient's results for an item, each judged ------------------------------------

@dataclass
class Candidate:
    kind: str
    id: int
    fhir_id: str
    institution_id: int | None
    custodian_institution_id: int | None
    patient_record_id: int
    made_at: dt.datetime
    status: str
    summary: str
    why: rules.Why

    @property
    def recognisable(self) -> bool:
        return rules.recognisable(self.why)

    def as_dict(self, now: dt.datetime) -> dict:
        return {"kind": self.kind, "id": self.id, "fhir_id": self.fhir_id, "institution_id": self.institution_id,
                "made_at": self.made_at.isoformat(), "age_days": rules.age_days(self.made_at, now),
                "status": self.status, "summary": self.summary, "why": self.why.value,
                "recognisable": self.recognisable}


def sites(session: Session, ids) -> dict[int, rules.Site]:
    """The institutions among ids as the rules see them (grade, type, communities)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    communities: dict[int, set[int]] = defaultdict(set)
    for institution_id, community_id in session.execute(
            sa.select(CommunityMembership.institution_id, CommunityMembership.community_id)
            .where(CommunityMembership.institution_id.in_(ids))):
        communities[institution_id].add(community_id)
    rows = session.execute(sa.select(Institution.id, Institution.type, Institution.grade_level)
                           .where(Institution.id.in_(ids)))
    return {r.id: rules.Site(r.id, _text(r.type), r.grade_level,
                             frozenset(communities[r.id])) for r in rows}


def _windows(session: Session, item_id: int, ids) -> dict[int, list[rules.Window]]:
    out: dict[int, list[rules.Window]] = defaultdict(list)
    ids = {i for i in ids if i is not None}
    if ids:
        for row in session.execute(sa.select(Accreditation.institution_id, Accreditation.passed_on,
                                             Accreditation.valid_until)
                                   .where(Accreditation.item_id == item_id, Accreditation.withdrawn.is_(False),
                                          Accreditation.institution_id.in_(ids))):
            out[row.institution_id].append(rules.Window(row.passed_on, row.valid_until))
    return out


def _text(value) -> str:
    return str(getattr(value, "value", value))


def _summary(row) -> str:
    if isinstance(row, Observation):
        if row.value_quantity is not None:
            value = f"{row.value_quantity:g} {row.value_unit}".strip()
        else:
            value = row.value_string or row.value_code_display or row.value_code
        return f"{row.code_display or row.code}: {value}"[:200]
    return f"{row.code_display or row.code}: {row.conclusion}"[:200]


def candidates(session: Session, item: RecognitionItem, patient_record_id: int, ordering_institution_id: int,
               *, now: dt.datetime | None = None, records: list[int] | None = None, policy: rules.Scope | None = None,
               site_cache: dict[int, rules.Site] | None = None) -> list[Candidate]:
    """The person's results for item at every institution up to now, newest first, each judged for the orderer.

    records, policy and site_cache spare the look-ups when many checks run at once (the demo, the benchmark).
    """
    now = now or utcnow()
    model = RESULT_MODELS[ResultKind(item.result_kind)]
    if records is None:
        records = access.same_person_records(session, patient_record_id)
    rows = session.scalars(sa.select(model).where(
        model.patient_record_id.in_(records), model.code.in_(item.match_codes or [item.code]),
        model.effective_at.is_not(None), model.effective_at <= now)
        .order_by(model.effective_at.desc(), model.id.desc()).limit(MAX_CANDIDATES)).all()
    performers = {r.id: r.performer_institution_id or r.custodian_institution_id for r in rows}
    wanted = {ordering_institution_id, *performers.values()}
    if site_cache is None:
        known = sites(session, wanted)
    else:
        missing = {i for i in wanted if i is not None and i not in site_cache}
        if missing:
            site_cache.update(sites(session, missing))
        known = site_cache
    windows = _windows(session, item.id, performers.values()) if rows else {}
    policy = policy or scope(session)
    ordering = known.get(ordering_institution_id) or rules.Site(ordering_institution_id, "", None)
    out = []
    for row in rows:
        performer = performers[row.id]
        site = known.get(performer) if performer is not None else None
        why = rules.judge(status=_text(row.status), made_at=row.effective_at, validity_days=item.validity_days,
                          ordering=ordering, performing=site or rules.Site(-1, "", None),
                          windows=windows.get(performer, []), scope=policy, now=now)
        out.append(Candidate(model.__name__, row.id, row.fhir_id, performer, row.custodian_institution_id,
                             row.patient_record_id, row.effective_at, _text(row.status), _summary(row), why))
    return out


def _audit_reads(session: Session, actor: Principal, found: list[Candidate]) -> None:
    """One audited read per custodian and patient record of the results shown, on the order's basis."""
    groups: dict[tuple, list[str]] = defaultdict(list)
    for c in found:
        groups[(c.kind, c.patient_record_id, c.custodian_institution_id)].append(c.fhir_id)
    basis = access.Access("recognition-order")
    for (kind, record_id, custodian), ids in groups.items():
        access.audit_read(session, actor, basis, resource_type=kind, fhir_ids=ids, patient_record_id=record_id,
                          custodian_institution_id=custodian, interaction="recognition-check")


# --- the order-time check and the decision --------------------------------------------------------

def check(session: Session, actor: Principal, *, patient_record_id: int, item_code: str,
          service_request_id: int | None = None, now: dt.datetime | None = None) -> RecognitionCheck:
    """Look up the patient's recognisable results for an item at order time, with the reason for each other one."""
    record = identity.load_patient_record(session, patient_record_id)
    authorize(actor, Permission.RECOGNITION_CHECK, institutions=[record.institution_id])
    item = item_by_code(session, item_code)
    if not item.active:
        raise Conflict.on("item_code", "active-item", f"{item_code} is no longer in the catalogue")
    if service_request_id is not None:
        order = session.get(ServiceRequest, service_request_id)
        if order is None or order.patient_record_id not in access.same_person_records(session, patient_record_id):
            raise InvalidInput.on("service_request_id", "same-patient", "the order is not this patient's")
    now = now or utcnow()
    found = candidates(session, item, patient_record_id, record.institution_id, now=now)
    row = RecognitionCheck(item_id=item.id, patient_record_id=record.id,
                           person_id=access.person_of_record(session, record.id), institution_id=record.institution_id,
                           practitioner_id=actor.practitioner_id, user_id=actor.user_id,
                           service_request_id=service_request_id, checked_at=now,
                           month=rules.month_of(now, region_tz()), candidates=[c.as_dict(now) for c in found],
                           recognisable_count=sum(c.recognisable for c in found), fee_fen=item.fee_fen)
    session.add(row)
    session.flush()
    _audit_reads(session, actor, found)
    record_event(session, actor, "recognition.check", "recognition_check", row.id,
                 institution_id=record.institution_id, patient_record_id=record.id,
                 details={"item": item.code, "results": len(found), "recognisable": row.recognisable_count})
    return row


def get_check(session: Session, check_id: int) -> RecognitionCheck:
    row = session.get(RecognitionCheck, check_id)
    if row is None:
        raise NotFound(f"recognition check {check_id} does not exist")
    return row


def read_check(session: Session, actor: Principal, check_id: int) -> RecognitionCheck:
    """A check, for its institution's staff."""
    row = get_check(session, check_id)
    _authorize_check(session, actor, row, Permission.RECOGNITION_CHECK)
    return row


def _authorize_check(session: Session, actor: Principal, row: RecognitionCheck, permission: Permission) -> None:
    authorize(actor, permission, institutions=[row.institution_id])


def _pending(row: RecognitionCheck) -> None:
    if row.decision is not Decision.PENDING:
        raise Conflict.on("decision", "pending", f"the order was already decided ({row.decision.value})")


def _fulfil_order(session: Session, row: RecognitionCheck, item: RecognitionItem, *, status: RequestStatus,
                  reason: str, now: dt.datetime) -> None:
    """Record the order on the shared record: fulfilled by the prior result (completed) or to be done (active)."""
    order = session.get(ServiceRequest, row.service_request_id) if row.service_request_id else None
    if order is None:
        order = ServiceRequest(status=status, intent="order", category="laboratory" if item.category == "lab"
                               else "imaging", code_system=item.code_system, code=item.code, code_display=item.name,
                               patient_record_id=row.patient_record_id, requester_practitioner_id=row.practitioner_id,
                               requester_institution_id=row.institution_id, authored_on=row.checked_at,
                               custodian_institution_id=row.institution_id, reason_text=reason[:500],
                               resource={"resourceType": "ServiceRequest"})
        session.add(order)
        session.flush()
        row.service_request_id = order.id
    else:
        order.status = status
        order.reason_text = reason[:500]
        order.version_id += 1
        order.last_updated = now


def accept(session: Session, actor: Principal, row: RecognitionCheck, *, result_kind: str, result_id: int,
           now: dt.datetime | None = None) -> RecognitionCheck:
    """Fulfil the order by a recognisable prior result: no new exam, the fee is saved."""
    _authorize_check(session, actor, row, Permission.RECOGNITION_CHECK)
    _pending(row)
    now = now or utcnow()
    item = get_item(session, row.item_id)
    current = {(c.kind, c.id): c for c in candidates(session, item, row.patient_record_id, row.institution_id,
                                                     now=now)}
    chosen = current.get((result_kind, result_id))
    if chosen is None:
        raise InvalidInput.on("result_id", "offered-result", "the result is not one of this patient's results "
                                                            "for the item")
    if not chosen.recognisable:
        raise InvalidInput.on("result_id", "recognisable", f"the result is not recognisable ({chosen.why.value})")
    row.decision, row.decided_at, row.decided_by_user_id = Decision.ACCEPTED, now, actor.user_id
    row.accepted_kind, row.accepted_id, row.accepted_institution_id = result_kind, result_id, chosen.institution_id
    row.fee_fen = item.fee_fen
    _fulfil_order(session, row, item, status=RequestStatus.COMPLETED,
                  reason=f"fulfilled by a recognised result: {result_kind}/{chosen.fhir_id}", now=now)
    session.flush()
    record_event(session, actor, "recognition.accept", "recognition_check", row.id, institution_id=row.institution_id,
                 patient_record_id=row.patient_record_id,
                 details={"item": item.code, "result": f"{result_kind}/{result_id}", "saved_fen": item.fee_fen})
    return row


def repeat(session: Session, actor: Principal, row: RecognitionCheck, *, reason: str | None, note: str = "",
           now: dt.datetime | None = None) -> RecognitionCheck:
    """Do the exam again: with a recognisable result on offer, only for a reason from the national list."""
    _authorize_check(session, actor, row, Permission.RECOGNITION_CHECK)
    _pending(row)
    now = now or utcnow()
    item = get_item(session, row.item_id)
    chosen = None
    if reason:
        try:
            chosen = RepeatReason(reason)
        except ValueError as error:
            raise InvalidInput.on("reason", "repeat-reason", f"{reason} is not one of the reasons: "
                                  + ", ".join(r.value for r in RepeatReason)) from error
    offered = any(c.recognisable for c in candidates(session, item, row.patient_record_id, row.institution_id,
                                                     now=now))
    if offered and chosen is None:
        raise InvalidInput.on("reason", "required", "a recognisable result exists: state the reason for repeating")
    row.decision = Decision.REPEATED if offered else Decision.NEW
    row.repeat_reason, row.repeat_note = chosen, note.strip()[:500]
    row.decided_at, row.decided_by_user_id = now, actor.user_id
    text = f"repeated: {chosen.value}" if offered else "no recognisable result"
    _fulfil_order(session, row, item, status=RequestStatus.ACTIVE, reason=text + (f" ({note.strip()})"
                                                                                  if note.strip() else ""), now=now)
    session.flush()
    record_event(session, actor, "recognition.repeat", "recognition_check", row.id, institution_id=row.institution_id,
                 patient_record_id=row.patient_record_id,
                 details={"item": item.code, "decision": row.decision.value,
                          "reason": chosen.value if chosen else None})
    return row


def list_checks(session: Session, actor: Principal, *, decision: str | None = None, repeat_reason: str | None = None,
                institution_id: int | None = None, limit: int = 50, offset: int = 0
                ) -> tuple[list[RecognitionCheck], int]:
    """Checks of the actor's institution (or any, for the region), newest first; repeats stay queryable by reason."""
    reach = scope_of(actor, Permission.RECOGNITION_FIGURES) or scope_of(actor, Permission.RECOGNITION_CHECK)
    if reach is None:
        raise Forbidden(f"the role {actor.role.value} lacks the permission {Permission.RECOGNITION_CHECK.value}")
    query = sa.select(RecognitionCheck)
    if reach is not Scope.ANY:
        institution_id = actor.institution_id
    if institution_id is not None:
        query = query.where(RecognitionCheck.institution_id == institution_id)
    if decision:
        query = query.where(RecognitionCheck.decision == decision)
    if repeat_reason:
        query = query.where(RecognitionCheck.repeat_reason == repeat_reason)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(RecognitionCheck.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def decisions_for_patient(session: Session, actor: Principal) -> list[RecognitionCheck]:
    """A patient's own decided orders: which prior results were accepted and why exams were repeated."""
    if actor.patient_record_id is None:
        raise Forbidden("only a patient account has orders of its own")
    authorize(actor, Permission.PATIENT_READ, patient_record_id=actor.patient_record_id)
    records = access.same_person_records(session, actor.patient_record_id)
    rows = session.scalars(sa.select(RecognitionCheck).where(
        RecognitionCheck.patient_record_id.in_(records), RecognitionCheck.decision != Decision.PENDING)
        .order_by(RecognitionCheck.decided_at.desc()).limit(200)).all()
    record_event(session, actor, "recognition.read-own", "patient_record", actor.patient_record_id,
                 patient_record_id=actor.patient_record_id, details={"count": len(rows)})
    return list(rows)
