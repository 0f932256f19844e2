"""`daft` resolves to ketch: the import hook the conformance run installs.

Daft's own tests (``../shared/daft-tests``, tag v0.7.24) import ``daft`` and
its submodules. This pytest plugin (``-p shim``, loaded before any conftest)
puts a finder first on ``sys.meta_path`` so that

- ``daft`` *is* the ``ketch`` module, and ``daft.X.Y`` is ``ketch.X.Y``
  where ketch has that module (the same module object, so ``isinstance`` and
  monkeypatching behave as for Daft's users);
- a Daft-internal module ketch has no equivalent of (``daft.recordbatch``,
  ``daft.daft``, ``daft.dependencies`` ...) comes from ``compat/daft/``: small
  adapters over ketch's public API that the tests use to build expected
  values, never part of the package;
- anything else raises ``ModuleNotFoundError``, and the test file that needs
  it is an expected failure with that reason.

A real ``daft`` installed in the same environment is never imported.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from pathlib import Path

COMPAT = Path(__file__).parent / "compat"


class _Alias(importlib.abc.Loader):
    """Loads ``daft.X`` as the already-imported ``ketch.X``."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        if not hasattr(module, "__path__"):
            # Lets compat modules live "under" a ketch module (daft.expressions.testing).
            module.__path__ = []
        self.spec = module.__spec__
        return module

    def exec_module(self, module) -> None:
        module.__spec__ = self.spec  # importlib stamped daft's spec on it


def _compat(fullname: str) -> Path | None:
    """The compat module for ``fullname`` (``daft.x.y``), if the shim has one."""
    parts = fullname.split(".")
    for candidate in (COMPAT.joinpath(*parts, "__init__.py"), COMPAT.joinpath(*parts[:-1], parts[-1] + ".py")):
        if candidate.is_file():
            return candidate
    return None


class DaftToKetch(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname != "daft" and not fullname.startswith("daft."):
            return None
        candidate = _compat(fullname)
        if candidate is not None:
            is_package = candidate.name == "__init__.py"
            return importlib.util.spec_from_file_location(
                fullname,
                candidate,
                submodule_search_locations=[str(candidate.parent)] if is_package else None,
            )
        target_name = "ketch" + fullname[len("daft") :]
        try:
            found = importlib.util.find_spec(target_name)
        except ModuleNotFoundError:
            found = None
        if found is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(target_name), is_package=True)


def install() -> None:
    if not any(isinstance(f, DaftToKetch) for f in sys.meta_path):
        sys.meta_path.insert(0, DaftToKetch())
    for name in [n for n in sys.modules if n == "daft" or n.startswith("daft.")]:
        del sys.modules[name]
    # ketch's submodules already loaded are daft's under the same name. Loading
    # them through the finder instead would set `daft.sql` (the function) to
    # the module ketch.sql, as importing a submodule sets its parent's attribute.
    importlib.import_module("ketch")
    for name, module in list(sys.modules.items()):
        alias = "daft" + name[len("ketch") :]
        if (name == "ketch" or name.startswith("ketch.")) and _compat(alias) is None:
            if not hasattr(module, "__path__"):
                module.__path__ = []  # compat modules may live under it
            sys.modules.setdefault(alias, module)


install()
