"""Pure rules of emergency triage (急诊预检分级): vital signs and complaint to a level, care and transport.

The default table follows the Chinese four-level emergency triage of the 2018 expert consensus
(急诊预检分级专家共识): I dying (濒危, at once), II critical (危重, within 10 min), III urgent
(急症, within 30 min), IV non-urgent (非急症, within 60 min). The thresholds are data
(`Criterion` rows); a five-level table (ESI/MTS-like: I resuscitation … V non-urgent) is
selectable per assessment. The level is the most severe level any criterion fires; with none,
the table's floor.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from medshare.errors import FieldProblem, InvalidInput


class CareLevel(enum.StrEnum):
    """Where a patient should be seen, most to least acute."""

    EMERGENCY_DEPARTMENT = "emergency_department"
    TERTIARY = "tertiary"
    SECONDARY = "secondary"
    PRIMARY = "primary"


class Mobility(enum.StrEnum):
    """How the patient can travel: walks, can sit in a car, or must lie on a stretcher."""

    WALKS = "walks"
    SITS = "sits"
    LIES = "lies"


class Capability(enum.StrEnum):
    """What a vehicle can carry, most to least capable: advanced or basic life support, a seated patient."""

    ALS = "als"
    BLS = "bls"
    SEATED = "seated"


AVPU = ("A", "V", "P", "U")

# Complaints (主诉) a form offers; each may fire a criterion and may need a tertiary centre.
COMPLAINTS = (
    "cardiac_arrest", "respiratory_arrest", "airway_obstruction", "major_trauma", "shock", "status_epilepticus",
    "chest_pain", "stroke_signs", "major_bleeding", "poisoning", "dyspnoea", "seizure", "pregnancy_bleeding",
    "abdominal_pain", "head_injury", "fracture", "fever", "vomiting_diarrhoea", "headache", "back_pain",
    "minor_injury", "rash", "cold_symptoms", "medication_refill", "other",
)
# Complaints best received by a tertiary centre (chest pain centre, stroke centre, trauma centre).
TERTIARY_COMPLAINTS = frozenset({"chest_pain", "stroke_signs", "major_trauma", "pregnancy_bleeding"})

# Inputs the criteria may read, with their plausible ranges (outside them the input is refused).
RANGES: dict[str, tuple[float, float]] = {
    "heart_rate": (0, 300), "respiratory_rate": (0, 80), "systolic_bp": (0, 300), "spo2": (0, 100),
    "temperature": (25.0, 45.0), "gcs": (3, 15), "pain": (0, 10),
}
OPS = {
    "lt": lambda v, t: v < t, "le": lambda v, t: v <= t, "gt": lambda v, t: v > t, "ge": lambda v, t: v >= t,
    "in": lambda v, t: v in t,
}


@dataclass(frozen=True)
class Vitals:
    """One patient's observations; any may be missing (a missing sign fires nothing)."""

    heart_rate: int | None = None  # beats per minute
    respiratory_rate: int | None = None  # breaths per minute
    systolic_bp: int | None = None  # mmHg
    spo2: int | None = None  # %
    temperature: float | None = None  # °C
    avpu: str | None = None  # A alert, V voice, P pain, U unresponsive
    gcs: int | None = None  # Glasgow coma scale 3..15
    pain: int | None = None  # numeric rating 0..10
    complaint: str = "other"
    mobility: Mobility = Mobility.WALKS

    def value(self, name: str) -> Any:
        return getattr(self, name)


@dataclass(frozen=True)
class Criterion:
    """A rule that fires a level: `field op threshold` (e.g. systolic_bp lt 70 fires level I)."""

    code: str
    level: int
    field: str
    op: str
    threshold: Any

    def fires(self, vitals: Vitals) -> bool:
        value = vitals.value(self.field)
        return value is not None and OPS[self.op](value, self.threshold)

    def describe(self) -> str:
        """The rule in words, e.g. "systolic_bp < 70"."""
        symbol = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥", "in": "in"}[self.op]
        threshold = ",".join(self.threshold) if isinstance(self.threshold, tuple) else self.threshold
        return f"{self.field} {symbol} {threshold}"


@dataclass(frozen=True)
class LevelSpec:
    """A level of a table: its number, name and how soon the patient must be seen."""

    level: int
    name: str
    max_wait_minutes: int
    care: CareLevel
    dispatch: bool  # whether transport is sent for a patient who is not at a hospital


