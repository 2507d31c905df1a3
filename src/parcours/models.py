"""Imports every domain's models so that `Base.metadata` is complete (migrations, create_all in tests).

Discovery instead of a hand-kept list: every `parcours.<domain>.models` module is imported. A domain whose
tables live elsewhere imports them from its `models` module.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module

import parcours


def _import_all_models() -> list[str]:
    found = []
    for info in pkgutil.iter_modules(parcours.__path__):
        if info.ispkg:
            try:
                import_module(f"parcours.{info.name}.models")
            except ModuleNotFoundError as exc:
                if exc.name != f"parcours.{info.name}.models":
                    raise
                continue
            found.append(info.name)
    return found


DOMAINS_WITH_MODELS = _import_all_models()
