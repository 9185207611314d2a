"""Words the pages show for stored codes, and the services' messages, as translatable text.

Every string here is marked with N_ so that Babel extracts it; it is translated when shown.
"""

from __future__ import annotations

import re

from medshare import i18n
from medshare.accounts.models import Role
from medshare.assets.models import AssetKind, Bookers, BookingStatus, Modality, OpenTo, PriceCategory
from medshare.identity.models import LinkHow, ReviewStatus
from medshare.registry.models import InstitutionStatus, InstitutionType, Profession, Title
from medshare.scheduling.rules import RequestStatus, Urgency


def N_(message: str) -> str:
    """Mark message for extraction; it is translated where it is shown."""
    return message


INSTITUTION_TYPES = {
    InstitutionType.TERTIARY_HOSPITAL: N_("Tertiary hospital"),
    InstitutionType.SECONDARY_HOSPITAL: N_("Secondary hospital"),
    InstitutionType.PRIMARY_HOSPITAL: N_("Primary hospital"),
    InstitutionType.COMMUNITY_HEALTH_CENTRE: N_("Community health centre"),
    InstitutionType.TOWNSHIP_HEALTH_CENTRE: N_("Township health centre"),
    InstitutionType.VILLAGE_CLINIC: N_("Village clinic"),
    InstitutionType.INDIVIDUAL_CLINIC: N_("Individual clinic"),
    InstitutionType.THIRD_PARTY_LAB: N_("Third-party medical laboratory"),
    InstitutionType.IMAGING_CENTRE: N_("Medical imaging centre"),
    InstitutionType.SUPPLIER: N_("Medical supplier"),
    InstitutionType.LOGISTICS_FIRM: N_("Logistics firm"),
    InstitutionType.INSURER: N_("Insurer"),
    InstitutionType.REGULATOR: N_("Regulator"),
}

INSTITUTION_STATUSES = {
    InstitutionStatus.ACTIVE: N_("Active"),
    InstitutionStatus.CLOSED: N_("Closed"),
}

# Grade level and class as the region writes them: 三级甲等 is "grade 3A".
GRADES = {
    (1, None): N_("Grade 1"),
    (1, "A"): N_("Grade 1A"),
    (1, "B"): N_("Grade 1B"),
    (1, "C"): N_("Grade 1C"),
    (2, None): N_("Grade 2"),
    (2, "A"): N_("Grade 2A"),
    (2, "B"): N_("Grade 2B"),
    (2, "C"): N_("Grade 2C"),
    (3, None): N_("Grade 3"),
    (3, "A"): N_("Grade 3A"),
    (3, "B"): N_("Grade 3B"),
    (3, "C"): N_("Grade 3C"),
}
UNGRADED = N_("Ungraded")
GRADE_LEVELS = {3: N_("Grade 3"), 2: N_("Grade 2"), 1: N_("Grade 1")}
GRADE_CLASSES = {"A": N_("Class A"), "B": N_("Class B"), "C": N_("Class C")}

VALIDITY = {
    "valid": N_("Valid"),
    "expiring": N_("Expiring"),
    "expired": N_("Expired"),
    "not_yet_valid": N_("Not yet valid"),
    "ended": N_("Ended"),
}

COMMUNITY_KINDS = {
    "city_group": N_("City medical group"),
    "county_community": N_("County medical community"),
    "specialty_alliance": N_("Specialty alliance"),
}

PROFESSIONS = {
    Profession.DOCTOR: N_("Doctor"),
    Profession.NURSE: N_("Nurse"),
    Profession.PHARMACIST: N_("Pharmacist"),
    Profession.TECHNICIAN: N_("Technician"),
}

# Professional titles (职称) by level, for filters where the profession is not known.
TITLES = {
    Title.RESIDENT: N_("Junior"),
    Title.ATTENDING: N_("Intermediate"),
    Title.ASSOCIATE_CHIEF: N_("Associate senior"),
    Title.CHIEF: N_("Senior"),
}

