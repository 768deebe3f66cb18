"""Calling the icsim executable from Python: find it, run a scenario, run a sweep, get a sweep's
design (`icsim sample`). Notebooks use these to make their own data."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Mapping

import pandas as pd

#: Build directories searched (newest binary wins) when ICSIM_BINARY is not set.
BUILD_DIRS = ("release", "python", "debug", "relwithdebinfo", ".")


def find_binary() -> str:
    """The icsim executable: $ICSIM_BINARY, else the newest build/<dir>/icsim of the repository
    this package sits in, else `icsim` on PATH."""
    explicit = os.environ.get("ICSIM_BINARY")
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise FileNotFoundError(f"ICSIM_BINARY={explicit} is not an executable file")
        return explicit
    repository = Path(__file__).resolve().parents[3]
    built = [repository / "build" / d / "icsim" for d in BUILD_DIRS]
    built = [p for p in built if p.is_file() and os.access(p, os.X_OK)]
    if built:
        return str(max(built, key=lambda p: p.stat().st_mtime))
    on_path = shutil.which("icsim")
    if on_path:
        return on_path
    raise FileNotFoundError("cannot find the icsim executable: build it (cmake --preset release && "
                            "cmake --build --preset release) or set ICSIM_BINARY")


def call(*arguments: str, binary: str | None = None, timeout: float | None = None) -> str:
    """Runs `icsim ARGUMENTS...` and returns its standard output; a failure raises with its
    standard error."""
    command = [binary or find_binary(), *map(str, arguments)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr.strip()}")
    return done.stdout


def simulate(output: str | os.PathLike, scenario: str | None = None,
             settings: Mapping[str, object] | None = None, seed: int | None = None,
             years: int | None = None, threads: int | None = None, binary: str | None = None):
    """`icsim run [SCENARIO] -o OUTPUT [--set k=v]... [--seed] [--years]`; returns the Run."""
    from .run import Run

    arguments = ["run"] + ([scenario] if scenario else []) + ["-o", os.fspath(output)]
    for key, value in (settings or {}).items():
        arguments += ["--set", f"{key}={_setting(value)}"]
    for flag, value in (("--seed", seed), ("--years", years), ("--threads", threads)):
        if value is not None:
            arguments += [flag, str(value)]
    call(*arguments, binary=binary)
    return Run(output)


def run_sweep(sweep_file: str | os.PathLike, output: str | os.PathLike, threads: int | None = None,
              quiet: bool = True, binary: str | None = None):
    """`icsim sweep SWEEP.toml -o OUTPUT`; returns the Sweep. In this process (icsim.sweep)
    when the compiled module is built and no binary is named."""
    from . import _loader
    from .sweep import Sweep

    if binary is None and _loader.available():
        from .model import sweep

        return sweep(sweep_file, output, threads=threads, progress=not quiet)

    arguments = ["sweep", os.fspath(sweep_file), "-o", os.fspath(output)]
    if threads is not None:
        arguments += ["--threads", str(threads)]
    if quiet:
        arguments.append("--quiet")
    call(*arguments, binary=binary)
    return Sweep(output)


def sample_design(sweep_file: str | os.PathLike, binary: str | None = None) -> pd.DataFrame:
    """`icsim sample SWEEP.toml`: the sweep's design, one row a run."""
    return pd.read_csv(io.StringIO(call("sample", os.fspath(sweep_file), binary=binary)))


def write_sweep_file(path: str | os.PathLike, axes: Mapping[str, object], **settings) -> Path:
    """Writes a sweep file: top-level settings (scenario, years, replications, seed, design,
    samples, record, ...) and the [axes] table ({"policy.x": {"min": 0, "max": 1}} or
    {"policy.y": ["a", "b"]} or {"policy.z": {"values": [...]}})."""
    lines = [f"{key} = {_toml(value)}" for key, value in settings.items() if value is not None]
    lines.append("")
    lines.append("[axes]")
    lines += [f"{_toml(str(name))} = {_toml(axis)}" for name, axis in axes.items()]
    path = Path(path)
    path.write_text("\n".join(lines) + "\n")
    return path


def _setting(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")
