"""JSON API of mutual recognition: catalogue, scope policy, accreditation, order-time checks, figures."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, status

from medshare.deps import AuditedReadSessionDep, CurrentPrincipal, PageParams, SessionDep, require
from medshare.permissions import Permission, Principal
from medshare.recognition import figures as recognition_figures
from medshare.recognition import service as recognition
from medshare.recognition.models import Decision, ItemCategory, RecognitionCheck, RepeatReason
from medshare.recognition.schemas import (
    AcceptIn,
    AccreditationIn,
    AccreditationOut,
    CheckIn,
    CheckOut,
    ItemIn,
    ItemOut,
    ItemPatch,
    PolicyIn,
    PolicyOut,
    RepeatIn,
)
from medshare.schemas import Page

router = APIRouter(prefix="/api/v1/recognition", tags=["mutual recognition"])
Policy = Annotated[Principal, require(Permission.RECOGNITION_POLICY)]
Orderer = Annotated[Principal, require(Permission.RECOGNITION_CHECK)]


def check_out(session, row: RecognitionCheck) -> CheckOut:
    item = recognition.get_item(session, row.item_id)
    return CheckOut.model_validate({c: getattr(row, c) for c in CheckOut.model_fields if hasattr(row, c)}
                                   | {"item_code": item.code})


@router.get("/items", response_model=list[ItemOut], summary="The region's item catalogue")
def list_items(session: SessionDep, principal: CurrentPrincipal, category: ItemCategory | None = None,
               include_inactive: bool = False):
    return [ItemOut.model_validate(i) for i in recognition.list_items(
        session, category=category.value if category else None, include_inactive=include_inactive)]


@router.post("/items", response_model=ItemOut, status_code=status.HTTP_201_CREATED,
             summary="Add an item to the catalogue")
def create_item(session: SessionDep, data: ItemIn, actor: Policy):
    return ItemOut.model_validate(recognition.create_item(session, actor, data.model_dump()))


@router.patch("/items/{item_id}", response_model=ItemOut, summary="Change an item's window, fee, codes or status")
def update_item(session: SessionDep, item_id: int, data: ItemPatch, actor: Policy):
    changes = data.model_dump(exclude_unset=True)
    return ItemOut.model_validate(recognition.update_item(session, actor, recognition.get_item(session, item_id),
                                                          changes))


@router.get("/policy", response_model=PolicyOut, summary="The recognition scope rules in force")
def read_policy(session: SessionDep, principal: CurrentPrincipal):
    row = recognition.current_policy(session)
    scope = recognition.scope(session)
    return PolicyOut(**{k: getattr(scope, k) for k in PolicyIn.model_fields}, set_at=row.set_at if row else None)


@router.put("/policy", response_model=PolicyOut, summary="Put new scope rules in force")
def set_policy(session: SessionDep, data: PolicyIn, actor: Policy):
    row = recognition.set_policy(session, actor, data.model_dump())
    return PolicyOut(**{k: getattr(row, k) for k in PolicyIn.model_fields}, set_at=row.set_at)


@router.get("/accreditations", response_model=list[AccreditationOut],
            summary="Accreditations (the HR mark) in force or past, public")
def list_accreditations(session: SessionDep, institution_id: int | None = None, item_code: str | None = None):
    item_id = recognition.item_by_code(session, item_code).id if item_code else None
    return [AccreditationOut.model_validate(a) for a in recognition.list_accreditations(
        session, institution_id=institution_id, item_id=item_id)]


@router.post("/accreditations", response_model=AccreditationOut, status_code=status.HTTP_201_CREATED,
             summary="Record an institution's passed quality control for an item")
def accredit(session: SessionDep, data: AccreditationIn, actor: Policy):
    item = recognition.item_by_code(session, data.item_code)
    return AccreditationOut.model_validate(recognition.accredit(
        session, actor, institution_id=data.institution_id, item_id=item.id, passed_on=data.passed_on,
        valid_until=data.valid_until, scheme=data.scheme))


@router.post("/accreditations/{accreditation_id}/withdraw", response_model=AccreditationOut,
             summary="Withdraw an accreditation (failed quality control)")
def withdraw(session: SessionDep, accreditation_id: int, actor: Policy):
    row = recognition.get_accreditation(session, accreditation_id)
    return AccreditationOut.model_validate(recognition.withdraw_accreditation(session, actor, row))


@router.post("/checks", response_model=CheckOut, status_code=status.HTTP_201_CREATED,
             summary="At order time: the patient's results for the item everywhere, each recognisable or not, and why")
def create_check(session: SessionDep, data: CheckIn, actor: Orderer):
    row = recognition.check(session, actor, patient_record_id=data.patient_record_id, item_code=data.item_code,
                            service_request_id=data.service_request_id)
    return check_out(session, row)


@router.get("/checks", response_model=Page[CheckOut], summary="Checks and decisions, newest first")
def list_checks(session: AuditedReadSessionDep, page: PageParams, actor: CurrentPrincipal,
                decision: Decision | None = None, repeat_reason: RepeatReason | None = None,
                institution_id: int | None = None):
    rows, total = recognition.list_checks(session, actor, decision=decision.value if decision else None,
                                          repeat_reason=repeat_reason.value if repeat_reason else None,
                                          institution_id=institution_id, **page)
    return Page(items=[check_out(session, r) for r in rows], total=total, **page)


@router.get("/checks/{check_id}", response_model=CheckOut, summary="A check and its decision")
def read_check(session: SessionDep, check_id: int, actor: Orderer):
    return check_out(session, recognition.read_check(session, actor, check_id))


@router.post("/checks/{check_id}/accept", response_model=CheckOut,
             summary="Fulfil the order by a recognisable prior result (no new exam)")
def accept(session: SessionDep, check_id: int, data: AcceptIn, actor: Orderer):
    row = recognition.accept(session, actor, recognition.get_check(session, check_id),
                             result_kind=data.result_kind.value, result_id=data.result_id)
    return check_out(session, row)


@router.post("/checks/{check_id}/repeat", response_model=CheckOut,
             summary="Do the exam again (with a reason from the national list when a result was recognisable)")
def repeat(session: SessionDep, check_id: int, data: RepeatIn, actor: Orderer):
    row = recognition.repeat(session, actor, recognition.get_check(session, check_id),
                             reason=data.reason.value if data.reason else None, note=data.note)
    return check_out(session, row)


@router.get("/my-decisions", response_model=list[CheckOut],
            summary="A patient's own orders: prior results accepted, and the reasons exams were repeated")
def my_decisions(session: AuditedReadSessionDep, actor: CurrentPrincipal):
    return [check_out(session, r) for r in recognition.decisions_for_patient(session, actor)]


@router.get("/figures", summary="Per institution and item for a month: look-ups, recognitions, repeats by reason, "
            "exams avoided, money saved (fen), overlooked orders")
def read_figures(session: SessionDep, actor: Annotated[Principal, require(Permission.RECOGNITION_FIGURES)],
                 month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
                 institution_id: int | None = None, item_code: str | None = None) -> dict:
    month = month or dt.datetime.now(recognition.region_tz()).strftime("%Y-%m")
    return recognition_figures.figures(session, actor, month=month, institution_id=institution_id,
                                       item_code=item_code)
