"""The demo region's tiered care: family-doctor teams and contracts with their chronic follow-ups, two months
of referrals up and down in every state, teleconsultations, the coming two weeks' night-care rota (with a few
gaps left to see) and tonight's online requests.

Calibration (national figures, applied to the region's patient records, i.e. people in contact with care):
- family-doctor contracts: about 35 % of residents registered at a community or township health centre
  (the national signing rate of the resident population; key groups are higher), one team per ~1,500
  contracts (a team holds at most 2,000);
- chronic conditions of contracted adults at their prevalence in Chinese surveys: hypertension 27.5 %
  (China Hypertension Survey), diabetes 12.4 %, CKD 8.2 %, COPD 8.6 % (China Pulmonary Health, ≥ 20),
  stroke sequelae 1.6 %, coronary heart disease 1.2 %, severe mental disorder 0.45 %; follow-ups quarterly
  (semi-annually for COPD), about 20 % of them overdue (standardised management rates are ~ 70-80 %);
- referrals: 1.5 % of records referred in 60 days, down-referrals about a third of up-referrals (national
  statistics show down-referral well below up-referral), acceptance in minutes for emergencies and hours
  otherwise;
- teleconsultations: 0.4 % of records in the two months (a quarter of the referral volume);
- night care: the policy's two generalists and one paediatrician every night, two nights left short.
A teleconsultation or shift never clashes with what its doctor is already committed to at another site (a
consulting room rented in the medical mall in the evening, say): the demo reads those commitments as the risk
rules' overlap rule does, so the region's first risk scan finds only the risks planted on purpose.
Everything is deterministic from the region's seed; rows go in by bulk insert.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medshare.care import nightcare
from medshare.care import rules as care_rules
from medshare.care.models import (
    Contract,
    FollowUp,
    Message,
    NightRequest,
    Referral,
    ReferralEvent,
    Shift,
    Team,
    TeamMember,
    Teleconsult,
)
from medshare.geo import distance_km
from medshare.risk import sources as risk_sources
from medshare.risk.service import RiskPolicy

SIGNING_RATE = 0.35
CONTRACTS_PER_TEAM = 1500
PREVALENCE = {"hypertension": 0.275, "diabetes": 0.124, "ckd": 0.082, "copd": 0.086, "stroke": 0.016,
              "chd": 0.012, "severe_mental_disorder": 0.0045}
OVERDUE_SHARE = 0.2
REFERRAL_SHARE = 0.015
HISTORY_DAYS = 60
TELECONSULT_SHARE = 0.004
TELECONSULT_SPECIALTIES = ("心内科", "神经内科", "内分泌科", "呼吸内科", "肾内科", "消化内科", "肿瘤科", "儿科")
PRIMARY = ("community_health_centre", "township_health_centre")
HOSPITALS = ("tertiary_hospital", "secondary_hospital")
LEVEL = {"tertiary_hospital": 3, "secondary_hospital": 2, "primary_hospital": 1, "community_health_centre": 1,
         "township_health_centre": 1, "village_clinic": 0}
# Where an up-referral ends: draft, cancelled, declined, waiting, accepted, arrived, completed, handed back.
UP_OUTCOMES = (("draft", 3), ("cancelled", 3), ("declined", 7), ("sent", 6), ("accepted", 8), ("arrived", 10),
               ("completed", 35), ("down_referred", 28))
URGENCIES = (("emergency", 15), ("urgent", 25), ("routine", 60))
ACCEPT_HOURS = {"emergency": (0.08, 0.4), "urgent": (0.5, 3.0), "routine": (2.0, 30.0)}
PLAN = "血压/血糖已控制，继续原方案；按时社区随访，如症状加重及时上转"
TELECONSULT_MINUTES = 30
TELECONSULT_HOURS = range(1, 9)  # sessions start on the hour, 09:00-16:00 local (01:00-08:00 UTC)
TELECONSULT_SEARCH_DAYS = 7  # a busy specialist's session moves to their next free hour, at most this far


def _km(a: dict, b: dict) -> float:
    return distance_km(a["latitude"], a["longitude"], b["latitude"], b["longitude"])


def _pick(rng: random.Random, table) -> str:
    return rng.choices([k for k, _ in table], [w for _, w in table])[0]


def _age(born: dt.date | None, today: dt.date) -> int:
    return (today - born).days // 365 if born else 40


class _Diary:
    """Practitioners' commitments as the risk rules' overlap rule reads them (every source in
    medshare.risk.sources.COMMITMENT_SOURCES: rooms and theatres they booked for themselves, teleconsultations,
    rota shifts), read in bulk for a window, and the demo's own new ones as it makes them.

    A new commitment is free when it clashes with none of the practitioner's commitments at another site (within
    the policy's travel gap, as the rule counts them) nor with any of the demo's own new ones at any site (one
    doctor gives one consultation at a time)."""

    def __init__(self, session: Session, practitioner_ids: set[int], start: dt.datetime, end: dt.datetime) -> None:
        self.gap = dt.timedelta(minutes=RiskPolicy().travel_minutes)
        self.held: dict[int, list[tuple[dt.datetime, dt.datetime, int, bool]]] = defaultdict(list)
        for c in risk_sources.gather(risk_sources.COMMITMENT_SOURCES, session, start, end):
            if c.practitioner_id in practitioner_ids and c.ends_at > c.starts_at:
                self.held[c.practitioner_id].append((c.starts_at, c.ends_at, c.site_id, False))

    def free(self, practitioner_id: int, site_id: int, start: dt.datetime, end: dt.datetime) -> bool:
        for a, b, site, own in self.held.get(practitioner_id, ()):
            gap = self.gap if site != site_id else dt.timedelta(0)
            if (site != site_id or own) and a < end + gap and start < b + gap:
                return False
        return True

    def add(self, practitioner_id: int, site_id: int, start: dt.datetime, end: dt.datetime) -> None:
        self.held[practitioner_id].append((start, end, site_id, True))


def extend(session: Session, context) -> dict[str, int]:
    """Add teams, contracts, follow-ups, referrals, teleconsultations, the rota and night requests."""
    region = context.region
    rng = random.Random(f"{region.seed}:care")
    today = region.today
    now = dt.datetime.combine(today, dt.time(12), dt.UTC)  # 20:00 in the region: tonight's shifts are on
    sites = {row["id"]: row for row in region.institutions if row["status"] == "active"
             and row["latitude"] is not None}
    doctors = [p for p in region.practitioners if p["active"] and p["profession"] == "doctor"]
    by_site: dict[int, list[dict]] = {}
    for p in region.practitioners:
        if p["active"]:
            by_site.setdefault(p["primary_institution_id"], []).append(p)
    records_at: dict[int, list[dict]] = {}
    for r in region.patient_records:
        records_at.setdefault(r["institution_id"], []).append(r)
    counts = {}
    teams, members, contracts, follow_ups = _family_doctors(rng, region, sites, by_site, records_at, today)
    for model, rows in ((Team, teams), (TeamMember, members), (Contract, contracts), (FollowUp, follow_ups)):
        if rows:
            session.execute(sa.insert(model), rows)
    counts |= {"care teams": len(teams), "family-doctor contracts": len(contracts), "follow-ups": len(follow_ups)}
    community_of = {}
    for m in region.memberships:
        community_of.setdefault(m["institution_id"], set()).add(m["community_id"])
    team_of_record = {c["patient_record_id"]: c["team_id"] for c in contracts}
    referrals, events = _referrals(rng, region, sites, records_at, community_of, team_of_record, now)
    if referrals:
        session.execute(sa.insert(Referral), referrals)
    if events:
        session.execute(sa.insert(ReferralEvent), events)
    counts["referrals"] = len(referrals)
    # Everything the doctors are committed to already (rooms they rent, above all), from the earliest
    # teleconsultation to past the last shift.
    diary = _Diary(session, {d["id"] for d in doctors}, now - dt.timedelta(days=HISTORY_DAYS + 1),
                   now + dt.timedelta(days=30))
    consults = _teleconsults(rng, region, sites, doctors, records_at, now, diary)
    if consults:
        session.execute(sa.insert(Teleconsult), consults)
    counts["teleconsultations"] = len(consults)
    shifts = _rota(rng, sites, by_site, now, diary)
    if shifts:
        session.execute(sa.insert(Shift), shifts)
    counts["night shifts"] = len(shifts)
    requests, messages = _night_requests(rng, region, records_at, shifts, now)
    if requests:
        session.execute(sa.insert(NightRequest), requests)
    if messages:
        session.execute(sa.insert(Message), messages)
    counts["night requests"] = len(requests)
    return counts


def _family_doctors(rng, region, sites, by_site, records_at, today):
    showcase = {u["practitioner_id"] for u in region.users if u["practitioner_id"]}
    teams, members, contracts, follow_ups = [], [], [], []
    for site_id, site in sorted(sites.items()):
        if site["type"] not in PRIMARY:
            continue
        residents = [r for r in records_at.get(site_id, []) if rng.random() < SIGNING_RATE]
        gps = [p for p in by_site.get(site_id, []) if p["profession"] == "doctor"]
        if not residents or not gps:
            continue
        nurses = [p for p in by_site.get(site_id, []) if p["profession"] == "nurse"]
        # The demo account `family-doctor` leads its site's first team.
        gps.sort(key=lambda p: p["id"] not in showcase)
        count = min(len(gps), max(1, math.ceil(len(residents) / CONTRACTS_PER_TEAM)))
        mine = []
        for i in range(count):
            team_id = len(teams) + 1
            leader = gps[i]
            teams.append({"id": team_id, "institution_id": site_id, "name": f"{leader['name']}家庭医生团队",
                          "leader_id": leader["id"], "capacity": 2000, "active": True})
            staff = [leader, *([nurses[i % len(nurses)]] if nurses else [])]
            members += [{"team_id": team_id, "practitioner_id": p["id"]} for p in staff]
            mine.append(team_id)
        for n, record in enumerate(residents):
            contract_id = len(contracts) + 1
            start = today - dt.timedelta(days=rng.randrange(0, 365))
            age = _age(record.get("birth_date"), today)
            conditions = [c for c, p in PREVALENCE.items() if age >= 18 and rng.random() < p * (1.6 if age >= 60
                                                                                              else 0.7)]
            package = ("chronic" if conditions else "elderly" if age >= 65
                       else "maternal_child" if age < 7 else "basic")
            contracts.append({"id": contract_id, "team_id": mine[n % len(mine)], "patient_record_id": record["id"],
                              "package": package, "conditions": conditions, "starts_on": start,
                              "ends_on": care_rules.contract_end(start, 12), "status": "active",
                              "renewed_from_id": None})
            for condition in conditions:
                interval = 180 if condition == "copd" else 90
                due = today + dt.timedelta(days=rng.randrange(0, interval))
                if rng.random() < OVERDUE_SHARE:
                    due = today - dt.timedelta(days=rng.randrange(1, 45))
                follow_ups.append({"contract_id": contract_id, "condition": condition, "due_on": due,
                                   "observations": {}})
    return teams, members, contracts, follow_ups


def _referrals(rng, region, sites, records_at, community_of, team_of_record, now):
    hospitals = [s for s in sites.values() if s["type"] in HOSPITALS]
    if not hospitals:
        return [], []
    sources = [s for s in sites.values() if s["type"] in (*PRIMARY, "village_clinic", "primary_hospital")
               and records_at.get(s["id"])]
    nearest = {s["id"]: sorted(hospitals, key=lambda h: _km(s, h))[:4] for s in sources}
    conditions = list(PREVALENCE)
    weights = list(PREVALENCE.values())
    total = max(12, round(len(region.patient_records) * REFERRAL_SHARE))
    rows, events = [], []
    for i in range(total):
        referral_id = i + 1
        down = rng.random() < 0.15 and sources
        source = rng.choice(sources)
        record = rng.choice(records_at[source["id"]])
        shared = [h for h in nearest[source["id"]] if community_of.get(h["id"], set()) & community_of.get(
            source["id"], set())]
        target = rng.choice(shared) if shared and rng.random() < 0.6 else rng.choice(nearest[source["id"]])
        condition = rng.choices(conditions, weights)[0]
        urgency = _pick(rng, URGENCIES) if not down else "routine"
        outcome = _pick(rng, UP_OUTCOMES) if not down else rng.choice(("sent", "accepted", "arrived", "completed"))
        sent = now - dt.timedelta(hours=rng.uniform(1, HISTORY_DAYS * 24))
        if outcome == "sent":  # still waiting: recent, a few of them late
            sent = now - dt.timedelta(hours=rng.uniform(0.1, 60))
        frm, to = (target, source) if down else (source, target)
        policy = next(p for p in care_rules.DEFAULT_POLICIES if p.code == condition)
        row = {"id": referral_id, "patient_record_id": record["id"], "direction": "down" if down else "up",
               "condition": condition, "urgency": urgency, "status": outcome, "from_institution_id": frm["id"],
               "from_practitioner_id": None, "to_institution_id": to["id"], "to_specialty": policy.specialty,
               "summary": "", "observations": {}, "decline_reason": "", "care_plan": {}, "escalation_level": 0,
               "criteria_met": [f"{policy.criteria[1 if urgency != 'emergency' else 0].code}"] if not down else
               [policy.criteria[-1].code], "attachments": [], "sent_at": None, "answer_due_at": None,
               "answered_at": None, "escalated_at": None, "arrived_at": None, "completed_at": None,
               "down_referred_at": None, "primary_team_id": None, "parent_id": None, "created_by_user_id": None,
               "created_at": sent, "updated_at": sent}
        steps = [("create", "draft", sent - dt.timedelta(minutes=10))]
        if outcome != "draft":
            limit = care_rules.ANSWER_LIMITS[care_rules.Urgency(urgency)]
            row |= {"sent_at": sent, "answer_due_at": sent + limit}
            steps.append(("send", "sent", sent))
            low, high = ACCEPT_HOURS[urgency]
            answered = sent + dt.timedelta(hours=rng.uniform(low, high))
            if outcome == "sent":
                level = care_rules.escalation_level(sent, limit, now)
                if level:
                    row |= {"escalation_level": level, "escalated_at": now}
                    steps.append(("escalate", "sent", sent + limit))
            elif outcome == "cancelled":
                steps.append(("cancel", "cancelled", answered))
            elif outcome == "declined":
                row |= {"answered_at": answered, "decline_reason": "床位已满，建议转他院"}
                steps.append(("decline", "declined", answered))
            else:
                row["answered_at"] = answered
                steps.append(("accept", "accepted", answered))
                moment = answered
                for action, state, key, hours in (("arrive", "arrived", "arrived_at", (1, 24)),
                                                  ("complete", "completed", "completed_at", (48, 240)),
                                                  ("down_refer", "down_referred", "down_referred_at", (12, 72))):
                    if [s for s, _ in UP_OUTCOMES].index(outcome) < [s for s, _ in UP_OUTCOMES].index(state):
                        break
                    moment = min(now, moment + dt.timedelta(hours=rng.uniform(*hours)))
                    row[key] = moment
                    steps.append((action, state, moment))
                if outcome == "down_referred":
                    row["care_plan"] = {"summary": PLAN, "medications": [], "goals": [], "follow_up_days": 14}
                    row["primary_team_id"] = team_of_record.get(record["id"])
        rows.append(row)
        events += [{"referral_id": referral_id, "at": at, "action": action, "status": state, "note": ""}
                   for action, state, at in steps]
    return rows, events


def _free_hour(diary: _Diary, specialist: dict, start: dt.datetime) -> dt.datetime | None:
    """The first hour from start (within consultation hours, on to the next days) the specialist is free."""
    day, hour = start.date(), start.hour
    for _ in range(TELECONSULT_SEARCH_DAYS * len(TELECONSULT_HOURS)):
        at = dt.datetime.combine(day, dt.time(hour), dt.UTC)
        if diary.free(specialist["id"], specialist["primary_institution_id"], at,
                      at + dt.timedelta(minutes=TELECONSULT_MINUTES)):
            return at
        hour += 1
        if hour not in TELECONSULT_HOURS:
            day, hour = day + dt.timedelta(days=1), TELECONSULT_HOURS[0]
    return None


def _teleconsults(rng, region, sites, doctors, records_at, now, diary: _Diary):
    pool: dict[str, list[dict]] = {}
    for d in doctors:
        site = sites.get(d["primary_institution_id"])
        if site and site["type"] in HOSPITALS and d["title"] != "resident" and d["specialty"] in \
                TELECONSULT_SPECIALTIES:
            pool.setdefault(d["specialty"], []).append(d)
    askers = [s for s in sites.values() if s["type"] in (*PRIMARY, "secondary_hospital", "primary_hospital")
              and records_at.get(s["id"])]
    if not pool or not askers:
        return []
    accounts = {u["practitioner_id"] for u in region.users if u["practitioner_id"]}
    shown = [d for specialists in pool.values() for d in specialists if d["id"] in accounts]
    rows = []
    total = max(6, round(len(region.patient_records) * TELECONSULT_SHARE))
    for _ in range(total):
        specialty = rng.choice(sorted(pool))
        asker = rng.choice(askers)
        record = rng.choice(records_at[asker["id"]])
        specialist = rng.choice(pool[specialty])
        if len(rows) % 5 == 0 and shown:  # the demo account `doctor` has consultations to give
            specialist, specialty = shown[0], shown[0]["specialty"]
        urgency = _pick(rng, URGENCIES)
        day = now.date() + dt.timedelta(days=rng.randrange(-HISTORY_DAYS, 10))
        start = _free_hour(diary, specialist, dt.datetime.combine(
            day, dt.time(rng.randrange(TELECONSULT_HOURS[0], TELECONSULT_HOURS[-1] + 1)), dt.UTC))
        if start is None:  # booked up for a week: the request goes unmade
            continue
        end = start + dt.timedelta(minutes=TELECONSULT_MINUTES)
        done = end < now
        waiting = not done and rng.random() < 0.1
        if not waiting:
            diary.add(specialist["id"], specialist["primary_institution_id"], start, end)
        rows.append({
            "requester_institution_id": asker["id"], "requester_practitioner_id": None,
            "patient_record_id": record["id"], "specialty": specialty, "urgency": urgency,
            "case_summary": "基层首诊，病情复杂，申请上级专家远程会诊", "attachments": [],
            "status": "requested" if waiting else "completed" if done else "scheduled",
            "specialist_id": None if waiting else specialist["id"],
            "specialist_institution_id": None if waiting else specialist["primary_institution_id"],
            "starts_at": None if waiting else start, "ends_at": None if waiting else end,
            "video_link": "", "opinion": "同意目前诊断，建议调整用药并两周后复诊" if done else "",
            "opinion_signature": {}, "completed_at": end if done else None,
            "fee_fen": care_rules.TELECONSULT_FEE_FEN[care_rules.Urgency(urgency)], "fee_posted": False,
            "created_by_user_id": None})
    return rows


def _rota(rng, sites, by_site, now, diary: _Diary):
    generalists = [p for s, staff in by_site.items() if sites.get(s, {}).get("type") in PRIMARY
                   for p in staff if p["profession"] == "doctor" and p["specialty"] == "全科"]
    paediatricians = [p for s, staff in by_site.items() if sites.get(s, {}).get("type") in HOSPITALS
                      for p in staff if p["profession"] == "doctor" and p["specialty"] == "儿科"]
    cardiologists = [p for s, staff in by_site.items() if sites.get(s, {}).get("type") in HOSPITALS
                     for p in staff if p["profession"] == "doctor" and p["specialty"] == "心内科"]
    rows, on_duty = [], set()
    nights = nightcare.nights(now - dt.timedelta(hours=1), 14)
    short = {3, 9}  # two nights left short, for the gap view
    for n, (start, end) in enumerate(nights):
        start = max(start, now - dt.timedelta(hours=1)) if n else start
        wanted = [(generalists, 2), (paediatricians, 1), (cardiologists, 1)]
        for pool, count in wanted:
            if not pool:
                continue
            for k in range(count):
                drawn = (n * 7 + k * 3 + rng.randrange(len(pool))) % len(pool)
                s, e = start, end
                if n in short and pool is generalists and k == 1:
                    e = start + (end - start) / 3  # covers the evening only
                if n in short and pool is paediatricians:
                    continue
                if (pool[drawn]["id"], n) in on_duty:
                    continue  # one doctor never holds two shifts of a night: drawn twice, the night is one short
                # A doctor committed elsewhere that night (a room rented in the mall) hands the shift to the
                # next colleague of the pool who is free.
                doctor = next((d for d in (pool[(drawn + i) % len(pool)] for i in range(len(pool)))
                               if (d["id"], n) not in on_duty
                               and diary.free(d["id"], d["primary_institution_id"], s, e)), None)
                if doctor is None:
                    continue
                on_duty.add((doctor["id"], n))
                diary.add(doctor["id"], doctor["primary_institution_id"], s, e)
                rows.append({"practitioner_id": doctor["id"], "institution_id": doctor["primary_institution_id"],
                             "specialty": doctor["specialty"], "starts_at": s, "ends_at": e, "cancelled": False,
                             "created_at": now, "updated_at": now})
    return rows


def _night_requests(rng, region, records_at, shifts, now):
    tonight = [s for s in shifts if s["starts_at"] <= now < s["ends_at"]]
    records = [r for rs in records_at.values() for r in rs]
    if not records:
        return [], []
    patient_user = next((u for u in region.users if u["role"] == "patient"), None)
    rows, messages = [], []
    complaints = ["孩子发热39度，精神差", "胸闷心慌半小时", "血压170/100，头晕", "腹痛伴呕吐", "咳嗽气喘加重"]
    for i in range(12):
        request_id = i + 1
        record_id = patient_user["patient_record_id"] if i == 0 and patient_user else rng.choice(records)["id"]
        at = now - dt.timedelta(minutes=rng.randrange(5, 180))
        specialty = "儿科" if i % 4 == 0 else "心内科" if i % 4 == 1 else "全科"
        doctor = next((s for s in tonight if s["specialty"] == specialty), tonight[0] if tonight else None)
        status = "closed" if i >= 6 else "waiting" if doctor is None or i == 5 else "assigned"
        rows.append({"id": request_id, "patient_record_id": record_id, "specialty": specialty,
                     "complaint": complaints[i % len(complaints)], "latitude": None, "longitude": None,
                     "status": status, "practitioner_id": doctor["practitioner_id"] if doctor and status != "waiting"
                     else None, "shift_id": None, "closed_at": now if status == "closed" else None,
                     "escalated_at": None, "escalation_reason": "", "transport_ref": "", "created_by_user_id": None,
                     "created_at": at, "updated_at": at})
        messages.append({"request_id": request_id, "author_kind": "patient", "author_user_id": None,
                         "body": complaints[i % len(complaints)], "sent_at": at})
        if status != "waiting":
            messages.append({"request_id": request_id, "author_kind": "doctor", "author_user_id": None,
                             "body": "您好，我是值班医生，请描述一下症状开始的时间。", "sent_at": at
                             + dt.timedelta(minutes=3)})
    return rows, messages