# The title a practitioner actually carries depends on the profession: 主治医师, 主管护师 …
PROFESSION_TITLES = {
    (Profession.DOCTOR, Title.RESIDENT): N_("Resident physician"),
    (Profession.DOCTOR, Title.ATTENDING): N_("Attending physician"),
    (Profession.DOCTOR, Title.ASSOCIATE_CHIEF): N_("Associate chief physician"),
    (Profession.DOCTOR, Title.CHIEF): N_("Chief physician"),
    (Profession.NURSE, Title.RESIDENT): N_("Registered nurse"),
    (Profession.NURSE, Title.ATTENDING): N_("Nurse-in-charge"),
    (Profession.NURSE, Title.ASSOCIATE_CHIEF): N_("Associate chief nurse"),
    (Profession.NURSE, Title.CHIEF): N_("Chief nurse"),
    (Profession.PHARMACIST, Title.RESIDENT): N_("Pharmacist"),
    (Profession.PHARMACIST, Title.ATTENDING): N_("Pharmacist-in-charge"),
    (Profession.PHARMACIST, Title.ASSOCIATE_CHIEF): N_("Associate chief pharmacist"),
    (Profession.PHARMACIST, Title.CHIEF): N_("Chief pharmacist"),
    (Profession.TECHNICIAN, Title.RESIDENT): N_("Technician"),
    (Profession.TECHNICIAN, Title.ATTENDING): N_("Technician-in-charge"),
    (Profession.TECHNICIAN, Title.ASSOCIATE_CHIEF): N_("Associate chief technician"),
    (Profession.TECHNICIAN, Title.CHIEF): N_("Chief technician"),
}

ROLES = {
    Role.PLATFORM_ADMIN: N_("Platform administrator"),
    Role.REGULATOR: N_("Regulator"),
    Role.INSTITUTION_ADMIN: N_("Institution administrator"),
    Role.PRACTITIONER: N_("Practitioner"),
    Role.SUPPLIER: N_("Supplier"),
    Role.INSURER: N_("Insurer"),
    Role.PATIENT: N_("Patient"),
}

SEXES = {"male": N_("Male"), "female": N_("Female"), "other": N_("Other"), "unknown": N_("Unknown")}

ASSET_KINDS = {
    AssetKind.EQUIPMENT: N_("Diagnostic equipment"),
    AssetKind.CONSULTING_ROOM: N_("Consulting room"),
    AssetKind.OPERATING_THEATRE: N_("Operating theatre"),
    AssetKind.DAY_BED: N_("Day bed"),
    AssetKind.RESEARCH_INSTRUMENT: N_("Research instrument"),
}

# Modalities keep their international abbreviations in Chinese too (CT, MRI, DSA …).
MODALITIES = {
    Modality.CT: N_("CT"),
    Modality.MRI: N_("MRI"),
    Modality.PET_CT: N_("PET-CT"),
    Modality.DSA: N_("DSA"),
    Modality.DR: N_("DR (digital radiography)"),
    Modality.ULTRASOUND: N_("Ultrasound"),
    Modality.ENDOSCOPY: N_("Endoscopy"),
    Modality.LAB_ANALYSER: N_("Laboratory analyser"),
}

OPEN_TO = {
    OpenTo.ALL: N_("Every institution of the region"),
    OpenTo.COMMUNITY: N_("Members of the owner's medical communities"),
    OpenTo.LISTED: N_("Listed grades and types of institution"),
}

BOOKERS = {
    Bookers.INSTITUTIONS: N_("Institutions"),
    Bookers.PRACTITIONERS: N_("Individual doctors (multi-site registration)"),
    Bookers.BOTH: N_("Institutions and individual doctors"),
}

BOOKING_STATUSES = {
    BookingStatus.HELD: N_("Held"),
    BookingStatus.PENDING: N_("Awaiting approval"),
    BookingStatus.CONFIRMED: N_("Confirmed"),
    BookingStatus.CANCELLED: N_("Cancelled"),
    BookingStatus.EXPIRED: N_("Hold expired"),
    BookingStatus.DECLINED: N_("Declined"),
    BookingStatus.NO_SHOW: N_("No-show"),
    BookingStatus.COMPLETED: N_("Completed"),
}

