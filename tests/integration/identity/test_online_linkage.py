"""Online linkage: every registration is linked at once, by the rules the issue sets."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from medshare.audit.models import AuditEvent
from medshare.errors import Conflict
from medshare.identity import linkage, matching, persons
from medshare.identity import service as identity
from medshare.identity.models import LinkagePolicy, LinkHow, PersonLink, RejectedPair, ReviewItem, ReviewStatus
from medshare.identity.schemas import PatientRecordPatch
from tests import factories as f
from tests.integration.identity import data


@pytest.fixture
def admin(session):
    return f.admin_principal(session)


@pytest.fixture
def sites(session, admin):
    return f.make_institution(session, admin).id, f.make_institution(session, admin).id


def _link(session, record_id) -> PersonLink:
    session.expire_all()
    return session.get(PersonLink, record_id)


def _actions(session, *actions) -> list[str]:
    return list(session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.in_(actions))
                                .order_by(AuditEvent.id)))


def test_an_exact_valid_id_links_deterministically_whatever_the_other_fields_say(session, admin, sites):
    first = data.record(session, admin, sites[0], phone="13912345678")
    second = data.record(session, admin, sites[1], name=data.unique_name(), birth_date=first.birth_date,
                         national_id=first.national_id)
    assert _link(session, second.id).person_id == _link(session, first.id).person_id
    assert _link(session, second.id).how == LinkHow.DETERMINISTIC_ID


def test_conflicting_valid_ids_never_link_however_alike_the_rest_is(session, admin, sites):
    item = data.review_pair(session, admin, sites[0], sites[1])
    assert _link(session, item.record_id).person_id != _link(session, item.candidate_record_id).person_id
    assert item.reason == "id-conflict" and item.status == ReviewStatus.OPEN


def _pinyin_pair(session, admin, sites):
    born = data.unique_birth().replace(day=5, month=3)
    first = data.record(session, admin, sites[0], name="张伟" + data.unique_name()[1:], name_pinyin="",
                        birth_date=born, national_id=None, phone="13800001111")
    second_name = "章" + first.name[1:]
    second = data.record(session, admin, sites[1], name=second_name, name_pinyin="WEI Zhang",
                         birth_date=born.replace(day=3, month=5), national_id=None, phone="")
    return first, second


@pytest.mark.parametrize("link,review,expected", [(0.9, 0.1, None), (0.999999, 0.01, "review"),
                                                  (0.01, 0.001, "link"), (0.9999999, 0.9999998, "new")])
def test_a_pinyin_and_character_pair_with_a_swapped_birth_date_goes_where_the_thresholds_say(
        session, admin, sites, link, review, expected):
    session.add(LinkagePolicy(link_probability=link, review_probability=review))
    session.flush()
    first, second = _pinyin_pair(session, admin, sites)
    gamma = matching.compare(matching.profile_of(second), matching.profile_of(first))
    assert gamma[matching.FIELD_INDEX["name"]] == 1  # same sound
    assert gamma[matching.FIELD_INDEX["birth_date"]] == 1  # day and month swapped
    _, weights = linkage.current_weights(session)
    p = float(linkage.probability(matching.total_weight(gamma, weights)))
    outcome = expected or ("link" if p >= link else "review" if p >= review else "new")
    same = _link(session, second.id).person_id == _link(session, first.id).person_id
    queued = session.scalar(sa.select(sa.func.count()).select_from(ReviewItem).where(
        ReviewItem.record_id == second.id, ReviewItem.candidate_record_id == first.id))
    assert (same, bool(queued)) == {"link": (True, False), "review": (False, True), "new": (False, False)}[outcome]


def test_a_correction_relinks_the_record_at_once(session, admin, sites):
    first = data.record(session, admin, sites[0])
    second = data.record(session, admin, sites[1])
    assert _link(session, second.id).person_id != _link(session, first.id).person_id
    identity.update_patient_record(session, admin, second, PatientRecordPatch(
        name=first.name, birth_date=first.birth_date, national_id=first.national_id, sex=first.sex))
    assert _link(session, second.id).person_id == _link(session, first.id).person_id


def test_a_rejected_pair_is_not_proposed_again_when_the_record_changes(session, admin, sites):
    item = data.review_pair(session, admin, sites[0], sites[1])
    persons.decide_reject(session, admin, item)
    assert session.get(RejectedPair, tuple(sorted((item.record_id, item.candidate_record_id)))) is not None
    record = identity.load_patient_record(session, item.record_id)
    identity.update_patient_record(session, admin, record, PatientRecordPatch(address="三元区列东街道"))
    assert not session.scalars(sa.select(ReviewItem).where(
        ReviewItem.status == ReviewStatus.OPEN.value, ReviewItem.record_id == item.record_id)).all()


def test_linking_a_review_item_moves_the_record_by_hand_and_relinking_leaves_it(session, admin, sites):
    item = data.review_pair(session, admin, sites[0], sites[1])
    persons.decide_link(session, admin, item)
    assert _link(session, item.record_id).person_id == _link(session, item.candidate_record_id).person_id
    assert _link(session, item.record_id).how == LinkHow.MANUAL
    record = identity.load_patient_record(session, item.record_id)
    identity.update_patient_record(session, admin, record, PatientRecordPatch(phone="13700000000"))
    assert _link(session, item.record_id).person_id == _link(session, item.candidate_record_id).person_id
    with pytest.raises(Conflict):
        persons.decide_link(session, admin, item)


def test_unmerge_restores_the_persons_as_they_were_before_the_merge(session, admin, sites):
    a1 = data.record(session, admin, sites[0])
    a2 = data.record(session, admin, sites[1], name=a1.name, birth_date=a1.birth_date, national_id=a1.national_id)
    b1 = data.record(session, admin, sites[0])
    pa, pb = _link(session, a1.id).person_id, _link(session, b1.id).person_id
    assert _link(session, a2.id).person_id == pa and pa != pb
    before = {pa: linkage.person_record_ids(session, pa), pb: linkage.person_record_ids(session, pb)}
    persons.merge_persons(session, admin, pa, pb)
    assert linkage.person_record_ids(session, pa) == sorted([a1.id, a2.id, b1.id])
    persons.unmerge_record(session, admin, b1.id)
    session.expire_all()
    after = {pa: linkage.person_record_ids(session, pa), pb: linkage.person_record_ids(session, pb)}
    assert after == before
    assert persons.load_person(session, pb).merged_into_id is None


def test_unmerging_an_automatically_linked_record_gives_it_a_person_and_rejects_the_pair(session, admin, sites):
    a1 = data.record(session, admin, sites[0])
    a2 = data.record(session, admin, sites[1], name=a1.name, birth_date=a1.birth_date, national_id=a1.national_id)
    person = persons.unmerge_record(session, admin, a2.id)
    assert _link(session, a2.id).person_id == person.id != _link(session, a1.id).person_id
    assert session.get(RejectedPair, (a1.id, a2.id)) is not None


def test_every_decision_is_audited(session, admin, sites):
    start = session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    linked, rejected = data.review_pair(session, admin, sites[0]), data.review_pair(session, admin, sites[0])
    persons.decide_link(session, admin, linked)
    persons.decide_reject(session, admin, rejected)
    x, y = data.record(session, admin, sites[0]), data.record(session, admin, sites[1])
    persons.merge_persons(session, admin, _link(session, x.id).person_id, _link(session, y.id).person_id)
    persons.unmerge_record(session, admin, y.id)
    actions = list(session.scalars(sa.select(AuditEvent.action).where(AuditEvent.id > start)))
    for action in ("identity.link", "identity.review.link", "identity.review.reject", "identity.person.merge",
                   "identity.record.unmerge"):
        assert action in actions, action
    assert actions.count("identity.link") == 6  # one per registration


def test_a_deactivated_record_is_no_longer_a_candidate(session, admin, sites):
    first = data.record(session, admin, sites[0])
    identity.deactivate_patient_record(session, admin, first)
    second = data.record(session, admin, sites[1], name=first.name, birth_date=first.birth_date,
                         national_id=first.national_id)
    assert _link(session, second.id).person_id != _link(session, first.id).person_id


def test_a_person_is_read_with_all_records_and_each_read_is_audited(session, admin, sites):
    a1 = data.record(session, admin, sites[0])
    a2 = data.record(session, admin, sites[1], name=a1.name, birth_date=a1.birth_date, national_id=a1.national_id)
    start = session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    view = persons.read_person(session, admin, _link(session, a1.id).person_id)
    assert [r.id for r in view.records] == [a1.id, a2.id]
    reads = session.scalars(sa.select(AuditEvent.patient_record_id).where(
        AuditEvent.id > start, AuditEvent.action == "patient.read")).all()
    assert sorted(reads) == [a1.id, a2.id]
    found = persons.search_persons(session, admin, name=a1.name, birth_date=a1.birth_date.replace(
        day=a1.birth_date.month, month=a1.birth_date.day))
    assert [v.person.id for v in found] == [view.person.id]
    assert [v.person.id for v in persons.search_persons(session, admin, national_id=a1.national_id)] == \
        [view.person.id]
    ref = persons.cross_references(session, admin, institution_id=sites[0], local_id=a1.local_id)
    assert [r.id for r in ref.identifiers] == [a2.id]


def test_search_needs_a_criterion(session, admin):
    from medshare.errors import InvalidInput

    with pytest.raises(InvalidInput):
        persons.search_persons(session, admin, birth_date=dt.date(1980, 1, 1))
