"""FHIR R4 API of the shared record at /fhir: resources mapped onto medshare tables, Bundles, search, SMART scopes."""
