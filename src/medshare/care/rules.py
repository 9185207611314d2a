"""Pure rules of tiered care: the referral state machine, referral criteria per condition, target ranking,
answer timers, rota coverage, night-care routing and follow-up schedules.

Nothing here touches the database or the web: plain values in, plain values out.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from medshare.errors import Conflict, InvalidInput

# Referrals -------------------------------------------------------------------------------------------------


class ReferralStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ARRIVED = "arrived"  # the patient arrived at the receiving institution
    COMPLETED = "completed"  # treatment there is complete
    DOWN_REFERRED = "down_referred"  # handed back to primary care with a care plan
    CANCELLED = "cancelled"


class Direction(enum.StrEnum):
    UP = "up"  # to a higher level of care (上转)
    DOWN = "down"  # back to primary care (下转)
    LATERAL = "lateral"


class Urgency(enum.StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"


# action -> (states it may start from, state it leads to, which side acts)
TRANSITIONS: dict[str, tuple[frozenset[ReferralStatus], ReferralStatus, str]] = {
    "send": (frozenset({ReferralStatus.DRAFT}), ReferralStatus.SENT, "sender"),
    "accept": (frozenset({ReferralStatus.SENT}), ReferralStatus.ACCEPTED, "receiver"),
    "decline": (frozenset({ReferralStatus.SENT}), ReferralStatus.DECLINED, "receiver"),
    "arrive": (frozenset({ReferralStatus.ACCEPTED}), ReferralStatus.ARRIVED, "receiver"),
    "complete": (frozenset({ReferralStatus.ARRIVED}), ReferralStatus.COMPLETED, "receiver"),
    "down_refer": (frozenset({ReferralStatus.COMPLETED}), ReferralStatus.DOWN_REFERRED, "receiver"),
    "cancel": (frozenset({ReferralStatus.DRAFT, ReferralStatus.SENT, ReferralStatus.ACCEPTED}),
               ReferralStatus.CANCELLED, "sender"),
}
# While live, the receiving side may read the records attached to the referral.
LIVE = frozenset({ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.ARRIVED})
OPEN = frozenset({ReferralStatus.DRAFT, ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.ARRIVED})


def next_status(current: ReferralStatus, action: str) -> ReferralStatus:
    """The state action leads to from current, or a Conflict naming the rule that refuses it."""
    if action not in TRANSITIONS:
        raise InvalidInput.on("action", "referral-action", f"unknown referral action {action!r}")
    sources, target, _side = TRANSITIONS[action]
    if current not in sources:
        allowed = ", ".join(sorted(s.value for s in sources))
        raise Conflict.on("status", f"referral-{action.replace('_', '-')}-from",
                          f"a referral can be {_past(action)} only when it is {allowed}; this one is {current.value}")
    return target


def _past(action: str) -> str:
    return {"send": "sent", "accept": "accepted", "decline": "declined", "arrive": "marked arrived",
            "complete": "completed", "down_refer": "down-referred", "cancel": "cancelled"}[action]


def actions_from(current: ReferralStatus) -> list[str]:
    """The actions a referral in current may take, in the order of the pathway."""
    return [a for a, (sources, _t, _s) in TRANSITIONS.items() if current in sources]


def side_of(action: str) -> str:
    """Which party takes action: the "sender" or the "receiver"."""
    return TRANSITIONS[action][2]


# Answer timers: how long the receiver has to accept or decline, by urgency (policy data).
ANSWER_LIMITS = {Urgency.EMERGENCY: dt.timedelta(minutes=30), Urgency.URGENT: dt.timedelta(hours=4),
                 Urgency.ROUTINE: dt.timedelta(hours=48)}


def escalation_level(sent_at: dt.datetime, limit: dt.timedelta, now: dt.datetime) -> int:
    """How many answer limits have run out since sending: 0 while within the first."""
    if now < sent_at + limit:
        return 0
    return int((now - sent_at) // limit)


# Criteria ---------------------------------------------------------------------------------------------------
# A criterion's test is data: {"field": f, "op": ">=", "value": v}, {"all": [...]}, {"any": [...]}, or
# {"field": f, "op": "true"} for a finding that is present.

OPS = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, "<": lambda a, b: a < b,
       "==": lambda a, b: a == b}


def holds(test: Mapping, observations: Mapping[str, object]) -> bool:
    """Whether observations satisfy a criterion's test (a missing observation satisfies nothing)."""
    if "all" in test:
        return all(holds(t, observations) for t in test["all"])
    if "any" in test:
        return any(holds(t, observations) for t in test["any"])
    value = observations.get(test["field"])
    if value is None:
        return False
    if test["op"] == "true":
        return bool(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return OPS[test["op"]](value, test["value"])


def fields_of(test: Mapping) -> set[str]:
    """Every observation a test reads."""
    if "all" in test or "any" in test:
        return set().union(*(fields_of(t) for t in test.get("all", test.get("any", []))))
    return {test["field"]}


def check_test(test: object, where: str = "test") -> None:
    """Raise InvalidInput unless test is a well-formed criterion test."""
    if not isinstance(test, Mapping):
        raise InvalidInput.on(where, "criterion-test", "a test is an object")
    for key in ("all", "any"):
        if key in test:
            if not isinstance(test[key], list) or not test[key]:
                raise InvalidInput.on(where, "criterion-test", f"{key} takes a non-empty list of tests")
            for i, part in enumerate(test[key]):
                check_test(part, f"{where}.{key}[{i}]")
            return
    if not isinstance(test.get("field"), str) or test.get("op") not in (*OPS, "true"):
        raise InvalidInput.on(where, "criterion-test", "a test names a field and an op (>=, >, <=, <, ==, true)")
    if test["op"] != "true" and not isinstance(test.get("value"), int | float):
        raise InvalidInput.on(where, "criterion-test", "a comparison needs a numeric value")


@dataclass(frozen=True)
class Criterion:
    code: str
    direction: Direction
    urgency: Urgency
    text: str
    test: Mapping


@dataclass(frozen=True)
class ConditionPolicy:
    """One condition's referral policy: where it is treated, what equipment it needs, and its criteria."""

    code: str
    name: str
    specialty: str  # the receiving department (the registry's specialty names)
    equipment: tuple[str, ...]  # modalities of shared assets that make a site capable
    follow_up_days: int  # the family-doctor team's follow-up interval
    criteria: tuple[Criterion, ...]

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "specialty": self.specialty, "equipment": list(self.equipment),
                "follow_up_days": self.follow_up_days,
                "criteria": [{"code": c.code, "direction": c.direction.value, "urgency": c.urgency.value,
                              "text": c.text, "test": c.test} for c in self.criteria]}

    @classmethod
    def from_dict(cls, data: Mapping) -> ConditionPolicy:
        """A policy from its stored form; raises InvalidInput naming the broken field."""
        try:
            criteria = tuple(Criterion(c["code"], Direction(c["direction"]), Urgency(c["urgency"]), c.get("text", ""),
                                       c["test"]) for c in data["criteria"])
            policy = cls(data["code"], data["name"], data["specialty"], tuple(data.get("equipment", ())),
                         int(data["follow_up_days"]), criteria)
        except (KeyError, ValueError, TypeError) as error:
            raise InvalidInput.on("criteria", "condition-policy", f"a condition policy is malformed: {error}") from None
        for i, c in enumerate(policy.criteria):
            check_test(c.test, f"criteria[{i}].test")
        if policy.follow_up_days < 1:
            raise InvalidInput.on("follow_up_days", "positive", "the follow-up interval is at least one day")
        return policy


