"""The model driven from Python, a year at a time and without files: ``icsim.Model`` and the
in-process sweep ``icsim.sweep``, on the compiled module icsim._core (output/python/README.md).

    m = icsim.Model("england-2020", seed=7, threads=2, **{"policy.system_tied_share": 0.75})
    m.step()                          # one planning year
    m.state("stake_fraction")         # this year's column, a read-only view (no copy)
    m.set("policy.bailout", 500)      # from the next year on
    m.run(9, reporters={"deficits": lambda m: int((m.state("surplus") < 0).sum())})
    m.metrics("system")               # everything recorded, labelled as the files are
    m.save("run.h5")                  # the file `icsim run` writes for the same seed
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import xarray as xr

from . import _loader, files
from .binary import _setting, _toml
from .run import LEVELS, Run
from .sweep import Sweep

Reporter = Callable[["Model"], object]


class Model:
    """One run of the model, advanced by ``step()`` (a planning year) or ``run(years)``.

    ``scenario`` is a scenario file or a shipped scenario's name (default: the CLI's default);
    ``settings`` override registry parameters by name (``**{"policy.bailout": 500}``);
    ``seed`` and ``years`` are run.seed and run.years; ``model`` is a classic model
    ("public_goods", "threshold_cascade") instead of the health model. ``threads`` caps the
    threads the model uses (default: all cores); results do not depend on it. ``record=False``
    keeps no history, for speed (``metrics()`` then holds the reporters alone; ``save()`` has
    nothing to write). ``reporters``
    ({name: fn}) are called with the model after every step, as ``run(reporters=...)`` does.
    A bad scenario or setting raises ScenarioError with the message `icsim run` prints.

    The GIL is released while the model computes; Ctrl-C interrupts ``run`` between two years
    (KeyboardInterrupt), leaving the model at the end of the last year it completed.
    """

    def __init__(self, scenario: str | os.PathLike | None = None, *, seed: int | None = None,
                 years: int | None = None, threads: int | None = None, record: bool = True,
                 model: str | None = None, reporters: Mapping[str, Reporter] | None = None,
                 **settings):
        core = _loader.core()
        assignments = [] if model is None else [("model", f"model={_setting(model)}")]
        assignments += [("icsim.Model", f"{key}={_setting(value)}") for key, value in settings.items()]
        assignments += [(origin, f"run.{origin}={value}") for origin, value in
                        (("seed", seed), ("years", years)) if value is not None]
        arguments = [repr(os.fspath(scenario))] if scenario is not None else []
        arguments += [f"{k}={v!r}" for k, v in (("model", model), ("seed", seed), ("years", years),
                                                ("threads", threads)) if v is not None]
        arguments += [f"{k}={v!r}" for k, v in settings.items()]
        self._command_line = f"icsim.Model({', '.join(arguments)})"
        self._core = core.Model(os.fspath(scenario) if scenario is not None else "", assignments,
                                record, self._command_line, int(threads or 0))
        self._reporters = dict(reporters or {})
        self._reported: dict[str, tuple[str, dict]] = {}  # name -> (level, {time: value})
        self._output: Run | None = None
        self._output_key = None
        self._tables: Run | None = None

    def __repr__(self) -> str:
        try:
            year = self.year
        except RuntimeError:  # busy in another thread
            year = None
        where = f"year {year}" if year is not None else f"{self.steps} steps"
        return f"<icsim.Model {self._command_line}: {where}>"

    # Running ------------------------------------------------------------------------------
    @property
    def steps(self) -> int:
        """Planning years (or Monte Carlo steps, or cascade realisations) simulated so far."""
        return self._core.steps

    @property
    def year(self) -> int | None:
        """The calendar year that ``state()`` shows: the last year simulated (None before)."""
        return self._core.year

    @property
    def model(self) -> str:
        return self._core.model

    def step(self, reporters: Mapping[str, Reporter] | None = None) -> None:
        """Simulates one planning year, then calls the reporters."""
        self._advance(1, reporters)

    def run(self, years: int | None = None, reporters: Mapping[str, Reporter] | None = None):
        """Simulates ``years`` planning years (default: the rest of run.years, as `icsim run`
        does). With ``reporters`` ({name: fn}), calls fn(model) after every year and returns
        metrics(), where their values stand beside the built-in metrics; else returns None."""
        count = max(self._core.planned - self.steps, 0) if years is None else int(years)
        if count < 0:
            raise ValueError(f"years must be 0 or more, not {years}")
        self._advance(count, reporters)
        return self.metrics() if reporters else None

    def _advance(self, count: int, reporters) -> None:
        active = {**self._reporters, **(reporters or {})}
        if not active:
            self._core.run(count)
            return
        for _ in range(count):
            before = self.steps
            self._core.run(1)
            if self.steps == before:  # a classic model at its end
                break
            for name, reporter in active.items():
                self._report(name, reporter(self))

    def _report(self, name: str, value) -> None:
        level, _, bare = name.rpartition("/")
        if not level:
            level = self._level_of(np.asarray(value), name)
        known = self._reported.setdefault(bare, (level, {}))
        if known[0] != level:
            raise ValueError(f"reporter {bare!r} gave {level} values after {known[0]} values")
        known[1][self._time()] = np.array(value, copy=True)

    def _level_of(self, value: np.ndarray, name: str) -> str:
        if value.ndim == 0:
            return "national"
        sizes = {"organisation": len(self.organisations), "system": len(self.systems)}
        matches = [level for level, size in sizes.items() if value.shape == (size,)]
        if len(matches) != 1:
            raise ValueError(f"reporter {name!r} returned shape {value.shape}: expected a number, "
                             f"one value per organisation ({sizes['organisation']}) or per system "
                             f"({sizes['system']}); name it 'level/{name}' to say which")
        return matches[0]

    def _time(self):
        return self.year if self.year is not None else self.steps

    # State --------------------------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        """Names ``state()`` knows ("level/name"), from the metric registry."""
        return [f"{c.level}/{c.name}" for c in self._core.columns]

    def state(self, name: str, copy: bool = False):
        """The current year's values of a metric of the registry (``icsim describe --metrics``),
        one per organisation or system (a number for a national one). ``name`` alone means the
        finest level that has it; "system/support_paid" says which.

        Where the model keeps the column, the array is a read-only view of the model's memory
        (no copy) that keeps the model alive. It is valid until the next ``step()`` or ``run()``,
        which overwrite it in place: take ``copy=True`` to keep a year's values."""
        values = self._core.state(name)
        return np.array(values, copy=True) if copy and isinstance(values, np.ndarray) else values

    def set(self, name: str, value) -> None:
        """Changes a registry parameter from the next year on, as a policy change between years
        does (the file notes it in its root attribute ``changes``). Parameters read only when
        the world is built (population, finance, seed, initial state) cannot change mid-run."""
        self._core.set(f"{name}={_setting(value)}", "icsim.Model.set")
        self._output = None

    @property
    def changes(self) -> str:
        """Settings changed with set(): "<year>: <name> = <value>" a line."""
        return self._core.changes

    # Recorded output ----------------------------------------------------------------------
    @property
    def output(self) -> Run:
        """Everything recorded so far as an icsim.Run (the file held in memory): tables,
        ``timeseries(level)``, membership, parameters, provenance."""
        key = (self.steps, self.changes)
        if self._output is None or self._output_key != key:
            self._output = Run(files.FileImage(f"<{self._command_line}>", self._core.image()))
            self._output_key = key
        return self._output

    @property
    def _static(self) -> Run:
        if self._tables is None:
            self._tables = self.output
        return self._tables

    @property
    def organisations(self):
        """Organisations: one row each, the columns of /organisations in the file."""
        return self._static.organisations

    @property
    def systems(self):
        return self._static.systems

    @property
    def places(self):
        return self._static.places

    @property
    def edges(self):
        """The relationship graph: one row an edge (initial_trust: at the start of the run)."""
        return self._static.edges

    @property
    def collaboratives(self):
        return self._static.collaboratives

    @property
    def parameters(self):
        """Every registry parameter with its value at the start of the run."""
        return self._static.parameters

    def metrics(self, level: str | None = None) -> xr.Dataset:
        """Every metric recorded so far with the reporters' values, labelled as the file that
        ``save()`` writes is (coordinates, units, descriptions): one level ("organisation",
        "system", "national") as ``icsim.open_run(file).timeseries(level)`` reads it, or every
        level in one Dataset whose variables are named "level/metric" as in /timeseries. With
        record=False: the reporters' values alone."""
        if not self._core.record:
            return self._reported_only(level)
        output = self.output
        if level is not None:
            return self._with_reporters(output.timeseries(level), level)
        parts = []
        for name in self._levels(output):
            dataset = self._with_reporters(output.timeseries(name), name)
            dataset = dataset.drop_vars([c for c in dataset.coords if c not in dataset.dims])
            parts.append(dataset.rename({v: f"{name}/{v}" for v in dataset.data_vars}))
        merged = xr.merge(parts, combine_attrs="drop_conflicts")
        merged.attrs = dict(source=output.path, seed=output.seed,
                            scenario_source=output.scenario_source)
        return merged

    def _reported_only(self, level: str | None) -> xr.Dataset:
        """Without recording (record=False): the reporters' values alone."""
        times = sorted({t for _, values in self._reported.values() for t in values})
        time = "year" if self.year is not None else "step"
        parts = []
        for name in [level] if level else sorted({lv for lv, _ in self._reported.values()}):
            dataset = xr.Dataset(coords={time: np.asarray(times)})
            if name in ("organisation", "system"):
                table = self.organisations if name == "organisation" else self.systems
                dataset = dataset.assign_coords({name: table.index.to_numpy()})
            dataset = self._with_reporters(dataset, name)
            parts.append(dataset if level else
                         dataset.rename({v: f"{name}/{v}" for v in dataset.data_vars}))
        return xr.merge(parts) if parts else xr.Dataset()

    @staticmethod
    def _levels(output: Run) -> list[str]:
        with files.open_h5(output.path) as handle:
            present = list(handle["timeseries"].keys()) if "timeseries" in handle else []
        return [lv for lv in LEVELS if lv in present] + [lv for lv in present if lv not in LEVELS]

    def _with_reporters(self, dataset: xr.Dataset, level: str) -> xr.Dataset:
        first = next(iter(dataset.data_vars.values()), None)
        time = next(iter(d for d in ("year", "step") if d in dataset.dims),
                    first.dims[0] if first is not None else "year")
        for name, (reported_level, values) in self._reported.items():
            if reported_level != level:
                continue
            times = dataset[time].to_numpy() if time in dataset.coords else np.array(sorted(values))
            sample = next(iter(values.values()))
            column = np.full((len(times),) + sample.shape, np.nan)
            for row, t in enumerate(times):
                if t in values:
                    column[row] = values[t]
            dims = (time,) + ((level,) if sample.ndim else ())
            dataset[name] = xr.Variable(dims, column, {"units": "", "description": "reporter"})
        return dataset

    def save(self, path: str | os.PathLike) -> Path:
        """Writes everything recorded so far to ``path``: the file `icsim run` writes for the
        same scenario, settings and seed (apart from its creation time and command line)."""
        self._core.save(os.fspath(path))
        return Path(path)


