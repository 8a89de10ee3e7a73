"""The fault kinds, by name: one module per kind (or small family), each exporting `KINDS`.

Every module in this package is imported and registered when the package is: adding a fault kind is adding
a module (and its tests), nothing else. The registry is checked here, at import: each module exports at
least one kind, names are unique and well-formed, parameter models refuse unknown keys, only a kind that
targets nodes is GPU-only, and what a kind needs are capabilities (`faults.capabilities`).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable
from types import ModuleType

from faults.capabilities import CAPABILITIES
from faults.kind import Category, FaultKind

_NAME = re.compile(r"[a-z][a-z0-9_-]*")


def registry(modules: Iterable[ModuleType]) -> dict[str, FaultKind]:
    """The kinds the modules export, by name; ImportError where a module or a kind breaks the rules above."""
    kinds: dict[str, FaultKind] = {}
    for module in modules:
        exported = getattr(module, "KINDS", ())
        if not exported or not all(isinstance(kind, FaultKind) for kind in exported):
            raise ImportError(f"{module.__name__} must export KINDS, a tuple of FaultKind")
        for kind in exported:
            _check(kind, module.__name__)
            if kind.name in kinds:
                raise ImportError(f"fault kind {kind.name!r} is defined twice (again in {module.__name__})")
            kinds[kind.name] = kind
    return kinds


def _check(kind: FaultKind, module: str) -> None:
    where = f"fault kind {kind.name!r} ({module})"
    if not _NAME.fullmatch(kind.name):
        raise ImportError(f"{where}: names are lower-case letters, digits, '-' and '_'")
    if kind.params.model_config.get("extra") != "forbid":
        raise ImportError(f"{where}: its params model must forbid unknown keys (subclass FaultParams)")
    if kind.gpu_only and not kind.targeted:
        raise ImportError(f"{where}: only a kind that targets nodes can be GPU-only")
    if kind.may_target and kind.targeted:
        raise ImportError(f"{where}: may_target is for a kind with a subject (one that targets nodes must)")
    unknown = kind.needs - set(CAPABILITIES)
    if unknown:
        raise ImportError(f"{where}: needs {sorted(c.__name__ for c in unknown)}, not capabilities")


FAULT_KINDS: dict[str, FaultKind] = registry(
    importlib.import_module(f"{__name__}.{module.name}") for module in pkgutil.iter_modules(__path__)
)


def category_of(kind: object) -> Category | None:
    """The category of a kind named in a run's records; None for a name no kind has."""
    found = FAULT_KINDS.get(str(kind))
    return None if found is None else found.category


__all__ = ["FAULT_KINDS", "category_of", "registry"]