def _ge(f: str, v: float) -> dict:
    return {"field": f, "op": ">=", "value": v}


def _le(f: str, v: float) -> dict:
    return {"field": f, "op": "<=", "value": v}


def _lt(f: str, v: float) -> dict:
    return {"field": f, "op": "<", "value": v}


def _yes(f: str) -> dict:
    return {"field": f, "op": "true"}


def _any(*tests: dict) -> dict:
    return {"any": list(tests)}


def _all(*tests: dict) -> dict:
    return {"all": list(tests)}


UP, DOWN = Direction.UP, Direction.DOWN
EMERGENCY, ROUTINE = Urgency.EMERGENCY, Urgency.ROUTINE
# Down-referral, the same for every chronic disease: diagnosis and plan clear, condition stable.
_STABLE = _all(_yes("diagnosis_clear"), _yes("plan_clear"), _yes("stable"))
_TWO_UNCONTROLLED = _ge("uncontrolled_follow_ups", 2)


def _down(code: str) -> Criterion:
    return Criterion(f"{code}-down-stable", DOWN, ROUTINE,
                     "diagnosis and treatment plan clear and the condition stable: back to primary care", _STABLE)


def _routine_up(code: str, text: str = "not controlled at two successive follow-ups") -> Criterion:
    return Criterion(f"{code}-up-uncontrolled", UP, ROUTINE, text, _TWO_UNCONTROLLED)