PRICE_CATEGORIES = {
    PriceCategory.OWN: N_("Own institution"),
    PriceCategory.COMMUNITY: N_("Medical community member"),
    PriceCategory.OTHER: N_("Other institution"),
    PriceCategory.INDIVIDUAL: N_("Individual doctor"),
}

WEEKDAYS = {0: N_("Monday"), 1: N_("Tuesday"), 2: N_("Wednesday"), 3: N_("Thursday"), 4: N_("Friday"),
            5: N_("Saturday"), 6: N_("Sunday")}

CLOSURE_KINDS = {"blackout": N_("Blackout"), "maintenance": N_("Maintenance")}

UTILISATION_GROUPS = {
    "asset": N_("Asset"),
    "institution": N_("Institution"),
    "grade": N_("Grade"),
    "modality": N_("Modality or kind"),
}

# Why a ledger line was posted.
LEDGER_REASONS = {
    "completed": N_("Exam completed"),
    "no_show": N_("No-show fee"),
    "late_cancellation": N_("Late cancellation fee"),
    "teleconsult": N_("Teleconsultation fee"),
    "insurance_claim": N_("Insurance payment"),
}

# The patient index: how a record came to its person, and the review queue's words.
LINK_HOWS = {
    LinkHow.DETERMINISTIC_ID: N_("Same national ID"),
    LinkHow.PROBABILISTIC: N_("Matched by score"),
    LinkHow.NEW: N_("First record of the person"),
    LinkHow.MANUAL: N_("Decided by a reviewer"),
}

REVIEW_STATUSES = {
    ReviewStatus.OPEN: N_("Awaiting review"),
    ReviewStatus.LINKED: N_("Linked"),
    ReviewStatus.REJECTED: N_("Rejected"),
    ReviewStatus.SUPERSEDED: N_("Superseded"),
}

# Why a pair was queued rather than linked or kept apart.
REVIEW_REASONS = {
    "score": N_("Score between the thresholds"),
    "id-conflict": N_("Different national IDs"),
}

# "Full name", not "Name": Chinese says 姓名 of a person and 名称 of an institution.
MATCH_FIELDS = {
    "national_id": N_("National ID"),
    "name": N_("Full name"),
    "sex": N_("Sex"),
    "birth_date": N_("Birth date"),
    "phone": N_("Phone"),
    "address": N_("Address"),
}

# Comparison levels of matching.FIELDS; within a field the first is the strongest agreement.
MATCH_LEVELS = {
    "same": N_("Same"),
    "one_typo": N_("One typo apart"),
    "same_characters": N_("Same characters"),
    "same_sound": N_("Same pinyin"),
    "similar": N_("Similar"),
    "day_month_swapped": N_("Day and month swapped"),
    "one_part_differs": N_("One part differs"),
    "one_contains_other": N_("One contains the other"),
    "different": N_("Different"),
    "missing": N_("Missing from one or both"),
}

# Regional exam scheduling: urgency classes, the waiting list, runs and their proposals.
URGENCIES = {
    Urgency.EMERGENCY: N_("Emergency"),
    Urgency.URGENT: N_("Urgent"),
    Urgency.ROUTINE: N_("Routine"),
}

REQUEST_STATUSES = {
    RequestStatus.OPEN: N_("Waiting"),
    RequestStatus.BOOKED: N_("Booked"),
    RequestStatus.CANCELLED: N_("Cancelled"),
}

RUN_STATUSES = {"proposed": N_("Proposed, not yet booked"), "committed": N_("Committed")}

PROPOSAL_STATUSES = {
    "proposed": N_("Proposed"),
    "booked": N_("Booked"),
    "replanned": N_("Re-planned"),
    "failed": N_("Not booked"),
    "skipped": N_("No longer waiting"),
    "unassigned": N_("No slot"),
}

# Why a request got no slot (the solver's reasons), or why its booking failed at commit.
UNASSIGNED_REASONS = {
    "no-asset-with-modality-and-capabilities": N_("No asset offers this modality with the required capabilities"),
    "no-asset-admits-the-referring-institution": N_("No suitable asset is shared with the referring institution"),
    "no-eligible-asset-within-travel-limit": N_("No suitable asset within the patient's travel limit"),
    "no-free-capacity-at-eligible-assets-within-horizon": N_("No free slot at suitable assets within the horizon"),
    "earliest-date-beyond-horizon": N_("The earliest date lies beyond the horizon"),
    "slot-taken-repeatedly": N_("The slots found were taken again and again while booking"),
    "unassigned": N_("No slot found"),
}