@dataclass(frozen=True)
class TriagePolicy:
    """A triage table: its levels and the criteria that fire them. Replaceable as data."""

    code: str
    title: str
    levels: tuple[LevelSpec, ...]
    criteria: tuple[Criterion, ...]
    # Transport: the capability each level needs, and the levels a seated patient may go by a partner car.
    capability: dict[int, Capability] = field(default_factory=dict)
    seated_levels: frozenset[int] = frozenset()
    dispatch_if_cannot_walk: frozenset[int] = frozenset()  # levels sent transport only when the patient cannot walk

    @property
    def floor(self) -> int:
        """The least urgent level, given when no criterion fires."""
        return max(spec.level for spec in self.levels)

    def spec(self, level: int) -> LevelSpec:
        for spec in self.levels:
            if spec.level == level:
                return spec
        raise InvalidInput.on("level", "known-level", f"level {level} is not one of the table {self.code}")


def _vital_criteria() -> tuple[Criterion, ...]:
    """Vital-sign thresholds of the 2018 consensus, shared by both tables (levels I and II)."""
    c = Criterion
    return (
        c("hr_gt_180", 1, "heart_rate", "gt", 180), c("hr_lt_40", 1, "heart_rate", "lt", 40),
        c("sbp_lt_70", 1, "systolic_bp", "lt", 70),
        c("spo2_lt_80", 1, "spo2", "lt", 80),
        c("rr_gt_35", 1, "respiratory_rate", "gt", 35), c("rr_lt_8", 1, "respiratory_rate", "lt", 8),
        c("temp_gt_41", 1, "temperature", "gt", 41.0),
        c("gcs_lt_9", 1, "gcs", "lt", 9), c("avpu_pu", 1, "avpu", "in", ("P", "U")),
        c("hr_ge_150", 2, "heart_rate", "ge", 150), c("hr_le_50", 2, "heart_rate", "le", 50),
        c("sbp_le_80", 2, "systolic_bp", "le", 80), c("sbp_gt_200", 2, "systolic_bp", "gt", 200),
        c("spo2_lt_90", 2, "spo2", "lt", 90),
        c("rr_gt_30", 2, "respiratory_rate", "gt", 30), c("rr_lt_10", 2, "respiratory_rate", "lt", 10),
        c("temp_ge_40", 2, "temperature", "ge", 40.0), c("temp_lt_35", 2, "temperature", "lt", 35.0),
        c("gcs_le_12", 2, "gcs", "le", 12), c("avpu_v", 2, "avpu", "in", ("V",)),
        c("pain_ge_7", 2, "pain", "ge", 7),
        c("complaint_arrest", 1, "complaint", "in",
          ("cardiac_arrest", "respiratory_arrest", "airway_obstruction", "shock", "status_epilepticus")),
        c("complaint_critical", 2, "complaint", "in",
          ("major_trauma", "chest_pain", "stroke_signs", "major_bleeding", "poisoning", "pregnancy_bleeding")),
        c("hr_gt_120", 3, "heart_rate", "gt", 120), c("sbp_gt_180", 3, "systolic_bp", "gt", 180),
        c("spo2_lt_94", 3, "spo2", "lt", 94), c("rr_gt_24", 3, "respiratory_rate", "gt", 24),
        c("temp_ge_39", 3, "temperature", "ge", 39.0), c("gcs_lt_15", 3, "gcs", "lt", 15),
        c("pain_ge_4", 3, "pain", "ge", 4),
        c("complaint_urgent", 3, "complaint", "in",
          ("dyspnoea", "seizure", "abdominal_pain", "head_injury", "fracture")),
    )


CN4 = TriagePolicy(
    code="cn4", title="Chinese four-level emergency triage (2018 expert consensus)",
    levels=(
        LevelSpec(1, "dying", 0, CareLevel.EMERGENCY_DEPARTMENT, True),
        LevelSpec(2, "critical", 10, CareLevel.EMERGENCY_DEPARTMENT, True),
        LevelSpec(3, "urgent", 30, CareLevel.SECONDARY, False),
        LevelSpec(4, "non_urgent", 60, CareLevel.PRIMARY, False),
    ),
    criteria=_vital_criteria(),
    capability={1: Capability.ALS, 2: Capability.ALS, 3: Capability.BLS, 4: Capability.BLS},
    seated_levels=frozenset({3, 4}),
    dispatch_if_cannot_walk=frozenset({3}),
)

CN5 = TriagePolicy(
    code="cn5", title="Five-level triage (ESI/MTS-like: resuscitation, emergent, urgent, less urgent, non-urgent)",
    levels=(
        LevelSpec(1, "resuscitation", 0, CareLevel.EMERGENCY_DEPARTMENT, True),
        LevelSpec(2, "emergent", 10, CareLevel.EMERGENCY_DEPARTMENT, True),
        LevelSpec(3, "urgent", 30, CareLevel.SECONDARY, False),
        LevelSpec(4, "less_urgent", 60, CareLevel.PRIMARY, False),
        LevelSpec(5, "non_urgent", 120, CareLevel.PRIMARY, False),
    ),
    criteria=(*_vital_criteria(),
              Criterion("pain_ge_1", 4, "pain", "ge", 1),
              Criterion("temp_ge_38", 4, "temperature", "ge", 38.0),
              Criterion("complaint_less_urgent", 4, "complaint", "in",
                        ("fever", "vomiting_diarrhoea", "headache", "back_pain", "minor_injury"))),
    capability={1: Capability.ALS, 2: Capability.ALS, 3: Capability.BLS, 4: Capability.BLS, 5: Capability.BLS},
    seated_levels=frozenset({3, 4, 5}),
    dispatch_if_cannot_walk=frozenset({3}),
)

