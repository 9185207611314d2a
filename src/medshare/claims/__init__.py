"""Insurance claims for shared services: coverage, claims to the patient's insurer, adjudication, direct settlement."""
