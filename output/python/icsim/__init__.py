"""Reading and analysing icsim outputs (HDF5) in Python.

    import icsim
    run = icsim.open_run("run.h5")        # tables as DataFrames, time series as xarray
    run.system["mean_trust"]              # [year, system]
    sweep = icsim.open_sweep("sweep.h5")  # runs table, summaries, [run, year, ...] series
    sweep.sobol("final_mean_trust")       # Sobol indices with bootstrap intervals
    cal = icsim.open_calibration("post.h5")  # posterior, fit table, plots against the priors

With the compiled module (icsim._core) built, the model runs in this process:

    m = icsim.Model("england-2020", seed=7)   # m.step(), m.run(10), m.state("stake_fraction")
    m.metrics("system"); m.save("run.h5")     # labelled as the files are; the CLI's file
    icsim.sweep("sweep.toml", threads=2)      # a sweep with a progress bar; Ctrl-C resumable
    icsim.calibrate("cal.toml", "post.h5")    # a calibration; the opened posterior

`python3 -m icsim report FILE.h5 -o report.html` writes a one-page report of a run or sweep.
"""

from __future__ import annotations

import os

from . import plots, sensitivity
from .calibration import Calibration, open_calibration
from ._loader import available as core_available
from .binary import find_binary, run_sweep, sample_design, simulate, write_sweep_file
from .errors import ScenarioError
from .files import SUPPORTED_SCHEMA_VERSIONS, IcsimFileError, UnsupportedSchemaError, file_kind
from .model import Model, calibrate, sweep
from .run import Run
from .sweep import Sweep

__version__ = "0.1.0"

__all__ = [
    "open", "open_run", "open_sweep", "Run", "Sweep", "IcsimFileError", "UnsupportedSchemaError",
    "SUPPORTED_SCHEMA_VERSIONS", "find_binary", "simulate", "run_sweep", "sample_design",
    "write_sweep_file", "plots", "sensitivity", "Calibration", "open_calibration", "Model",
    "sweep", "calibrate", "ScenarioError", "core_available",
]


def open_run(path: str | os.PathLike) -> Run:
    """An icsim run file (`icsim run -o PATH`). Raises IcsimFileError if the file is not an icsim
    output or is a sweep, UnsupportedSchemaError if it has a schema version we do not know."""
    return Run(path)


def open_sweep(path: str | os.PathLike) -> Sweep:
    """An icsim sweep file (`icsim sweep SWEEP.toml -o PATH`, or `icsim merge`)."""
    return Sweep(path)


def open(path: str | os.PathLike) -> Run | Sweep | Calibration:  # noqa: A001 - the natural name
    """A run, sweep or calibration file, whichever ``path`` holds."""
    kind = file_kind(path)
    if kind == "calibration":
        return Calibration(path)
    return Sweep(path) if kind == "sweep" else Run(path)