# The optimum and the two baselines it is compared with, on the same requests and calendars.
SCHEDULING_POLICIES = {
    "home_only": N_("Home hospital only"),
    "greedy": N_("Earliest slot in arrival order"),
    "optimal": N_("Regional optimum"),
}

SCHEDULING_SCOPES = {
    "region": N_("The whole region"),
    "community": N_("A medical community's members"),
    "institution": N_("One institution"),
}

KINDS = {
    "institution_type": INSTITUTION_TYPES,
    "institution_status": INSTITUTION_STATUSES,
    "grade_level": GRADE_LEVELS,
    "grade_class": GRADE_CLASSES,
    "validity": VALIDITY,
    "community_kind": COMMUNITY_KINDS,
    "profession": PROFESSIONS,
    "title": TITLES,
    "role": ROLES,
    "sex": SEXES,
    "asset_kind": ASSET_KINDS,
    "modality": MODALITIES,
    "open_to": OPEN_TO,
    "bookers": BOOKERS,
    "booking_status": BOOKING_STATUSES,
    "price_category": PRICE_CATEGORIES,
    "weekday": WEEKDAYS,
    "closure_kind": CLOSURE_KINDS,
    "utilisation_group": UTILISATION_GROUPS,
    "ledger_reason": LEDGER_REASONS,
    "link_how": LINK_HOWS,
    "review_status": REVIEW_STATUSES,
    "review_reason": REVIEW_REASONS,
    "match_field": MATCH_FIELDS,
    "match_level": MATCH_LEVELS,
    "urgency": URGENCIES,
    "request_status": REQUEST_STATUSES,
    "run_status": RUN_STATUSES,
    "proposal_status": PROPOSAL_STATUSES,
    "unassigned_reason": UNASSIGNED_REASONS,
    "scheduling_policy": SCHEDULING_POLICIES,
    "scheduling_scope": SCHEDULING_SCOPES,
}

# Titles of error pages (errors.py and main.py) and Starlette's own details.
ERROR_TITLES = (
    N_("Bad request"),
    N_("Invalid input"),
    N_("Not found"),
    N_("Not Found"),
    N_("Conflict"),
    N_("Authentication required"),
    N_("Forbidden"),
    N_("Service unavailable"),
    N_("Content too large"),
    N_("Method Not Allowed"),
)