# Sweeps -------------------------------------------------------------------------------------
def sweep(spec, output: str | os.PathLike | None = None, *, threads: int | None = None,
          progress=True, resume: bool = False, overwrite: bool = False,
          shard: str | None = None) -> Sweep:
    """Runs a sweep in this process (as `icsim sweep` does) and returns the opened Sweep.

    ``spec``: a sweep file, or its content as a dict ({"scenario": ..., "years": ...,
    "axes": {...}}). ``output`` defaults to the sweep file's name with .h5 in the working
    directory ("sweep.h5" for a dict). ``progress``: a progress bar (tqdm when installed, else a
    line of text), False for none, or a function called with (runs done, runs to do). Ctrl-C
    stops the sweep: runs under way finish and are saved, the file opens with every finished run
    and ``resume=True`` continues it. ``shard``: "I/N", as --shard."""
    core = _loader.core()
    if isinstance(spec, Mapping):
        settings = {k: v for k, v in spec.items() if k != "axes"}
        lines = [f"{key} = {_toml(value)}" for key, value in settings.items() if value is not None]
        lines += ["", "[axes]"] + [f"{_toml(str(k))} = {_toml(v)}" for k, v in spec.get("axes", {}).items()]
        path, text = Path("<sweep>"), "\n".join(lines) + "\n"
        output = Path(output) if output is not None else Path("sweep.h5")
    else:
        path, text = Path(spec), ""
        output = Path(output) if output is not None else Path(path.stem + ".h5")
    command = f"icsim.sweep({os.fspath(spec)!r}, {os.fspath(output)!r})" if text == "" else \
        f"icsim.sweep({{...}}, {os.fspath(output)!r})"
    job = core.SweepJob(path, text, output, int(threads or 0), resume, overwrite, shard or "",
                        command)
    bar = _Progress(progress)
    try:
        while not job.wait(0.2):
            bar.update(job.progress())
        job.result()
        bar.update(job.progress())
    except BaseException:
        job.stop()
        try:
            job.result()  # the runs under way finish and are saved
        finally:
            bar.close()
        raise
    bar.close()
    return Sweep(output)


