"""The shared clinical record: FHIR-shaped tables, access rules and the records of who read what."""
