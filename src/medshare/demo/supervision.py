"""Demo extension: regulators of the five departments, joint cases with findings, fines, warnings and
suspensions, one blacklisted clinic, one institution back in good standing after an approved remediation, a
suspended doctor, public complaints in every state, and the credit events derived from the region's data.

Calibration: Chinese provincial health commissions publish administrative penalties on roughly 2-4% of
medical institutions a year, most of them warnings and fines on small clinics; credit blacklists name a
handful of institutions per city. Complaints run at a few per hospital per quarter and are decided within
about two weeks; roughly a third are substantiated.
"""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.accounts import service as accounts
from medshare.accounts.models import Role, User
from medshare.registry.models import Institution, InstitutionType, Practitioner
from medshare.supervision import cases, complaints, credit
from medshare.supervision.models import (
    ActionKind,
    Complaint,
    ComplaintStatus,
    Department,
    RegulatorDepartment,
    SanctionKind,
)

SANCTIONED_SHARE = 0.03
COMPLAINTS_PER_HOSPITAL = 1.5
CARE = (InstitutionType.TERTIARY_HOSPITAL, InstitutionType.SECONDARY_HOSPITAL, InstitutionType.PRIMARY_HOSPITAL,
        InstitutionType.COMMUNITY_HEALTH_CENTRE, InstitutionType.TOWNSHIP_HEALTH_CENTRE,
        InstitutionType.INDIVIDUAL_CLINIC, InstitutionType.VILLAGE_CLINIC, InstitutionType.THIRD_PARTY_LAB,
        InstitutionType.IMAGING_CENTRE)
FINDINGS = ["expired reagents in the laboratory", "claims for exams that were not done", "an unlicensed doctor "
            "on the rota", "sterilisation records incomplete", "prices above the published list",
            "imaging reports signed before the exam", "medical waste stored in the open"]
COMPLAINTS = {"service": "the registration desk sent me away twice", "billing": "I was charged twice for one scan",
              "safety": "the needle was not changed between patients", "conduct": "the doctor refused to explain "
              "the result", "waiting": "I waited four hours past my booked time", "other": "the car park was closed "
              "for ambulance access"}


def _regulators(session: Session, password_hash: str) -> dict[Department, int]:
    """A regulator account per department (the generator's `regulator` acts for health)."""
    bureaus = list(session.scalars(sa.select(Institution.id).where(Institution.type == InstitutionType.REGULATOR)
                                   .order_by(Institution.id)))
    if not bureaus:
        return {}
    found: dict[Department, int] = {}
    health = session.scalar(sa.select(User.id).where(User.username == "regulator"))
    for i, department in enumerate(Department):
        user_id = health if department is Department.HEALTH else None
        if user_id is None:
            user = User(username=f"regulator-{department.value}", display_name=f"{department.value} regulator",
                        password_hash=password_hash, role=Role.REGULATOR, institution_id=bureaus[i % len(bureaus)],
                        locale="zh_Hans")
            session.add(user)
            session.flush()
            user_id = user.id
        session.add(RegulatorDepartment(user_id=user_id, department=department))
        found[department] = user_id
    session.flush()
    return found


