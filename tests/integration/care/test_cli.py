"""What `medshare care check` runs (every few minutes, from cron): a late referral escalates once, the rota's
gaps are listed; and the command's --now option."""

from __future__ import annotations

import datetime as dt

import pytest
import typer

from medshare.care import cli, referrals, service
from tests.integration.care.conftest import T0
from tests.integration.care.test_referrals import draft


def test_the_check_escalates_a_late_referral_once_and_lists_the_gaps(session, county):
    referral = draft(session, county)
    referrals.transition(session, county.centre_doctor, referral, "send", now=T0)
    result = service.run_checks(session, now=T0 + dt.timedelta(hours=1), gap_days=2)
    assert referral.id in result["escalated"] and referral.escalation_level == 2
    assert {g.specialty for g in result["rota_gaps"]} >= {"全科", "儿科"}
    again = service.run_checks(session, now=T0 + dt.timedelta(hours=1, minutes=5), gap_days=1)
    assert referral.id not in again["escalated"]


def test_an_instant_without_its_zone_is_refused():
    with pytest.raises(typer.BadParameter, match="time zone"):
        cli._instant("2026-06-01T20:00")
    with pytest.raises(typer.BadParameter, match="ISO 8601"):
        cli._instant("yesterday")
    assert cli._instant("2026-06-01T20:00+08:00") == dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