# The seven chronic diseases of the county medical community plans, after the national primary-care
# guidelines (国家基层高血压/糖尿病/COPD/冠心病/脑卒中/CKD 防治管理指南, 严重精神障碍管理治疗工作规范).
DEFAULT_POLICIES: tuple[ConditionPolicy, ...] = (
    ConditionPolicy("hypertension", "Hypertension", "心内科", ("DSA",), 90, (
        Criterion("htn-up-emergency", UP, EMERGENCY,
                  "BP ≥ 180/110 mmHg with severe headache, neurological signs or chest pain",
                  _all(_any(_ge("systolic_bp", 180), _ge("diastolic_bp", 110)),
                       _any(_yes("severe_headache"), _yes("neurological_signs"), _yes("chest_pain")))),
        _routine_up("htn", "BP not controlled (≥ 140/90) at two successive follow-ups"),
        _down("htn"),
    )),
    ConditionPolicy("diabetes", "Type 2 diabetes", "内分泌科", ("lab_analyser",), 90, (
        Criterion("dm-up-emergency", UP, EMERGENCY,
                  "glucose ≥ 16.7 mmol/L with ketosis or impaired consciousness, or glucose ≤ 3.9 mmol/L with "
                  "impaired consciousness",
                  _any(_all(_ge("glucose_mmol_l", 16.7), _any(_yes("ketosis"), _yes("impaired_consciousness"))),
                       _all(_le("glucose_mmol_l", 3.9), _yes("impaired_consciousness")))),
        _routine_up("dm", "HbA1c or glucose not at target at two successive follow-ups"),
        _down("dm"),
    )),
    ConditionPolicy("copd", "COPD", "呼吸内科", ("CT",), 180, (
        Criterion("copd-up-emergency", UP, EMERGENCY,
                  "acute exacerbation: SpO₂ < 90 % or respiratory rate ≥ 30/min, or new confusion",
                  _any(_lt("spo2", 90), _ge("respiratory_rate", 30), _yes("impaired_consciousness"))),
        _routine_up("copd", "two or more exacerbations, or not controlled at two successive follow-ups"),
        _down("copd"),
    )),
    ConditionPolicy("chd", "Coronary heart disease", "心内科", ("DSA",), 90, (
        Criterion("chd-up-emergency", UP, EMERGENCY,
                  "suspected acute coronary syndrome: chest pain ≥ 20 min unrelieved by rest or nitrates, or new ST "
                  "changes",
                  _any(_ge("chest_pain_minutes", 20), _yes("st_changes"))),
        _routine_up("chd", "angina worsening or not controlled at two successive follow-ups"),
        _down("chd"),
    )),
    ConditionPolicy("stroke", "Stroke sequelae", "神经内科", ("CT", "MRI"), 90, (
        Criterion("stroke-up-emergency", UP, EMERGENCY,
                  "new focal neurological signs (face, arm, speech) or impaired consciousness: suspected new stroke",
                  _any(_yes("neurological_signs"), _yes("impaired_consciousness"))),
        _routine_up("stroke", "rehabilitation or risk factors not controlled at two successive follow-ups"),
        _down("stroke"),
    )),
    ConditionPolicy("ckd", "Chronic kidney disease", "肾内科", ("lab_analyser",), 90, (
        Criterion("ckd-up-emergency", UP, EMERGENCY, "serum potassium ≥ 6.0 mmol/L or eGFR < 15",
                  _any(_ge("potassium_mmol_l", 6.0), _lt("egfr", 15))),
        Criterion("ckd-up-stage4", UP, ROUTINE, "eGFR < 30 (stage 4) for nephrology care", _lt("egfr", 30)),
        _routine_up("ckd"),
        _down("ckd"),
    )),
    ConditionPolicy("severe_mental_disorder", "Severe mental disorder", "精神科", (), 90, (
        Criterion("smd-up-emergency", UP, EMERGENCY, "risk assessment at level 3 or above (danger to self or others)",
                  _ge("risk_level", 3)),
        _routine_up("smd", "symptoms or side effects not controlled at two successive follow-ups"),
        _down("smd"),
    )),
)
CONDITIONS = tuple(p.code for p in DEFAULT_POLICIES)


@dataclass(frozen=True)
class Assessment:
    """Which criteria a patient's observations meet, and what they recommend."""

    met: tuple[Criterion, ...]
    direction: Direction | None
    urgency: Urgency | None

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.met]


URGENCY_ORDER = {Urgency.EMERGENCY: 0, Urgency.URGENT: 1, Urgency.ROUTINE: 2}


