"""Imports every domain's tables so that Base.metadata is complete (migrations, tests)."""

from medshare.accounts import models as accounts_models
from medshare.assets import models as assets_models
from medshare.audit import models as audit_models
from medshare.demo import models as demo_models
from medshare.identity import models as identity_models
from medshare.registry import models as registry_models
from medshare.scheduling import models as scheduling_models

__all__ = ["accounts_models", "assets_models", "audit_models", "demo_models", "identity_models", "registry_models",
           "scheduling_models"]