def calibrate(path, output: str | os.PathLike | None = None, *, threads: int | None = None,
              progress=True, resume: bool = False, overwrite: bool = False):
    """Runs a calibration in this process (as `icsim calibrate` does) and returns the opened
    posterior (``icsim.Calibration``).

    ``path``: a calibration file (docs/calibration.md). ``output`` defaults to its name with
    .h5 in the working directory. ``progress``: True prints the calibration's progress lines
    (generation, tolerance, acceptance rate, ESS), False prints nothing, a function is called
    with each line. Ctrl-C stops it: runs under way finish and are committed to the working
    file, and ``resume=True`` continues from them to the same posterior."""
    from .calibration import Calibration
    core = _loader.core()
    path = Path(path)
    output = Path(output) if output is not None else Path(path.stem + ".h5")
    job = core.CalibrateJob(path, "", output, int(threads or 0), resume, overwrite,
                            f"icsim.calibrate({os.fspath(path)!r}, {os.fspath(output)!r})")
    show = progress if callable(progress) else (
        (lambda line: print(line, file=sys.stderr, flush=True)) if progress else None)

    def drain():
        for line in job.lines():
            if show is not None:
                show(line)
    try:
        while not job.wait(0.2):
            drain()
        drain()
        outcome = job.result()
    except BaseException:
        job.stop()
        try:
            job.result()  # the runs under way finish and are committed
        finally:
            drain()
        raise
    if outcome["stopped"]:
        raise KeyboardInterrupt("calibration stopped; resume=True continues it")
    return Calibration(output)