def assess(policy: ConditionPolicy, observations: Mapping[str, object]) -> Assessment:
    """The criteria observations meet; up-referral wins over down, the most urgent criterion sets the urgency."""
    met = tuple(c for c in policy.criteria if holds(c.test, observations))
    ups = [c for c in met if c.direction is Direction.UP]
    chosen = ups or [c for c in met if c.direction is Direction.DOWN]
    if not chosen:
        return Assessment(met, None, None)
    best = min(chosen, key=lambda c: URGENCY_ORDER[c.urgency])
    return Assessment(met, best.direction, best.urgency)


# Suggested targets ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    institution_id: int
    level: int  # 3, 2, 1 hospital grade; 0 for primary care without a grade
    specialists: int  # doctors of the condition's specialty practising there (multi-site included)
    equipment: frozenset[str]  # modalities of its active shared assets
    open_referrals: int  # referrals to it in that specialty still waiting or in care
    next_slot_hours: float | None  # hours to its earliest free slot of the needed equipment, if any
    distance_km: float | None
    same_community: bool
    same_county: bool


@dataclass(frozen=True)
class RankWeights:
    """How suggestions trade capability, capacity, distance and community off (policy data)."""

    capability: float = 4.0
    capacity: float = 2.0
    distance_per_10km: float = 0.5
    community: float = 1.0


@dataclass(frozen=True)
class Suggestion:
    institution_id: int
    score: float
    capability: float
    capacity: float
    distance_km: float | None
    same_community: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)


def rank_targets(candidates: Iterable[Candidate], *, direction: Direction, from_level: int, specialty_needed: bool,
                 equipment: Sequence[str], weights: RankWeights = RankWeights(), limit: int = 10) -> list[Suggestion]:
    """Candidates ranked best first; up-referral goes only to a higher level, down only to a lower one.

    capability: the specialty is practised there (half) and the share of the needed equipment it has (half);
    capacity: specialists per open referral, and a free equipment slot soon; distance costs per 10 km;
    the sender's own medical community earns a bonus (its pathways and shared records are in place).
    """
    out = []
    for c in candidates:
        if direction is Direction.UP and c.level <= from_level:
            continue
        if direction is Direction.DOWN and c.level >= from_level:
            continue
        has_specialty = c.specialists > 0
        if direction is Direction.UP and specialty_needed and not has_specialty:
            continue
        kit = (len(set(equipment) & c.equipment) / len(equipment)) if equipment else 1.0
        capability = (0.5 * has_specialty + 0.5 * kit) if direction is not Direction.DOWN else 1.0
        per_open = c.specialists / (1 + c.open_referrals) if c.specialists else 0.0
        soon = 0.0 if c.next_slot_hours is None else 1.0 / (1.0 + c.next_slot_hours / 24.0)
        capacity = min(1.0, per_open) * 0.7 + soon * 0.3
        score = (weights.capability * capability + weights.capacity * capacity
                 + weights.community * c.same_community
                 - weights.distance_per_10km * ((c.distance_km or 0.0) / 10.0))
        reasons = []
        if has_specialty:
            reasons.append(f"specialists:{c.specialists}")
        if equipment:
            reasons.append(f"equipment:{len(set(equipment) & c.equipment)}/{len(equipment)}")
        if c.next_slot_hours is not None:
            reasons.append(f"next-slot-h:{c.next_slot_hours:.0f}")
        if c.same_community:
            reasons.append("same-community")
        out.append(Suggestion(c.institution_id, round(score, 4), round(capability, 3), round(capacity, 3),
                              None if c.distance_km is None else round(c.distance_km, 1), c.same_community,
                              tuple(reasons)))
    out.sort(key=lambda s: (-s.score, s.distance_km if s.distance_km is not None else 1e9, s.institution_id))
    return out[:limit]


# Family-doctor follow-ups ------------------------------------------------------------------------------------


class FollowUpState(enum.StrEnum):
    DONE = "done"
    DUE = "due"  # due within the warning window
    OVERDUE = "overdue"
    PLANNED = "planned"


def follow_up_state(due: dt.date, done: bool, today: dt.date, *, warn_days: int = 14) -> FollowUpState:
    """Where a follow-up stands today."""
    if done:
        return FollowUpState.DONE
    if due < today:
        return FollowUpState.OVERDUE
    if due <= today + dt.timedelta(days=warn_days):
        return FollowUpState.DUE
    return FollowUpState.PLANNED


