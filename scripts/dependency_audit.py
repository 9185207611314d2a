"""CI's dependency audit: pip-audit over the installed environment (the editable medshare itself skipped).

Fails (exit 1) when a vulnerability service names a known vulnerability in an installed package.
Tries PyPI's service, then OSV. When neither can audit anything from this machine (no network, or a
package index mirror that does not serve vulnerability data), it says so plainly and exits 0: an
unreachable service is not a finding, and CI goes on to the tests.

Usage: .venv/bin/python scripts/dependency_audit.py [extra pip-audit arguments, e.g. --ignore-vuln ID]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

SERVICES = ("pypi", "osv")
PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


def audit(service: str, extra: list[str]) -> tuple[list[dict] | None, str]:
    """The dependencies pip-audit reported through service, or None and why when it gave no report."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "audit.json"
        try:
            done = subprocess.run([str(PIP_AUDIT), "--skip-editable", "-s", service, "-f", "json", "-o", str(report),
                                   "--progress-spinner", "off", "--desc", "off", "--timeout", "20", *extra],
                                  capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            return None, "pip-audit did not finish in 10 minutes"
        if not report.exists() or not report.read_text().strip():
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            return None, lines[-1] if lines else f"pip-audit exited {done.returncode} without a report"
        return json.loads(report.read_text())["dependencies"], ""


def main(extra: list[str]) -> int:
    if not PIP_AUDIT.exists():
        print(f"dependency audit: {PIP_AUDIT} is missing (make install installs it with the test extras)")
        return 1
    for service in SERVICES:
        dependencies, why = audit(service, extra)
        if dependencies is None:
            print(f"dependency audit: the {service} service could not be asked: {why}")
            continue
        audited = [d for d in dependencies if "skip_reason" not in d]
        vulnerable = [d for d in audited if d.get("vulns")]
        if vulnerable:
            print(f"dependency audit ({service}): known vulnerabilities in {len(vulnerable)} installed package(s):")
            for dep in vulnerable:
                for vuln in dep["vulns"]:
                    fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
                    print(f"  {dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixed})")
            return 1
        if audited:
            skipped = len(dependencies) - len(audited)
            print(f"dependency audit ({service}): {len(audited)} installed packages audited, no known vulnerabilities"
                  + (f"; {skipped} could not be audited" if skipped else ""))
            return 0
        print(f"dependency audit: the {service} service audited none of the {len(dependencies)} installed packages "
              f"(e.g. {dependencies[0]['skip_reason'] if dependencies else 'none installed'})")
    print("dependency audit NOT DONE: no vulnerability service could be reached from this machine; "
          "not failing CI for that (known vulnerabilities do fail it)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