# Messages the services raise word for word; shown translated when the catalogue has them.
SERVICE_MESSAGES = (
    N_("is already used by another institution"),
    N_("is already recorded for this institution"),
    N_("is already used"),
    N_("is already a member"),
    N_("the lead hospital cannot leave its community"),
    N_("is already registered"),
    N_("the primary institution is already a site"),
    N_("overlaps a registration at the same site"),
    N_("a grade class needs a grade level"),
    N_("must be a six-digit GB/T 2260 code of a province-level division"),
    N_("latitude and longitude go together"),
    N_("must be between -90 and 90"),
    N_("must be between -180 and 180"),
    N_("must be on or after valid_from"),
    N_("is already used at this institution"),
    N_("must be 18 characters: 17 digits then a digit or X"),
    N_("the check digit does not match"),
    N_("the birth date inside the ID is not a real date"),
    N_("the birth date inside the ID differs from birth_date"),
    N_("the sex digit of the ID differs from sex"),
    N_("must be an 11-digit mobile or a landline with area code"),
    N_("is already taken"),
    N_("the username or password is wrong"),
    N_("a patient account needs its record"),
    N_("an account cannot deactivate itself"),
    N_("the form's CSRF token is missing or stale; reload the page and try again"),
    N_("the change conflicts with data written at the same time; nothing was changed"),
    N_("the database is busy or down; nothing was changed, try again"),
    N_("Field required"),
    N_("the slot was just taken; choose another"),
    N_("the slot lies outside the asset's opening hours"),
    N_("the asset is closed (blackout or maintenance) then"),
    N_("the asset is no longer listed"),
    N_("an individual doctor needs a valid multi-site registration at the owner"),
    N_("only a practitioner's account books on its own account"),
    N_("only accounts of an institution book shared assets"),
    N_("this asset is booked by institutions only (rule: bookers)"),
    N_("this asset is booked by practitioners on their own account only (rule: bookers)"),
    N_("this asset is shared within the owner's medical community only (rule: open-to)"),
    N_("this asset is shared with listed grades or types of institution only (rule: open-to)"),
    N_("an outcome is recorded once the slot has started"),
    N_("the key was used for a different booking"),
    N_("must divide a day (e.g. 5, 10, 15, 30, 60)"),
    N_("must be after starts_at"),
    N_("must be after earliest"),
    N_("must be a month written YYYY-MM"),
    N_("a practitioner's statement is read by that practitioner or a regulator"),
    N_("must be an amount in yuan, e.g. 300 or 299.50"),
    N_("must be a date and time"),
    N_("a session needs both its opening and its closing time"),
    N_("an exam type needs a code, a name and its minutes"),
    N_("the candidate record has no person yet"),
    N_("a person cannot be merged with itself"),
    N_("a reviewer recorded that some of these records are different people"),
    N_("the record is not linked to a person"),
    N_("the record is already alone in its person"),
    N_("give a name, national_id or phone to search by"),
    N_("only accounts of an institution refer patients for exams"),
    N_("must be above 0 and at most 1000 km"),
    N_("must be within a year from today"),
    N_("give the patient's latitude and longitude together"),
    N_("the account may neither refer patients nor schedule exams"),
    N_("a run handles at most 62 distinct required capabilities and exam codes; schedule fewer requests at once"),
    N_("choose a patient of your institution"),
    N_("choose a medical community"),
    N_("choose an institution"),
    N_("no free slot remains for this request"),
)

