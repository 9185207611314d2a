"""schemathesis over the whole OpenAPI of a live server on a seeded small region, as a platform admin:
a bounded run (examples, coverage, fuzzing and stateful phases) with no 5xx and every answer as documented."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

CHECKS = ",".join(["not_a_server_error", "status_code_conformance", "content_type_conformance",
                   "response_schema_conformance", "response_headers_conformance"])
BUDGET_SECONDS = int(os.environ.get("MEDSHARE_FUZZ_SECONDS", "50"))


def test_the_documented_schema_covers_every_operation_with_its_errors(fuzz_target):
    schema = httpx.get(f"{fuzz_target.url}/openapi.json").json()
    operations = [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    assert len(operations) > 100
    for path, method, op in operations:
        default = op["responses"].get("default", {}).get("content", {})
        expected = "application/fhir+json" if path.startswith("/fhir") and ".well-known" not in path \
            else "application/problem+json"
        assert expected in default, (method, path)


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(fuzz_target, tmp_path):
    st = Path(sys.executable).with_name("st")
    command = [str(st), "run", f"{fuzz_target.url}/openapi.json",
               "-H", f"Authorization: Bearer {fuzz_target.token}",
               "--checks", CHECKS, "--max-time", str(BUDGET_SECONDS), "--max-examples", "8",
               "--workers", "2", "--request-timeout", "30", "--seed", "20261123", "--no-color",
               "--suppress-health-check", "all", "--warnings", "off"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=BUDGET_SECONDS + 120, cwd=tmp_path)
    report = done.stdout + done.stderr
    (Path(tmp_path) / "schemathesis.txt").write_text(report)
    summary = report[report.find("SUMMARY"):] if "SUMMARY" in report else report[-3000:]
    assert "Tested:" in summary, report[-3000:]
    assert done.returncode == 0, report[-6000:]
