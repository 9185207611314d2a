"""Authorisation: deny by default, scopes, and who may hand out which role."""

from __future__ import annotations

import pytest

from medshare.accounts import rules
from medshare.accounts.models import Role
from medshare.errors import Forbidden, InvalidInput
from medshare.permissions import GRANTS, Permission, Principal, authorize, has


def principal(role: Role, institution_id: int | None = 1, patient_record_id: int | None = None) -> Principal:
    return Principal(user_id=1, username="u", role=role, institution_id=institution_id,
                     patient_record_id=patient_record_id)


def test_every_role_is_listed_and_unlisted_permissions_are_denied():
    assert set(GRANTS) == set(Role)
    supplier = principal(Role.SUPPLIER)
    unlisted = [permission for permission in Permission if permission not in GRANTS[Role.SUPPLIER]]
    assert unlisted
    for permission in unlisted:
        assert not has(supplier, permission)
        with pytest.raises(Forbidden):
            authorize(supplier, permission, institutions=[1])


def test_an_institution_admin_reaches_only_its_own_institution():
    admin = principal(Role.INSTITUTION_ADMIN, institution_id=7)
    authorize(admin, Permission.PATIENT_WRITE, institutions=[7])
    with pytest.raises(Forbidden):
        authorize(admin, Permission.PATIENT_WRITE, institutions=[8])
    with pytest.raises(Forbidden):
        authorize(admin, Permission.PATIENT_WRITE)


def test_a_patient_reads_only_their_own_record():
    patient = principal(Role.PATIENT, institution_id=None, patient_record_id=42)
    authorize(patient, Permission.PATIENT_READ, patient_record_id=42)
    with pytest.raises(Forbidden):
        authorize(patient, Permission.PATIENT_READ, patient_record_id=43)
    with pytest.raises(Forbidden):
        authorize(patient, Permission.PATIENT_WRITE, patient_record_id=42)


def test_nobody_hands_out_a_role_above_their_own():
    rules.check_assignable(Role.PLATFORM_ADMIN, Role.PLATFORM_ADMIN)
    with pytest.raises(Forbidden):
        rules.check_assignable(Role.REGULATOR, Role.PLATFORM_ADMIN)
    with pytest.raises(Forbidden):
        rules.check_assignable(Role.INSTITUTION_ADMIN, Role.REGULATOR)
    with pytest.raises(Forbidden):
        rules.check_assignable(Role.PRACTITIONER, Role.PRACTITIONER)


def test_accounts_are_bound_to_an_institution_or_a_patient_record():
    rules.check_binding(Role.PLATFORM_ADMIN, None, None)
    with pytest.raises(InvalidInput) as error:
        rules.check_binding(Role.PRACTITIONER, None, None)
    assert error.value.problems[0].field == "institution_id"
    with pytest.raises(InvalidInput) as error:
        rules.check_binding(Role.PATIENT, None, None)
    assert error.value.problems[0].field == "patient_record_id"
