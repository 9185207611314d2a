"""The demo region's shared record: results history of patients seen at several institutions.

Who: persons the master patient index links across two or more institutions (the ones for
whom sharing and mutual recognition matter), about 2.5 % of the city's records, plus the
demo patient account. What: over the last 150 days, one to four visits (Encounters) each at
one of the person's institutions, with the results a visit typically orders, the
repeat-prone items of the national mutual-recognition lists:

* blood count (LOINC panel 58410-2: WBC, RBC, haemoglobin, haematocrit, platelets),
* liver function (24325-3: ALT, AST, total bilirubin, albumin),
* electrolytes (potassium, sodium, chloride, calcium) and glucose as single results,
  HbA1c now and then,
* a plain chest CT at hospitals (local code CT-CHEST-PLAIN; an ImagingStudy and a report
  with a conclusion).

Values are drawn around adult means with Chinese laboratory reference ranges (WS/T 405-2012
for blood counts, WS/T 404 for chemistry) and flagged H/L against them. Visits are skewed
to the recent past so that some results fall inside the recognition windows (7 days for
electrolytes, 30 for most chemistry and CT) and some outside. Every visit is also a care
relationship of its institution. Rows go in by bulk inserts and depend only on the seed.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.identity.models import PatientRecord, PersonLink
from medshare.records import models as rm

LOINC = "http://loinc.org"
LOCAL_EXAM = "https://medshare.example/fhir/CodeSystem/exam"
HISTORY_DAYS = 150
SHARE_OF_RECORDS = 0.025
MAX_PERSONS = {"small": 250, "city": 2_500, "province": 6_000}
CLINICAL_TYPES = {"tertiary_hospital", "secondary_hospital", "primary_hospital", "community_health_centre",
                  "township_health_centre", "village_clinic", "individual_clinic"}
CT_TYPES = {"tertiary_hospital", "secondary_hospital"}

# code, display, unit (UCUM), mean, sd, low, high, decimals
CBC = ("58410-2", "Complete blood count panel", [
    ("6690-2", "Leukocytes", "10*9/L", 6.5, 1.8, 3.5, 9.5, 2),
    ("789-8", "Erythrocytes", "10*12/L", 4.7, 0.5, 3.8, 5.8, 2),
    ("718-7", "Hemoglobin", "g/L", 138, 16, 115, 175, 0),
    ("4544-3", "Hematocrit", "%", 42, 4, 35, 50, 1),
    ("777-3", "Platelets", "10*9/L", 230, 60, 125, 350, 0)])
LFT = ("24325-3", "Hepatic function panel", [
    ("1742-6", "ALT", "U/L", 28, 14, 9, 50, 0),
    ("1920-8", "AST", "U/L", 25, 9, 15, 40, 0),
    ("1975-2", "Bilirubin total", "umol/L", 12, 5, 0, 21, 1),
    ("1751-7", "Albumin", "g/L", 44, 4, 40, 55, 1)])
SINGLES = [
    ("2823-3", "Potassium", "mmol/L", 4.2, 0.4, 3.5, 5.3, 2),
    ("2951-2", "Sodium", "mmol/L", 141, 2.5, 137, 147, 0),
    ("2075-0", "Chloride", "mmol/L", 104, 3, 99, 110, 0),
    ("17861-6", "Calcium", "mmol/L", 2.3, 0.12, 2.11, 2.52, 2),
    ("2345-7", "Glucose", "mmol/L", 5.4, 1.2, 3.9, 6.1, 1)]
HBA1C = ("4548-4", "Hemoglobin A1c", "%", 5.8, 0.9, 4.0, 6.0, 1)
CT_FINDINGS = ["双肺未见明显异常。", "右肺上叶见磨玻璃结节，直径约5mm，建议年度随访。", "双肺下叶少许纤维条索影。",
               "左肺下叶炎症，建议治疗后复查。", "双肺散在小结节，最大约4mm，考虑良性。"]


def _fid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _bulk(session: Session, model, rows: list[dict]) -> list[int]:
    """Insert rows with ids assigned here, in order (one executemany, no RETURNING); their ids.

    On PostgreSQL the id sequence is moved past them afterwards so later inserts never collide.
    """
    if not rows:
        return []
    table = model.__table__
    start = (session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
    ids = list(range(start, start + len(rows)))
    for row, id_ in zip(rows, ids, strict=True):
        row["id"] = id_
    session.execute(table.insert(), rows)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), :last)"),
                        {"last": ids[-1]})
    return ids


def _value(rng: random.Random, item) -> tuple[float, str]:
    _, _, _, mean, sd, low, high, decimals = item
    value = max(0.0, round(rng.gauss(mean, sd), decimals))
    flag = "H" if value > high else ("L" if value < low else "N")
    return value, flag


def _persons(session: Session, rng: random.Random, wanted: int, extra_record: int | None) -> dict[int, list]:
    """person id -> [(record id, institution id)] of persons with records at two or more institutions."""
    multi = sa.select(PersonLink.person_id).group_by(PersonLink.person_id).having(sa.func.count() >= 2)
    rows = session.execute(sa.select(PersonLink.person_id, PatientRecord.id, PatientRecord.institution_id)
                           .join(PatientRecord, PatientRecord.id == PersonLink.patient_record_id)
                           .where(PersonLink.person_id.in_(multi)).order_by(PersonLink.person_id, PatientRecord.id))
    persons: dict[int, list] = defaultdict(list)
    for person, record, institution in rows:
        persons[person].append((record, institution))
    chosen = sorted(rng.sample(sorted(persons), min(wanted, len(persons))))
    out = {p: persons[p] for p in chosen}
    if extra_record is not None:
        person = session.scalar(sa.select(PersonLink.person_id).where(PersonLink.patient_record_id == extra_record))
        if person is not None and person not in out:
            records = session.execute(sa.select(PatientRecord.id, PatientRecord.institution_id).join(
                PersonLink, PersonLink.patient_record_id == PatientRecord.id).where(
                PersonLink.person_id == person)).all()
            out[person] = [(r, i) for r, i in records]
    return out


def extend(session: Session, context) -> dict[str, int]:
    """Add visits, results, reports and chest CTs for the region's multi-institution patients."""
    region = context.region
    rng = random.Random(f"{region.seed}:records")
    kinds = {row["id"]: row["type"] for row in region.institutions if row.get("status", "active") == "active"}
    doctors: dict[int, list[int]] = defaultdict(list)
    for row in region.practitioners:
        if row.get("profession") == "doctor" and row.get("active", True):
            doctors[row["primary_institution_id"]].append(row["id"])
    wanted = min(MAX_PERSONS.get(region.scale, 250), max(20, int(len(region.patient_records) * SHARE_OF_RECORDS)))
    showcase = next((u["patient_record_id"] for u in region.users if u.get("username") == "patient"), None)
    persons = _persons(session, rng, wanted, showcase)
    now = dt.datetime.combine(region.today, dt.time(9), dt.UTC)

    encounters, plans = [], []
    for person, records in persons.items():
        records = [(r, i) for r, i in records if kinds.get(i) in CLINICAL_TYPES] or records
        visits = 4 if person in persons and any(r == showcase for r, _ in records) else rng.choice((1, 2, 2, 3, 4))
        for _ in range(visits):
            record, institution = rng.choice(records)
            days = min(HISTORY_DAYS, int(rng.expovariate(1 / 35)))  # skewed to the recent past
            start = now - dt.timedelta(days=days, hours=rng.randint(0, 8), minutes=rng.randint(0, 59))
            doctor = rng.choice(doctors[institution]) if doctors.get(institution) else None
            encounters.append({
                "fhir_id": _fid(rng), "status": rm.EncounterStatus.FINISHED.value, "class_code": "AMB",
                "type_system": "http://snomed.info/sct", "type_code": "185349003",
                "type_display": "Encounter for check up", "patient_record_id": record, "institution_id": institution,
                "practitioner_id": doctor, "period_start": start, "period_end": start + dt.timedelta(minutes=20),
                "custodian_institution_id": institution, "last_updated": start, "resource": {}})
            plans.append((record, institution, doctor, start))
    if not encounters:
        return {}
    ids = _bulk(session, rm.Encounter, encounters)

    observations, reports, studies = [], [], []
    report_items: list[list[int]] = []  # per report: indexes into observations

    def obs(item, record, institution, doctor, encounter_id, at) -> int:
        code, display, unit, *_ = item
        value, flag = _value(rng, item)
        observations.append({
            "fhir_id": _fid(rng), "status": "final", "category": "laboratory", "code_system": LOINC, "code": code,
            "code_display": display, "value_kind": "quantity", "value_quantity": value, "value_unit": unit,
            "value_unit_code": unit, "reference_low": item[5], "reference_high": item[6], "interpretation": flag,
            "effective_at": at, "issued": at + dt.timedelta(hours=2), "patient_record_id": record,
            "performer_institution_id": institution, "performer_practitioner_id": doctor,
            "encounter_id": encounter_id, "custodian_institution_id": institution, "last_updated": at,
            "resource": {}, "components": []})
        return len(observations) - 1

    def report(code, system, display, category, record, institution, doctor, encounter_id, at, conclusion="",
               study=None) -> None:
        reports.append({
            "fhir_id": _fid(rng), "status": "final", "category": category, "code_system": system, "code": code,
            "code_display": display, "conclusion": conclusion, "effective_at": at,
            "issued": at + dt.timedelta(hours=3), "patient_record_id": record, "encounter_id": encounter_id,
            "performer_institution_id": institution, "performer_practitioner_id": doctor,
            "interpreter_practitioner_id": doctor if category == "RAD" else None, "imaging_study_index": study,
            "custodian_institution_id": institution, "last_updated": at, "resource": {}})

    for encounter_id, (record, institution, doctor, start) in zip(ids, plans, strict=True):
        at = start + dt.timedelta(minutes=30)
        if rng.random() < 0.8:
            items = [obs(i, record, institution, doctor, encounter_id, at) for i in CBC[2]]
            report(CBC[0], LOINC, CBC[1], "LAB", record, institution, doctor, encounter_id, at)
            report_items.append(items)
        if rng.random() < 0.5:
            items = [obs(i, record, institution, doctor, encounter_id, at) for i in LFT[2]]
            report(LFT[0], LOINC, LFT[1], "LAB", record, institution, doctor, encounter_id, at)
            report_items.append(items)
        if rng.random() < 0.6:
            for item in SINGLES:
                obs(item, record, institution, doctor, encounter_id, at)
        if rng.random() < 0.15:
            obs(HBA1C, record, institution, doctor, encounter_id, at)
        if kinds.get(institution) in CT_TYPES and rng.random() < 0.2:
            studies.append({
                "fhir_id": _fid(rng), "status": "available", "modality": "CT", "procedure_code": "CT-CHEST-PLAIN",
                "procedure_display": "CT chest plain", "description": "胸部CT平扫", "started": at,
                "number_of_series": 3, "number_of_instances": rng.randint(180, 320), "patient_record_id": record,
                "encounter_id": encounter_id, "institution_id": institution, "custodian_institution_id": institution,
                "last_updated": at, "resource": {}, "series": []})
            report("CT-CHEST-PLAIN", LOCAL_EXAM, "CT chest plain", "RAD", record, institution, doctor, encounter_id,
                   at, rng.choice(CT_FINDINGS), study=len(studies) - 1)
            report_items.append([])

    obs_ids = _bulk(session, rm.Observation, observations)
    study_ids = _bulk(session, rm.ImagingStudy, studies) if studies else []
    for row in reports:
        index = row.pop("imaging_study_index")
        row["imaging_study_id"] = study_ids[index] if index is not None else None
    report_ids = _bulk(session, rm.DiagnosticReport, reports)
    links = [{"report_id": rid, "observation_id": obs_ids[i], "position": p}
             for rid, items in zip(report_ids, report_items, strict=True) for p, i in enumerate(items)]
    if links:
        session.execute(rm.DiagnosticReportResult.__table__.insert(), links)
    return {"record persons": len(persons), "encounters": len(ids), "observations": len(obs_ids),
            "diagnostic reports": len(report_ids), "imaging studies": len(study_ids)}
