"""The FHIR tests' small region, shared."""

from tests.integration.fhir.conftest import world

__all__ = ["world"]
