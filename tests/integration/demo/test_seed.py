"""Seeding the small demo region into a fresh database of each backend, and `medshare demo` itself.

The session-wide `engine` database is shared with other tests, so every test here seeds a
database of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from medshare.accounts import service as accounts
from medshare.accounts.models import User
from medshare.audit.models import AuditEvent
from medshare.cli.main import app
from medshare.db import get_engine, make_engine, session_factory, transaction, upgrade, utcnow
from medshare.demo import cli as demo_cli
from medshare.demo import service
from medshare.demo.generator import generate
from medshare.demo.models import DemoPersonTruth
from medshare.errors import Conflict
from medshare.identity.models import PatientRecord, PersonLink
from medshare.registry.models import Institution, Practitioner, Registration
from medshare.settings import get_settings
from tests.conftest import BACKENDS, fresh_database_url


@pytest.fixture(params=BACKENDS)
def fresh_url(request, tmp_path) -> Iterator[str]:
    """The URL of a new, empty database (not migrated) of each backend."""
    yield from fresh_database_url(request.param, tmp_path)


@pytest.fixture(params=BACKENDS, scope="module")
def seeded(request, tmp_path_factory):
    """A database of each backend with the small region seeded, and that region."""
    for url in fresh_database_url(request.param, tmp_path_factory.mktemp("demo")):
        engine = make_engine(url)
        upgrade(engine)
        counts = demo_cli.seed(engine, scale="small", seed=1)
        yield engine, counts
        engine.dispose()


@pytest.fixture
def settings_for(monkeypatch, tmp_path):
    """Point the process settings at url, as MEDSHARE_DATABASE_URL does for the command."""

    urls = []

    def configure(url: str) -> None:
        monkeypatch.setenv("MEDSHARE_DATABASE_URL", url)
        monkeypatch.setenv("MEDSHARE_DATA_DIR", str(tmp_path))
        get_settings.cache_clear()
        urls.append(url)

    yield configure
    get_settings.cache_clear()
    for url in urls:
        get_engine(url).dispose()  # the command's engine, so the database can be dropped


def test_seeding_the_small_region_fills_every_table(seeded):
    engine, counts = seeded
    region = generate("small", 1)
    assert all(counts[table] >= rows for table, rows in region.counts().items())  # extensions may add some
    with session_factory(engine, writing=False)() as session:
        # Every seeded record is linked to a person, as online linkage would have done.
        linked = session.scalar(sa.select(sa.func.count()).select_from(PersonLink))
        persons = session.scalar(sa.select(sa.func.count(sa.distinct(PersonLink.person_id))))
        assert (linked, persons) == (counts["patient_records"], counts["persons"])
        for model, expected in ((Institution, "institutions"), (Practitioner, "practitioners"),
                                (Registration, "registrations"), (PatientRecord, "patient_records"),
                                (DemoPersonTruth, "truths")):
            assert session.scalar(sa.select(sa.func.count()).select_from(model)) == counts[expected]
        assert not demo_cli.region_is_empty(engine)


def test_seeding_is_audited_once_with_its_counts(seeded):
    engine, _ = seeded
    with session_factory(engine, writing=False)() as session:
        events = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "demo.seed")).all()
    assert len(events) == 1
    assert events[0].object_id == "small:1" and events[0].details["counts"] == generate("small", 1).counts()


def test_a_demo_account_signs_in_with_the_demo_password(seeded):
    engine, _ = seeded
    with session_factory(engine, writing=False)() as session:
        doctor = accounts.authenticate(session, "doctor", get_settings().demo_password)
        patient = accounts.authenticate(session, "patient", get_settings().demo_password)
        assert doctor.practitioner_id is not None and doctor.institution_id is not None
        assert session.get(PatientRecord, patient.patient_record_id) is not None
        hashes = set(session.scalars(sa.select(User.password_hash)))
    assert len(hashes) == 1  # hashed once for every account


def test_rows_added_after_seeding_get_fresh_ids(seeded):
    engine, counts = seeded
    with session_factory(engine)() as session:
        institution = Institution(code=f"T{uuid.uuid4().hex[:12]}", name="新诊所", type="individual_clinic",
                                  division_code="350403")
        session.add(institution)
        session.flush()
        assert institution.id == counts["institutions"] + 1
        session.rollback()


def test_seeding_a_registry_that_has_institutions_is_refused(seeded):
    engine, _ = seeded
    with pytest.raises(Conflict) as refused, transaction(session_factory(engine)) as session:
        service.load(session, generate("small", 2), password_hash="x")
    assert refused.value.problems[0].rule == "empty-registry"


def test_the_demo_command_seeds_once_refuses_again_and_resets_on_request(fresh_url, settings_for):
    settings_for(fresh_url)
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--scale", "small", "--seed", "3"])
    assert first.exit_code == 0, first.output
    assert "patient records" in first.output and "medshare-demo" in first.output
    again = runner.invoke(app, ["demo", "--scale", "small"])
    assert again.exit_code == 1 and "--reset" in again.output
    reset = runner.invoke(app, ["demo", "--scale", "small", "--seed", "4", "--reset"])
    assert reset.exit_code == 0, reset.output
    engine = make_engine(fresh_url)
    with session_factory(engine, writing=False)() as session:
        seeds = session.scalars(sa.select(AuditEvent.object_id).where(AuditEvent.action == "demo.seed")).all()
    engine.dispose()
    assert seeds == ["small:4"]


def test_an_unknown_scale_is_refused_naming_the_option(fresh_url, settings_for):
    settings_for(fresh_url)
    result = CliRunner().invoke(app, ["demo", "--scale", "planet"])
    assert result.exit_code == 2 and "--scale" in result.output and "small, city, province" in result.output


def test_reset_leaves_a_database_that_the_demo_did_not_seed_alone(fresh_url, settings_for):
    engine = make_engine(fresh_url)
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        session.execute(sa.insert(Institution).values(code="REAL-1", name="真实医院", type="tertiary_hospital",
                                                      grade_level=3, division_code="350403",
                                                      created_at=utcnow(), updated_at=utcnow()))
    settings_for(fresh_url)
    result = CliRunner().invoke(app, ["demo", "--reset"])
    assert result.exit_code == 1 and "seeded by `medshare demo`" in " ".join(result.output.split())
    with session_factory(engine, writing=False)() as session:
        assert session.scalar(sa.select(Institution.name)) == "真实医院"
    engine.dispose()