POLICIES: dict[str, TriagePolicy] = {CN4.code: CN4, CN5.code: CN5}
DEFAULT_POLICY = CN4.code


def policy_of(code: str) -> TriagePolicy:
    """The triage table named code."""
    try:
        return POLICIES[code]
    except KeyError:
        raise InvalidInput.on("policy", "known-policy", f"choose one of {', '.join(POLICIES)}") from None


@dataclass(frozen=True)
class Fired:
    """A criterion that fired, with the value that fired it."""

    code: str
    level: int
    rule: str
    value: Any


@dataclass(frozen=True)
class TriageResult:
    """A triage decision: level, why, where to be seen, and whether and how to send transport."""

    policy: str
    level: int
    level_name: str
    max_wait_minutes: int
    fired: tuple[Fired, ...]
    care: CareLevel
    needs_tertiary: bool
    dispatch: bool
    capability: Capability  # the least capable vehicle that may carry the patient


def check(vitals: Vitals) -> None:
    """Refuse implausible or unknown inputs, naming every field and rule."""
    problems = []
    for name, (low, high) in RANGES.items():
        value = vitals.value(name)
        if value is not None and not low <= value <= high:
            problems.append(FieldProblem(name, "plausible-range", f"must be between {low:g} and {high:g}"))
    if vitals.avpu is not None and vitals.avpu not in AVPU:
        problems.append(FieldProblem("avpu", "avpu", "must be one of A, V, P, U"))
    if vitals.complaint not in COMPLAINTS:
        problems.append(FieldProblem("complaint", "known-complaint", "is not a known complaint"))
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.message}" for p in problems), problems=problems)


def required_capability(policy: TriagePolicy, level: int, mobility: Mobility) -> Capability:
    """The least capable vehicle for a patient: a seated car only for a level that allows it and a patient who sits."""
    needed = policy.capability.get(level, Capability.ALS)
    if needed is Capability.BLS and mobility is not Mobility.LIES and level in policy.seated_levels:
        return Capability.SEATED
    return needed


def assess(vitals: Vitals, policy: TriagePolicy | str = DEFAULT_POLICY) -> TriageResult:
    """The triage level of vitals under policy, the criteria that fired, care level and transport."""
    table = policy_of(policy) if isinstance(policy, str) else policy
    check(vitals)
    fired = tuple(Fired(c.code, c.level, c.describe(), vitals.value(c.field))
                  for c in table.criteria if c.fires(vitals))
    level = min((f.level for f in fired), default=table.floor)
    spec = table.spec(level)
    needs_tertiary = vitals.complaint in TERTIARY_COMPLAINTS and level <= 2
    care = spec.care
    if needs_tertiary and care is not CareLevel.EMERGENCY_DEPARTMENT:
        care = CareLevel.TERTIARY
    dispatch = spec.dispatch or (level in table.dispatch_if_cannot_walk and vitals.mobility is not Mobility.WALKS)
    return TriageResult(policy=table.code, level=level, level_name=spec.name, max_wait_minutes=spec.max_wait_minutes,
                        fired=tuple(sorted(fired, key=lambda f: (f.level, f.code))), care=care,
                        needs_tertiary=needs_tertiary, dispatch=dispatch,
                        capability=required_capability(table, level, vitals.mobility))


# Which institution types and grades receive each care level (an ED: a grade 2 or 3 hospital).
CARE_TYPES: dict[CareLevel, tuple[frozenset[str], int]] = {
    CareLevel.EMERGENCY_DEPARTMENT: (frozenset({"tertiary_hospital", "secondary_hospital"}), 2),
    CareLevel.TERTIARY: (frozenset({"tertiary_hospital"}), 3),
    CareLevel.SECONDARY: (frozenset({"tertiary_hospital", "secondary_hospital"}), 2),
    CareLevel.PRIMARY: (frozenset({"community_health_centre", "township_health_centre", "primary_hospital",
                                   "secondary_hospital"}), 0),
}


def suitable(care: CareLevel, needs_tertiary: bool, type_: str, grade_level: int | None) -> bool:
    """Whether an institution of type_ and grade receives patients of care (a tertiary centre when needed)."""
    if needs_tertiary:
        return type_ == "tertiary_hospital"
    types, min_grade = CARE_TYPES[care]
    return type_ in types and (grade_level or 0) >= min_grade
