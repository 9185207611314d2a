"""Nothing secret or personal reaches the server's log: no password, token, national ID or patient name,
with uvicorn's access log and debug logging on while the API and the pages are driven."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from medshare.accounts.models import Role
from medshare.bench.api import ServerProcess
from medshare.db import make_engine, session_factory, transaction, upgrade
from tests import factories as f

PATIENT_NAME = "欧阳秀英"
PATIENT_PINYIN = "ouyang"
WRONG_PASSWORD = "Tr0ub4dor&3-wrong"


def test_the_log_of_a_busy_server_holds_no_secret_or_personal_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'logs.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        operator = f.make_user(session, Role.PLATFORM_ADMIN)
        hospital = f.make_institution(session, f.admin_principal(session))
        username, hospital_id = operator.username, hospital.id
    engine.dispose()
    national_id = f.national_id(dt.date(1975, 3, 9), male=False)
    new_password = "a-brand-new-password-77"
    secrets_seen: list[str] = [f.PASSWORD, WRONG_PASSWORD, new_password, national_id, PATIENT_NAME]
    log = tmp_path / "server.log"
    with ServerProcess(url, tmp_path, log_file=log, access_log=True, log_level="debug") as server, \
            httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.post("/api/v1/auth/token", json={"username": username, "password": WRONG_PASSWORD}
                           ).status_code == 401
        token = client.post("/api/v1/auth/token", json={"username": username, "password": f.PASSWORD}
                            ).json()["access_token"]
        secrets_seen.append(token)
        headers = {"Authorization": f"Bearer {token}"}
        created = client.post("/api/v1/patients", headers=headers, json={
            "institution_id": hospital_id, "local_id": "MRN-0042", "name": PATIENT_NAME, "sex": "female",
            "birth_date": "1975-03-09", "national_id": national_id, "phone": "13912345678"})
        assert created.status_code == 201, created.text
        secrets_seen.append("13912345678")
        record = created.json()["id"]
        assert client.get("/api/v1/patients", headers=headers, params={"q": PATIENT_NAME}).status_code == 200
        assert client.get("/api/v1/patients", headers=headers, params={"q": PATIENT_PINYIN}).status_code == 200
        assert client.get("/api/v1/patients", headers=headers,
                          params={"national_id": national_id}).status_code == 200
        assert client.get(f"/api/v1/patients/{record}", headers=headers).status_code == 200
        # Bad input that echoes the value back to the client must not echo it into the log.
        assert client.post("/api/v1/patients", headers=headers, json={
            "institution_id": hospital_id, "local_id": "MRN-0043", "name": PATIENT_NAME, "sex": "female",
            "birth_date": "1975-03-09", "national_id": national_id[:-1] + "X"}).status_code == 422
        assert client.post("/api/v1/users", headers=headers, json={
            "username": f.unique("nurse"), "password": new_password, "role": "practitioner",
            "institution_id": hospital_id}).status_code == 201
        # The pages: sign in with the form, search patients by name, sign out.
        page = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)
        signed_in = client.post("/login", data={"username": username, "password": f.PASSWORD, "csrf_token": csrf})
        assert signed_in.status_code == 303
        secrets_seen.append(client.cookies["medshare_session"])
        client.get("/admin/patients", params={"q": PATIENT_NAME})
        client.get("/identity/persons")
        client.post("/logout", data={"csrf_token": "stale"})
    text = log.read_text(errors="replace")
    assert text.count("/api/v1/patients") >= 5  # the access log was on: the test could have seen a leak
    assert "/api/v1/patients?…" in text  # searches are logged without their query
    for secret in secrets_seen:
        assert secret not in text, f"the log holds {secret[:3]}…"
    assert PATIENT_PINYIN not in text.lower()