def contract_end(start: dt.date, months: int) -> dt.date:
    """The last day of a contract of months starting on start (a one-year contract ends the day before)."""
    year, month = divmod(start.month - 1 + months, 12)
    days_in = [31, 29 if _leap(start.year + year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month]
    if start.day > days_in:  # the anniversary of a 31st or 29 February falls on the next month's 1st
        return dt.date(start.year + year, month + 1, days_in)
    return dt.date(start.year + year, month + 1, start.day) - dt.timedelta(days=1)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# Night-care rota -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    specialty: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    on_duty: int
    needed: int


def coverage_gaps(shifts: Iterable[tuple[str, dt.datetime, dt.datetime]], needed: Mapping[str, int],
                  windows: Iterable[tuple[dt.datetime, dt.datetime]]) -> list[Gap]:
    """Every stretch of the windows where a specialty has fewer doctors on duty than needed.

    shifts: (specialty, start, end); needed: doctors per specialty at every moment of a window.
    """
    shifts = list(shifts)
    gaps: list[Gap] = []
    for w_start, w_end in windows:
        for specialty, need in sorted(needed.items()):
            mine = [(max(s, w_start), min(e, w_end)) for sp, s, e in shifts if sp == specialty and s < w_end
                    and e > w_start]
            cuts = sorted({w_start, w_end, *[t for pair in mine for t in pair]})
            for a, b in itertools.pairwise(cuts):
                have = sum(1 for s, e in mine if s <= a and e >= b)
                if have < need:
                    if gaps and gaps[-1].specialty == specialty and gaps[-1].ends_at == a and gaps[-1].on_duty == have:
                        gaps[-1] = Gap(specialty, gaps[-1].starts_at, b, have, need)
                    else:
                        gaps.append(Gap(specialty, a, b, have, need))
    return gaps


def overlaps(a_start: dt.datetime, a_end: dt.datetime, b_start: dt.datetime, b_end: dt.datetime) -> bool:
    """Whether two half-open intervals share an instant."""
    return a_start < b_end and b_start < a_end


@dataclass(frozen=True)
class OnDuty:
    practitioner_id: int
    shift_id: int
    specialty: str
    queue: int  # the doctor's open requests
    ends_at: dt.datetime


def route(on_duty: Iterable[OnDuty], specialty: str, *, fallback: str = "全科") -> OnDuty | None:
    """The on-duty doctor of the matching specialty with the shortest queue (else a generalist; else anyone)."""
    on_duty = list(on_duty)
    for pool in ([d for d in on_duty if d.specialty == specialty], [d for d in on_duty if d.specialty == fallback],
                 on_duty):
        if pool:
            return min(pool, key=lambda d: (d.queue, -d.ends_at.timestamp(), d.practitioner_id))
    return None


# Teleconsultation ----------------------------------------------------------------------------------------------


class TeleconsultStatus(enum.StrEnum):
    REQUESTED = "requested"  # no specialist free yet
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


TELECONSULT_LEAD = {Urgency.EMERGENCY: dt.timedelta(minutes=15), Urgency.URGENT: dt.timedelta(hours=2),
                    Urgency.ROUTINE: dt.timedelta(hours=24)}
TELECONSULT_MINUTES = 30
TELECONSULT_FEE_FEN = {Urgency.EMERGENCY: 60000, Urgency.URGENT: 40000, Urgency.ROUTINE: 30000}


@dataclass(frozen=True)
class Specialist:
    practitioner_id: int
    institution_id: int  # the site the consultation is given from
    load: int  # teleconsultations already scheduled in the coming week
    busy: tuple[tuple[dt.datetime, dt.datetime], ...]
    seniority: int


def first_free(busy: Sequence[tuple[dt.datetime, dt.datetime]], earliest: dt.datetime, minutes: int,
               horizon: dt.datetime, *, grid_minutes: int = 30) -> dt.datetime | None:
    """The first start on the grid from earliest whose session overlaps nothing busy, before horizon."""
    step = dt.timedelta(minutes=grid_minutes)
    length = dt.timedelta(minutes=minutes)
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    start = epoch + math.ceil((earliest - epoch) / step) * step
    while start + length <= horizon:
        clash = [e for s, e in busy if overlaps(start, start + length, s, e)]
        if not clash:
            return start
        start = epoch + math.ceil((max(clash) - epoch) / step) * step
    return None


def assign_specialist(pool: Iterable[Specialist], earliest: dt.datetime, horizon: dt.datetime,
                      minutes: int = TELECONSULT_MINUTES) -> tuple[Specialist, dt.datetime] | None:
    """Balance load and availability: the least-loaded specialist free within the horizon, earliest slot next,
    then the more senior; None when nobody is free."""
    options = []
    for s in pool:
        start = first_free(s.busy, earliest, minutes, horizon)
        if start is not None:
            options.append((s.load, start, -s.seniority, s.practitioner_id, s))
    if not options:
        return None
    best = min(options, key=lambda o: o[:4])
    return best[4], best[1]
