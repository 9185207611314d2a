"""API shapes of the audit trail."""

from __future__ import annotations

import datetime as dt

from medshare.schemas import Out


class AuditEventOut(Out):
    id: int
    occurred_at: dt.datetime
    actor_user_id: int | None
    actor_role: str
    action: str
    object_type: str
    object_id: str
    institution_id: int | None
    patient_record_id: int | None
    source_ip: str
    channel: str
    request_id: str
    details: dict
