"""Calling the icsim executable from Python: find it, run a scenario, run a sweep, get a sweep's
design (`icsim sample`). Notebooks use these to make their own data."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
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
        raise _failed(command, done.returncode, done.stderr)
    return done.stdout


def _failed(command: list[str], code: int, message: str) -> RuntimeError:
    message = message.strip() or f"exit code {code}"
    if "already exists" in message and command[1:2] == ["sweep"]:
        message += " (icsim.run_sweep: resume=True or overwrite=True)"
    return RuntimeError(f"{' '.join(command)} failed ({code}):\n{message}")


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
              progress: bool = True, resume: bool = False, overwrite: bool = False,
              binary: str | None = None):
    """`icsim sweep SWEEP.toml -o OUTPUT`; returns the Sweep. In this process (icsim.sweep)
    when the compiled module is built and no binary is named.

    ``progress``: a progress bar of the runs saved (tqdm: a widget in a notebook with ipywidgets,
    else text). An existing ``output`` is an error unless ``resume`` (run only the runs the file
    lacks: re-running a notebook cell costs nothing once the sweep is complete; a changed sweep
    file is refused) or ``overwrite`` (start again)."""
    from . import _loader
    from .sweep import Sweep

    if resume and overwrite:
        raise ValueError("resume and overwrite exclude each other")
    if binary is None and _loader.available():
        from .model import sweep

        return sweep(sweep_file, output, threads=threads, progress=progress, resume=resume,
                     overwrite=overwrite)
    arguments = ["sweep", os.fspath(sweep_file), "-o", os.fspath(output)]
    if threads is not None:
        arguments += ["--threads", str(threads)]
    arguments += ["--resume"] * resume + ["--overwrite"] * overwrite
    if not progress:
        call(*arguments, "--quiet", binary=binary)
        return Sweep(output)
    command = [binary or find_binary(), *arguments]
    with SweepProgress(os.path.basename(os.fspath(output))) as bar:
        _follow(command, bar)
    return Sweep(output)


#: icsim sweep's lines: the plan ("... = 240 runs; 2 threads", or a shard's "...): 120 runs; ..."),
#: the progress log and the last line ("12/240 runs saved ...", "wrote OUT: 240/240 runs ...").
_PLANNED = re.compile(r"(?:= |\): )(\d+) runs; \d+ threads")
_SAVED = re.compile(r"(\d+)/(\d+) runs")


def _follow(command: list[str], bar: "SweepProgress") -> None:
    """Runs an `icsim sweep` command, feeding its progress lines to ``bar``; a failure raises with
    icsim's own message."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               bufsize=1)
    said = []
    assert process.stdout is not None
    for line in process.stdout:
        planned, saved = _PLANNED.search(line), _SAVED.search(line)
        if planned:
            bar.update(0, int(planned.group(1)))
        elif saved:
            bar.update(int(saved.group(1)), int(saved.group(2)))
        else:
            said.append(line.rstrip())
    if process.wait() != 0:
        raise _failed(command, process.returncode, "\n".join(said))


class SweepProgress:
    """A progress bar of a sweep's saved runs: tqdm (the notebook widget where ipywidgets is
    installed, else text on stderr), or plain lines without tqdm. ``update(saved, total)``."""

    def __init__(self, label: str):
        self.label, self.bar, self.shown = label, None, -1

    def __enter__(self) -> "SweepProgress":
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()

    def update(self, saved: int, total: int) -> None:
        if self.bar is None:
            self.bar = _progress_bar(total, self.label)
        if self.bar is None:  # no tqdm: a line at each change
            if saved != self.shown:
                print(f"{self.label}: {saved}/{total} runs saved", file=sys.stderr, flush=True)
                self.shown = saved
            return
        self.bar.total = total
        self.bar.n = saved
        self.bar.refresh()


def _progress_bar(total: int, label: str):
    try:
        from tqdm import std
    except ImportError:
        return None
    try:
        shell = type(get_ipython()).__name__  # type: ignore[name-defined]  # noqa: F821
    except NameError:
        shell = ""
    if shell == "ZMQInteractiveShell":
        try:
            import ipywidgets  # noqa: F401
            from tqdm import notebook

            return notebook.tqdm(total=total, desc=label, unit="run")
        except ImportError:
            pass
    return std.tqdm(total=total, desc=label, unit="run", file=sys.stderr, mininterval=0)


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