class _Progress:
    """Runs saved against runs to do, shown by tqdm (a notebook widget where ipywidgets is
    installed), by a text line, or given to a function."""

    def __init__(self, how):
        self._how, self._bar, self._last = how, None, None

    def update(self, progress: dict) -> None:
        total = int(progress["runs"]) - int(progress["resumed"])
        done = int(progress["ran"])
        if self._how is False or self._how is None or (done, total) == self._last:
            return
        self._last = (done, total)
        if callable(self._how):
            self._how(done, total)
            return
        if self._bar is None:
            self._bar = _make_bar(total)
        self._bar.total = total
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _make_bar(total: int):
    try:
        from tqdm.auto import tqdm

        return tqdm(total=total, unit="run", desc="icsim sweep")
    except ImportError:
        return _TextBar(total)


class _TextBar:
    """A one-line progress bar: redrawn in place on a terminal, or in a notebook's output."""

    def __init__(self, total: int):
        self.total, self.n, self._display = total, 0, None
        try:
            from IPython import get_ipython
            from IPython.display import display

            if get_ipython() is not None and "IPKernelApp" in get_ipython().config:
                self._display = display(self._line(), display_id=True)
        except ImportError:
            pass

    def _line(self) -> str:
        width = 30
        filled = width * self.n // self.total if self.total else width
        return f"icsim sweep [{'#' * filled}{'.' * (width - filled)}] {self.n}/{self.total} runs"

    def update(self, count: int) -> None:
        self.n += count
        if self._display is not None:
            self._display.update(self._line())
        else:
            print("\r" + self._line(), end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._display is None:
            print(file=sys.stderr)
