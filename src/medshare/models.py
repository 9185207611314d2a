"""Imports every domain's tables so that Base.metadata is complete (migrations, tests)."""

from medshare.accounts import models as accounts_models
from medshare.assets import models as assets_models
from medshare.audit import models as audit_models
from medshare.care import models as care_models
from medshare.claims import models as claims_models
from medshare.demo import models as demo_models
from medshare.identity import models as identity_models
from medshare.pki import models as pki_models
from medshare.recognition import models as recognition_models
from medshare.records import models as records_models
from medshare.registry import models as registry_models
from medshare.risk import models as risk_models
from medshare.scheduling import models as scheduling_models
from medshare.supervision import models as supervision_models
from medshare.supplies import models as supplies_models
from medshare.transport import models as transport_models
from medshare.triage import models as triage_models

__all__ = [
           "accounts_models",
           "assets_models",
           "audit_models",
           "care_models",
           "demo_models",
           "identity_models",
           "records_models",
           "registry_models",
           "scheduling_models",
]
__all__ += ["pki_models", "recognition_models"]
__all__ += ["transport_models", "triage_models"]
__all__ += ["supplies_models"]
__all__ += ["claims_models", "risk_models"]
__all__ += ["supervision_models"]
