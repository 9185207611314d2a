"""FHIR R4 API of the shared record at /fhir: resources mapped onto medshare tables, Bundles, search, SMART scopes."""

from pathlib import Path

# Synthea's public R4 sample bundles (Apache-2.0, see the LICENSE beside them): organisations,
# practitioners and five patients' histories, for tests, the benchmark and `medshare fhir load`.
SYNTHEA_SAMPLES = Path(__file__).parent / "samples" / "synthea-r4"