# Messages with values in them: the English pattern, and the text to show with those values.
# A group named after a kind in KINDS is shown through that kind's label.
MESSAGE_PATTERNS = [
    (re.compile(r"^this registration would make (?P<held>\d+) practice sites at once; "
                r"the region allows (?P<max>\d+)"),
     N_("this registration would make %(held)s practice sites at once; the region allows %(max)s "
        "(the primary site counts as one)")),
    (re.compile(r"^a (?P<institution_type>[a-z_]+) has grade level (?P<level>\d)$"),
     N_("a %(institution_type)s has grade level %(level)s")),
    (re.compile(r"^a (?P<institution_type>[a-z_]+) has grade level 1 or none$"),
     N_("a %(institution_type)s has grade level 1 or none")),
    (re.compile(r"^a (?P<institution_type>[a-z_]+) carries no hospital grade$"),
     N_("a %(institution_type)s carries no hospital grade")),
    (re.compile(r"^a (?P<role>[a-z_]+) account needs an institution$"),
     N_("a %(role)s account needs an institution")),
    (re.compile(r"^a (?P<assigner>[a-z_]+) cannot give an account the role (?P<role>[a-z_]+)$"),
     N_("a %(assigner)s cannot give an account the role %(role)s")),
    (re.compile(r"^must be at least (?P<n>\d+) characters$"),
     N_("must be at least %(n)s characters")),
    (re.compile(r"^the role (?P<role>[a-z_]+) lacks the permission (?P<permission>\S+)$"),
     N_("the role %(role)s lacks the permission %(permission)s")),
    (re.compile(r"^(?P<permission>\S+) reaches only objects of the account's own institution or record$"),
     N_("%(permission)s reaches only objects of the account's own institution or record")),
    (re.compile(r"^(?P<what>institution|practitioner|user|licence|registration|medical community|"
                r"patient record) (?P<id>\S+) does not exist$"),
     N_("%(what)s %(id)s does not exist")),
    (re.compile(r"^institution (?P<id>\d+) is not a member$"),
     N_("institution %(id)s is not a member")),
    (re.compile(r"^must start on a (?P<n>\d+)-minute boundary$"), N_("must start on a %(n)s-minute boundary")),
    (re.compile(r"^must be at least (?P<n>\d+) minutes from now$"), N_("must be at least %(n)s minutes from now")),
    (re.compile(r"^must be within (?P<n>\d+) days from now$"), N_("must be within %(n)s days from now")),
    (re.compile(r"^the quota of (?P<n>\d+) bookings per (?P<days>\d+) days is used up$"),
     N_("the quota of %(n)s bookings per %(days)s days is used up")),
    (re.compile(r"^a (?P<booking_status>[a-z_]+) booking cannot become (?P<new_status>[a-z_]+)$"),
     N_("a %(booking_status)s booking cannot become %(new_status)s")),
    (re.compile(r"^exam (?P<code>\S+) is not offered on this asset$"),
     N_("exam %(code)s is not offered on this asset")),
    (re.compile(r"^(?P<code>\S+) is not offered on this asset$"), N_("%(code)s is not offered on this asset")),
    (re.compile(r"^(?P<code>\S+) lasts (?P<n>\d+) min, not a multiple of (?P<grid>\d+)$"),
     N_("%(code)s lasts %(n)s min, not a multiple of the %(grid)s-minute grid")),
    (re.compile(r"^(?P<what>asset|booking) (?P<id>\S+) does not exist$"), N_("%(what)s %(id)s does not exist")),
    (re.compile(r"^Value error, closes must be after opens"), N_("closes must be after opens")),
    (re.compile(r"^the review item is already (?P<review_status>[a-z]+)$"),
     N_("the review item is already decided: %(review_status)s")),
    (re.compile(r"^(?P<what>person|review item) (?P<id>\d+) does not exist$"), N_("%(what)s %(id)s does not exist")),
    (re.compile(r"^person (?P<id>\d+) has no records to merge$"), N_("person %(id)s has no records to merge")),
    (re.compile(r"^(?P<what>exam request|scheduling run) (?P<id>\d+) does not exist$"),
     N_("%(what)s %(id)s does not exist")),
    (re.compile(r"^the request is (?P<request_status>[a-z]+), no longer open$"),
     N_("the request is %(request_status)s, no longer waiting")),
    (re.compile(r"^the run is (?P<run_status>[a-z]+); only a proposed run is committed$"),
     N_("the run is already %(run_status)s; only a proposed run is committed")),
    # Pydantic's messages about form fields.
    (re.compile(r"^String should have at least (?P<n>\d+) characters?"), N_("must have at least %(n)s characters")),
    (re.compile(r"^String should have at most (?P<n>\d+) characters?"), N_("must have at most %(n)s characters")),
    (re.compile(r"^String should match pattern"), N_("has characters that are not allowed")),
    (re.compile(r"^Input should be a valid integer"), N_("must be a whole number")),
    (re.compile(r"^Input should be a valid number"), N_("must be a number")),
    (re.compile(r"^Input should be a valid date"), N_("must be a date (YYYY-MM-DD)")),
    (re.compile(r"^Input should be greater than or equal to (?P<n>\S+)$"), N_("must be at least %(n)s")),
    (re.compile(r"^Input should be greater than (?P<n>\S+)$"), N_("must be above %(n)s")),
    (re.compile(r"^Input should be less than or equal to (?P<n>\S+)$"), N_("must be at most %(n)s")),
    (re.compile(r"^Input should be "), N_("is not one of the choices")),
]

# Words inside messages that are not codes of a kind.
MESSAGE_WORDS = {
    "institution": N_("institution"),
    "practitioner": N_("practitioner"),
    "user": N_("user"),
    "licence": N_("licence"),
    "registration": N_("registration"),
    "medical community": N_("medical community"),
    "patient record": N_("patient record"),
    "asset": N_("asset"),
    "booking": N_("booking"),
    "person": N_("person"),
    "review item": N_("review item"),
    "exam request": N_("exam request"),
    "scheduling run": N_("scheduling run"),
}
# Groups of a message pattern shown through a kind whose name they cannot carry (two of one kind).
ASSIGNER_KIND = {"assigner": "role", "new_status": "booking_status"}


