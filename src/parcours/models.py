"""Imports every domain's models so that `Base.metadata` is complete (migrations, create_all in tests).

One line per domain that has tables; keep sorted.
"""

from parcours.audit import models as audit_models  # noqa: F401
from parcours.registry import models as registry_models  # noqa: F401