def extend(session: Session, context) -> dict[str, int]:
    """Regulators, cases, sanctions, a blacklist, complaints and credit for the seeded region."""
    region = context.region
    rng = random.Random(f"{region.seed}:supervision")
    regulators = _regulators(session, context.password_hash)
    if not regulators:
        return {}
    acting = {d: accounts.principal_of(session.get(User, uid)) for d, uid in regulators.items()}
    sites = list(session.execute(sa.select(Institution.id, Institution.type).where(Institution.type.in_(CARE))
                                 .order_by(Institution.id)))
    clinics = [i for i, t in sites if t in (InstitutionType.INDIVIDUAL_CLINIC, InstitutionType.VILLAGE_CLINIC,
                                             InstitutionType.COMMUNITY_HEALTH_CENTRE)] or [i for i, _ in sites]
    hospitals = [i for i, t in sites if t in (InstitutionType.TERTIARY_HOSPITAL, InstitutionType.SECONDARY_HOSPITAL,
                                              InstitutionType.PRIMARY_HOSPITAL)] or [i for i, _ in sites]
    counts = {"regulator departments": len(regulators)}
    admins = dict(session.execute(sa.select(User.institution_id, User.id)
                                  .where(User.role == Role.INSTITUTION_ADMIN)).all())
    health, insurance, market = acting[Department.HEALTH], acting[Department.INSURANCE], acting[Department.MARKET]
    today = region.today
    made = 0

    # The blacklisted clinic: a joint case of health and insurance, still open.
    blacklisted = rng.choice(clinics)
    case = cases.open_case(session, health, institution_id=blacklisted, title="fraudulent insurance claims",
                           finding="claims for exams that were not done")
    cases.act(session, insurance, case, kind=ActionKind.FINE, fine_fen=rng.randint(5, 30) * 1_000_000,
              text="the insured amounts are recovered with a fine")
    cases.act(session, health, case, kind=ActionKind.SANCTION, sanction_kind=SanctionKind.BLACKLIST,
              text="blacklisted until remediation")
    made += 1

    # An institution back in good standing: suspended, remediated, approved.
    answerable = sorted(i for i, _ in sites if i in admins and i != blacklisted)
    recovered = rng.choice(answerable or [i for i in clinics if i != blacklisted] or clinics)
    case = cases.open_case(session, health, institution_id=recovered, title="sterilisation failures",
                           finding="sterilisation records incomplete")
    cases.act(session, health, case, kind=ActionKind.SUSPENSION, ends_on=today + dt.timedelta(days=60),
              starts_on=today - dt.timedelta(days=20), text="suspended until the autoclaves pass validation")
    if recovered in admins:
        asker = accounts.principal_of(session.get(User, admins[recovered]))
        cases.act(session, asker, case, kind=ActionKind.RESPONSE, text="autoclaves replaced and validated")
        remediation = cases.request_remediation(session, asker, institution_id=recovered,
                                                plan="autoclaves replaced, staff retrained, validation passed")
        cases.decide_remediation(session, market, remediation, approve=True, note="inspected on site")
    made += 1

    # A suspended doctor (the certificate goes with the suspension).
    doctor = session.execute(sa.select(Practitioner.id, Practitioner.primary_institution_id)
                             .where(Practitioner.active.is_(True)).order_by(Practitioner.id)
                             .offset(rng.randrange(0, 50))).first()
    if doctor is not None:
        case = cases.open_case(session, health, institution_id=doctor.primary_institution_id, title="reports "
                               "signed without an exam", practitioner_id=doctor.id,
                               finding="imaging reports signed before the exam")
        cases.act(session, health, case, kind=ActionKind.SUSPENSION, on_practitioner=True,
                  ends_on=today + dt.timedelta(days=180), text="practice suspended for six months")
        made += 1

    # Warnings and fines on about 3% of institutions, some closed, some answered, one under appeal.
    targets = rng.sample([i for i, _ in sites], max(2, int(len(sites) * SANCTIONED_SHARE)))
    for n, institution_id in enumerate(targets):
        department = rng.choice([Department.HEALTH, Department.MARKET, Department.DRUG, Department.INSURANCE])
        actor = acting[department]
        finding = rng.choice(FINDINGS)
        case = cases.open_case(session, actor, institution_id=institution_id, title=finding, finding=finding)
        started = today - dt.timedelta(days=rng.randint(10, 700))
        if rng.random() < 0.5:
            action = cases.act(session, actor, case, kind=ActionKind.FINE, fine_fen=rng.randint(1, 20) * 500_000,
                               starts_on=started, text="fined")
        else:
            action = cases.act(session, actor, case, kind=ActionKind.SANCTION, sanction_kind=SanctionKind.WARNING,
                               starts_on=started, ends_on=started + dt.timedelta(days=365), text="warned")
        answerer = admins.get(institution_id)
        if answerer is not None:
            principal = accounts.principal_of(session.get(User, answerer))
            cases.act(session, principal, case, kind=ActionKind.RESPONSE, text="corrected and reported back")
            if n == 0:
                cases.act(session, principal, case, kind=ActionKind.APPEAL, sanction_id=action.sanction_id,
                          text="the finding rests on an old inspection")
                continue
        if rng.random() < 0.6:
            cases.act(session, actor, case, kind=ActionKind.CLOSURE, text="closed")
        made += 1
    counts["supervision cases"] = made + 1

    # Complaints from the public over the last quarter, most decided.
    now = dt.datetime.combine(today, dt.time(12), dt.UTC)
    filed = 0
    for institution_id in hospitals:
        for _ in range(int(COMPLAINTS_PER_HOSPITAL + rng.random())):
            category = rng.choice(list(COMPLAINTS))
            at = now - dt.timedelta(days=rng.randint(1, 90), hours=rng.randint(0, 23))
            row = complaints.file_complaint(session, institution_id=institution_id, category=category,
                                            text=COMPLAINTS[category], source=f"demo-{rng.getrandbits(64):x}", now=at)
            roll = rng.random()
            if roll < 0.75:
                status = ComplaintStatus.SUBSTANTIATED if roll < 0.25 else ComplaintStatus.UNSUBSTANTIATED
                complaints.handle(session, health, row, status=status, resolution="investigated on site")
                row.handled_at = min(at + dt.timedelta(days=rng.randint(2, 20)), now)
            elif roll < 0.9:
                complaints.handle(session, health, row, status=ComplaintStatus.INVESTIGATING)
            filed += 1
    session.flush()
    counts["complaints"] = filed
    counts["credit events derived"] = sum(credit.refresh(session, on=today).values())
    counts["substantiated complaints"] = session.scalar(sa.select(sa.func.count()).select_from(Complaint).where(
        Complaint.status == ComplaintStatus.SUBSTANTIATED)) or 0
    return counts