def label(value: object, kind: str) -> str:
    """The translated word for a stored code of kind (an institution type, a role …)."""
    if value is None:
        return ""
    text = KINDS[kind].get(value, KINDS[kind].get(str(value)))
    return i18n.gettext(text) if text else str(value)


def choices(kind: str) -> list[tuple[str, str]]:
    """(code, translated word) of every code of kind, for a select box."""
    return [(str(getattr(code, "value", code)), label(code, kind)) for code in KINDS[kind]]


def grade(level: int | None, grade_class: str | None) -> str:
    """An institution's grade as the region writes it (Grade 3A, 三级甲等)."""
    text = GRADES.get((level, grade_class)) if level else None
    return i18n.gettext(text or UNGRADED)


def title(profession: str, title_code: str) -> str:
    """A practitioner's title in the words of the profession (主治医师, 主管护师)."""
    text = PROFESSION_TITLES.get((profession, title_code))
    return i18n.gettext(text) if text else label(title_code, "title")


def message(text: str) -> str:
    """A service's or validator's message in the current language, values kept."""
    translated = i18n.gettext(text)
    if translated != text or i18n.current_locale.get() == i18n.DEFAULT_LOCALE:
        return translated
    for pattern, msgid in MESSAGE_PATTERNS:
        found = pattern.match(text)
        if found is None:
            continue
        values = {}
        for name, value in found.groupdict().items():
            kind = ASSIGNER_KIND.get(name, name)
            if kind in KINDS:
                values[name] = label(value, kind)
            elif value in MESSAGE_WORDS:
                values[name] = i18n.gettext(MESSAGE_WORDS[value])
            else:
                values[name] = value
        return i18n.gettext(msgid) % values
    return text

# What a page says after a successful form post (the key travels in a cookie, never the text).
FLASHES = {
    "institution-created": N_("The institution is registered."),
    "institution-updated": N_("The institution's details are saved."),
    "institution-closed": N_("The institution is closed; its history is kept."),
    "licence-added": N_("The licence is recorded."),
    "licence-removed": N_("The licence is removed."),
    "community-created": N_("The medical community is founded."),
    "member-added": N_("The institution has joined the community."),
    "member-removed": N_("The institution has left the community."),
    "practitioner-created": N_("The practitioner is registered."),
    "practitioner-updated": N_("The practitioner's details are saved."),
    "practitioner-deactivated": N_("The practitioner is withdrawn from the register."),
    "registration-added": N_("The multi-site registration is recorded."),
    "registration-ended": N_("The multi-site registration has ended."),
    "patient-created": N_("The patient is registered."),
    "patient-updated": N_("The patient's record is corrected."),
    "user-created": N_("The account is open."),
    "user-deactivated": N_("The account is deactivated and its sessions ended."),
    "asset-created": N_("The asset is listed for sharing."),
    "asset-updated": N_("The asset's policy and calendar are saved."),
    "blackout-added": N_("The closure is entered in the calendar."),
    "booking-made": N_("The slot is booked."),
    "booking-held": N_("The slot is held for you: confirm it before the hold expires."),
    "booking-pending": N_("The booking is made and waits for the owner's approval."),
    "booking-confirmed": N_("The booking is confirmed."),
    "booking-cancelled": N_("The booking is cancelled."),
    "booking-approved": N_("The booking is approved."),
    "booking-declined": N_("The booking is declined and its slot is free again."),
    "booking-completed": N_("The booking is recorded as used and settled."),
    "booking-no-show": N_("The no-show is recorded."),
    "waitlist-joined": N_("You are on the waitlist: the first slot that frees in your window is booked for you."),
    "review-linked": N_("The two records are linked as one person."),
    "review-rejected": N_("The pair is recorded as two different people and will not be proposed again."),
    "persons-merged": N_("The persons are merged; each record can be taken out again."),
    "record-unmerged": N_("The record is taken out of the person."),
    "exam-request-created": N_("The patient is on the regional waiting list."),
    "exam-request-cancelled": N_("The request is taken off the waiting list."),
    "exam-request-booked": N_("The best slot is booked."),
    "exam-request-booked-other": N_("The slot shown was taken meanwhile; the next best slot is booked."),
    "run-committed": N_("The proposals are booked; slots taken meanwhile were re-planned."),
}
