"""Tables of the shared clinical record, each one mapped onto a FHIR R4 resource.

The story. A patient is registered at many institutions; each registration is a
``PatientRecord`` (identity domain, FHIR ``Patient``) and the master patient index links
them into one ``Person``. Institutions are FHIR ``Organization`` (registry ``institutions``),
practitioners FHIR ``Practitioner`` (registry ``practitioners``), and a practitioner's
registration to practise at an institution is a FHIR ``PractitionerRole`` (registry
``registrations``, plus one implicit role at the primary institution). Those tables belong
to their domains and are not duplicated here.

What happens to a patient at an institution is recorded here, in columns a doctor,
a search or a rule can read (codes, values, times, who, where), not as opaque documents:

* ``Encounter``: a visit (outpatient, inpatient, emergency) at an institution, with the
  practitioner seen. A visit is also a *care relationship* that lets the visiting
  institution read the patient's records elsewhere (see ``medshare.records.access``).
* ``ServiceRequest``: an order for a test or an exam (the thing mutual recognition decides
  on: fulfil it by an earlier result, or repeat it with a reason).
* ``Observation``: one result: a lab value (LOINC code, numeric value and UCUM unit,
  reference range, interpretation H/L/N) or a coded or text finding.
* ``DiagnosticReport``: a report that groups results (a blood count panel, a liver function
  panel) or interprets an imaging study (chest CT) with a conclusion; its status goes
  preliminary → final → amended. ``provenance_id`` points at the ``Provenance`` that holds
  the author's signature once the report is signed (filled by the signing capability).
* ``ImagingStudy``: the images of an exam (modality, series, instances) the report reads.
* ``Consent``: a patient's permission (or refusal) for an institution, a practitioner or
  anyone to read their records, for a period and optionally only some resource types.
* ``Location``: a place of an institution (a ward, a CT room).
* ``Provenance``: who made or signed what, when; carries a digital signature.

Every clinical row has a string FHIR id (``fhir_id``: the client's or Synthea's uuid, or a
new uuid), the institution that holds it (``custodian_institution_id``: whose record it
is, which is what access rules ask), ``version_id`` / ``last_updated`` (FHIR
``meta.versionId`` / ``meta.lastUpdated``), and ``resource``: the JSON as last received,
so elements this platform does not map (extensions, narrative) round-trip unchanged. The
columns win over the JSON when the two disagree: domain code changes columns.

``FhirVersion`` keeps every version of every resource (the ``_history``), including those
of Patient, Organization, Practitioner and PractitionerRole, whose current state lives in
the identity and registry tables. ``FhirIdentifier`` indexes business identifiers of every
resource type for ``identifier=system|value`` search. ``FhirAlias`` maps outside ids
(Synthea's ``urn:uuid`` fullUrls, a client's own ids) of the mapped Patient, Organization,
Practitioner resources onto the local integer ids, so later bundles can refer to them.
``FhirTokenScope`` holds the SMART scopes a bearer token was narrowed to.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medshare.db import Base, string_enum, utcnow


def new_fhir_id() -> str:
    """A fresh logical id for a clinical resource."""
    return str(uuid.uuid4())


class FhirResource:
    """Columns every clinical resource table shares: logical id, version, custodian, source JSON."""

    id: Mapped[int] = mapped_column(primary_key=True)
    fhir_id: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_fhir_id)
    version_id: Mapped[int] = mapped_column(default=1)
    last_updated: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    # The institution whose record this is (it produced or holds it); access rules ask this.
    custodian_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    # The JSON as last received (elements not mapped onto columns round-trip from here).
    resource: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class EncounterStatus(enum.StrEnum):
    PLANNED = "planned"
    ARRIVED = "arrived"
    TRIAGED = "triaged"
    IN_PROGRESS = "in-progress"
    ONLEAVE = "onleave"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    ENTERED_IN_ERROR = "entered-in-error"
    UNKNOWN = "unknown"


class Encounter(FhirResource, Base):
    """A visit of a patient to an institution (FHIR Encounter); a care relationship while recent."""

    __tablename__ = "encounters"

    status: Mapped[EncounterStatus] = mapped_column(string_enum(EncounterStatus), index=True)
    class_code: Mapped[str] = mapped_column(sa.String(16), default="AMB")  # v3 ActCode: AMB, IMP, EMER, VR
    type_system: Mapped[str] = mapped_column(sa.String(200), default="")
    type_code: Mapped[str] = mapped_column(sa.String(64), default="")
    type_display: Mapped[str] = mapped_column(sa.String(200), default="")
    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"), index=True)  # serviceProvider
    practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("locations.id"))
    period_start: Mapped[dt.datetime | None] = mapped_column(index=True)
    period_end: Mapped[dt.datetime | None]
    reason_code: Mapped[str] = mapped_column(sa.String(64), default="")
    reason_display: Mapped[str] = mapped_column(sa.String(200), default="")


class RequestStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ON_HOLD = "on-hold"
    REVOKED = "revoked"
    COMPLETED = "completed"
    ENTERED_IN_ERROR = "entered-in-error"
    UNKNOWN = "unknown"


class ServiceRequest(FhirResource, Base):
    """An order for a test or an exam (FHIR ServiceRequest); recognition fulfils or repeats it."""

    __tablename__ = "service_requests"

    status: Mapped[RequestStatus] = mapped_column(string_enum(RequestStatus), index=True)
    intent: Mapped[str] = mapped_column(sa.String(20), default="order")
    priority: Mapped[str] = mapped_column(sa.String(10), default="routine")  # routine, urgent, asap, stat
    category: Mapped[str] = mapped_column(sa.String(64), default="", index=True)  # e.g. laboratory, imaging
    code_system: Mapped[str] = mapped_column(sa.String(200), default="")
    code: Mapped[str] = mapped_column(sa.String(64), default="", index=True)
    code_display: Mapped[str] = mapped_column(sa.String(200), default="")
    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    encounter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("encounters.id"), index=True)
    requester_practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"), index=True)
    requester_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    performer_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"))
    authored_on: Mapped[dt.datetime | None] = mapped_column(index=True)
    occurrence_at: Mapped[dt.datetime | None]
    reason_text: Mapped[str] = mapped_column(sa.String(500), default="")


class ObservationStatus(enum.StrEnum):
    REGISTERED = "registered"
    PRELIMINARY = "preliminary"
    FINAL = "final"
    AMENDED = "amended"
    CORRECTED = "corrected"
    CANCELLED = "cancelled"
    ENTERED_IN_ERROR = "entered-in-error"
    UNKNOWN = "unknown"


class ValueKind(enum.StrEnum):
    """Which of Observation.value[x] the row carries."""

    NONE = "none"
    QUANTITY = "quantity"
    STRING = "string"
    CODEABLE = "codeable"
    BOOLEAN = "boolean"
    INTEGER = "integer"


class Observation(FhirResource, Base):
    """One result (FHIR Observation): a lab value with unit and reference range, or a finding."""

    __tablename__ = "observations"

    status: Mapped[ObservationStatus] = mapped_column(string_enum(ObservationStatus), index=True)
    category: Mapped[str] = mapped_column(sa.String(64), default="", index=True)  # laboratory, vital-signs, imaging
    code_system: Mapped[str] = mapped_column(sa.String(200), default="")
    code: Mapped[str] = mapped_column(sa.String(64), index=True)  # e.g. LOINC 718-7 haemoglobin
    code_display: Mapped[str] = mapped_column(sa.String(200), default="")
    value_kind: Mapped[ValueKind] = mapped_column(string_enum(ValueKind), default=ValueKind.NONE)
    value_quantity: Mapped[float | None]
    value_unit: Mapped[str] = mapped_column(sa.String(40), default="")  # human unit, e.g. g/L
    value_unit_code: Mapped[str] = mapped_column(sa.String(40), default="")  # UCUM code
    value_string: Mapped[str] = mapped_column(sa.Text, default="")
    value_code_system: Mapped[str] = mapped_column(sa.String(200), default="")
    value_code: Mapped[str] = mapped_column(sa.String(64), default="")
    value_code_display: Mapped[str] = mapped_column(sa.String(200), default="")
    reference_low: Mapped[float | None]
    reference_high: Mapped[float | None]
    reference_text: Mapped[str] = mapped_column(sa.String(200), default="")
    # v3 ObservationInterpretation: N, H, L, HH, LL, A
    interpretation: Mapped[str] = mapped_column(sa.String(8), default="")
    effective_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    issued: Mapped[dt.datetime | None]
    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    performer_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    performer_practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"))
    encounter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("encounters.id"), index=True)
    based_on_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_requests.id"), index=True)
    components: Mapped[list] = mapped_column(sa.JSON, default=list)  # e.g. systolic/diastolic, as FHIR JSON

    reports: Mapped[list[DiagnosticReport]] = relationship(
        secondary="diagnostic_report_results", back_populates="results", viewonly=True)

    __table_args__ = (sa.Index("ix_observations_patient_code", "patient_record_id", "code", "effective_at"),)


class ReportStatus(enum.StrEnum):
    REGISTERED = "registered"
    PARTIAL = "partial"
    PRELIMINARY = "preliminary"
    FINAL = "final"
    AMENDED = "amended"
    CORRECTED = "corrected"
    APPENDED = "appended"
    CANCELLED = "cancelled"
    ENTERED_IN_ERROR = "entered-in-error"
    UNKNOWN = "unknown"


class DiagnosticReport(FhirResource, Base):
    """A report (FHIR DiagnosticReport): a lab panel over its results, or an imaging report with a conclusion.

    provenance_id is empty until the author signs the final report: the signing capability
    writes a Provenance with the signature and points this column at it.
    """

    __tablename__ = "diagnostic_reports"

    status: Mapped[ReportStatus] = mapped_column(string_enum(ReportStatus), index=True)
    category: Mapped[str] = mapped_column(sa.String(64), default="", index=True)  # v2-0074: LAB, RAD, CT, HM ...
    code_system: Mapped[str] = mapped_column(sa.String(200), default="")
    code: Mapped[str] = mapped_column(sa.String(64), index=True)
    code_display: Mapped[str] = mapped_column(sa.String(200), default="")
    conclusion: Mapped[str] = mapped_column(sa.Text, default="")
    conclusion_code: Mapped[str] = mapped_column(sa.String(64), default="")
    effective_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    issued: Mapped[dt.datetime | None]
    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    encounter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("encounters.id"), index=True)
    based_on_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_requests.id"), index=True)
    performer_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    performer_practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"), index=True)
    interpreter_practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"))
    imaging_study_id: Mapped[int | None] = mapped_column(sa.ForeignKey("imaging_studies.id"))
    provenance_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provenances.id"))

    results: Mapped[list[Observation]] = relationship(
        secondary="diagnostic_report_results", back_populates="reports",
        order_by="DiagnosticReportResult.position", viewonly=True)


class DiagnosticReportResult(Base):
    """An Observation a report groups (DiagnosticReport.result, in order)."""

    __tablename__ = "diagnostic_report_results"

    report_id: Mapped[int] = mapped_column(sa.ForeignKey("diagnostic_reports.id", ondelete="CASCADE"),
                                           primary_key=True)
    observation_id: Mapped[int] = mapped_column(sa.ForeignKey("observations.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)


class ImagingStudy(FhirResource, Base):
    """The images of one exam (FHIR ImagingStudy); series are kept as FHIR JSON."""

    __tablename__ = "imaging_studies"

    status: Mapped[str] = mapped_column(sa.String(20), default="available", index=True)
    modality: Mapped[str] = mapped_column(sa.String(16), default="", index=True)  # DICOM: CT, MR, DX, US
    procedure_code: Mapped[str] = mapped_column(sa.String(64), default="")
    procedure_display: Mapped[str] = mapped_column(sa.String(200), default="")
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    started: Mapped[dt.datetime | None] = mapped_column(index=True)
    number_of_series: Mapped[int | None]
    number_of_instances: Mapped[int | None]
    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    encounter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("encounters.id"))
    based_on_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_requests.id"))
    institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"), index=True)  # where made
    series: Mapped[list] = mapped_column(sa.JSON, default=list)


class ConsentStatus(enum.StrEnum):
    DRAFT = "draft"
    PROPOSED = "proposed"
    ACTIVE = "active"
    REJECTED = "rejected"
    INACTIVE = "inactive"
    ENTERED_IN_ERROR = "entered-in-error"


class Consent(FhirResource, Base):
    """A patient's permission (permit) or refusal (deny) for others to read their records (FHIR Consent).

    The grantee is an institution, a practitioner, or, with both empty, anyone with a
    reading role. resource_types limits it to some types (empty: all). It counts while
    status is active and now lies in [period_start, period_end].
    """

    __tablename__ = "consents"

    status: Mapped[ConsentStatus] = mapped_column(string_enum(ConsentStatus), index=True)
    scope: Mapped[str] = mapped_column(sa.String(40), default="patient-privacy")
    category: Mapped[str] = mapped_column(sa.String(64), default="INFA")  # v3 ActCode: information access
    provision: Mapped[str] = mapped_column(sa.String(8), default="permit")  # permit | deny
    patient_record_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_records.id"), index=True)
    grantee_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    grantee_practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"), index=True)
    resource_types: Mapped[list] = mapped_column(sa.JSON, default=list)
    period_start: Mapped[dt.datetime | None]
    period_end: Mapped[dt.datetime | None]
    date_time: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (sa.CheckConstraint("provision IN ('permit', 'deny')", name="provision"),)


class Location(FhirResource, Base):
    """A place of an institution (FHIR Location): a ward, a clinic room, a CT room."""

    __tablename__ = "locations"

    status: Mapped[str] = mapped_column(sa.String(12), default="active")
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    type_code: Mapped[str] = mapped_column(sa.String(64), default="")
    institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]


class Provenance(FhirResource, Base):
    """Who made or signed what and when (FHIR Provenance), with the digital signature when signed.

    target_type/target_fhir_id name the main target (e.g. a DiagnosticReport); targets
    keeps the full list of references as FHIR JSON. The signature columns follow FHIR
    Signature: type (e.g. 1.2.840.10065.1.12.1.1 author's signature), when, who,
    sig_format (a MIME type), data (base64).
    """

    __tablename__ = "provenances"

    target_type: Mapped[str] = mapped_column(sa.String(40), default="")
    target_fhir_id: Mapped[str] = mapped_column(sa.String(64), default="", index=True)
    target_version_id: Mapped[int | None]
    targets: Mapped[list] = mapped_column(sa.JSON, default=list)
    recorded: Mapped[dt.datetime] = mapped_column(default=utcnow)
    activity: Mapped[str] = mapped_column(sa.String(64), default="")
    agent_practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"), index=True)
    agent_institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"))
    signature_type: Mapped[str] = mapped_column(sa.String(64), default="")
    signature_when: Mapped[dt.datetime | None]
    signature_format: Mapped[str] = mapped_column(sa.String(64), default="")
    signature_data: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (sa.Index("ix_provenances_target", "target_type", "target_fhir_id"),)


class FhirVersion(Base):
    """One version of one resource, as served then: FHIR _history and meta.versionId/lastUpdated.

    For Patient, Organization, Practitioner and PractitionerRole (whose current state is in
    the identity and registry tables) this is where meta comes from.
    """

    __tablename__ = "fhir_versions"

    resource_type: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    logical_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    version_id: Mapped[int] = mapped_column(primary_key=True)
    last_updated: Mapped[dt.datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(sa.String(8), default="POST")  # POST, PUT, DELETE
    actor_user_id: Mapped[int | None]
    resource: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class FhirIdentifier(Base):
    """A business identifier of a resource (Resource.identifier), for identifier=system|value search."""

    __tablename__ = "fhir_identifiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_type: Mapped[str] = mapped_column(sa.String(40))
    logical_id: Mapped[str] = mapped_column(sa.String(64))
    system: Mapped[str] = mapped_column(sa.String(200), default="")
    value: Mapped[str] = mapped_column(sa.String(200))

    __table_args__ = (
        sa.Index("ix_fhir_identifiers_value", "resource_type", "value", "system"),
        sa.Index("ix_fhir_identifiers_resource", "resource_type", "logical_id"),
    )


class FhirAlias(Base):
    """An outside id (a urn:uuid fullUrl, a client's id) of a mapped resource, and the local id it names."""

    __tablename__ = "fhir_aliases"

    resource_type: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    alias: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    logical_id: Mapped[str] = mapped_column(sa.String(64))


class FhirTokenScope(Base):
    """The SMART scopes a bearer token was narrowed to (no row: the scopes its role implies)."""

    __tablename__ = "fhir_token_scopes"

    token_id: Mapped[int] = mapped_column(sa.ForeignKey("auth_tokens.id", ondelete="CASCADE"), primary_key=True)
    scopes: Mapped[str] = mapped_column(sa.String(1000))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


CLINICAL_MODELS: dict[str, type[FhirResource]] = {
    "Encounter": Encounter,
    "ServiceRequest": ServiceRequest,
    "Observation": Observation,
    "DiagnosticReport": DiagnosticReport,
    "ImagingStudy": ImagingStudy,
    "Consent": Consent,
    "Location": Location,
    "Provenance": Provenance,
}
