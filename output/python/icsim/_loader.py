"""Finding the compiled module icsim._core: beside the package when installed (`cmake --install`),
else in the directory $ICSIM_CORE_DIR names, else in the newest build of the repository this
package sits in (build/<dir>/python/icsim, as for the icsim binary)."""

from __future__ import annotations

import os
from pathlib import Path

_BUILD_DIRS = ("release", "python", "debug", "relwithdebinfo", ".")
_PACKAGE = Path(__file__).resolve().parent
_core = None
_error: ImportError | None = None


def _candidates() -> list[Path]:
    explicit = os.environ.get("ICSIM_CORE_DIR")
    if explicit:
        return [Path(explicit)]
    if any(_PACKAGE.glob("_core.*")):
        return []
    built = [_PACKAGE.parents[2] / "build" / d / "python" / "icsim" for d in _BUILD_DIRS]
    built = [(max(p.stat().st_mtime for p in d.glob("_core.*")), d) for d in built
             if d.is_dir() and any(d.glob("_core.*"))]
    return [max(built)[1]] if built else []


def core():
    """The module icsim._core; ImportError (saying how to build it) when it is not built."""
    global _core, _error
    if _core is None and _error is None:
        import icsim

        for directory in _candidates():
            if str(directory) not in icsim.__path__:
                icsim.__path__.insert(0, str(directory))
        try:
            from . import _core as module
        except ImportError as error:
            _error = ImportError(
                f"icsim's compiled module is not built or not found ({error}): build it with "
                "`cmake --preset release && cmake --build --preset release` (needs pybind11-dev "
                "and python3-dev), or set ICSIM_CORE_DIR to the directory holding _core*.so")
        else:
            _core = module
    if _core is None:
        raise _error
    return _core


def available() -> bool:
    """Whether icsim._core can be imported."""
    try:
        core()
    except ImportError:
        return False
    return True
