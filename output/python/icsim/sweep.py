"""A parameter sweep (`icsim sweep SWEEP.toml -o OUT.h5`): the runs table joined with each run's
varied parameters, per-run summaries, and time series with a leading run dimension."""

from __future__ import annotations

import functools
import os

import numpy as np
import pandas as pd
import xarray as xr

from . import files
from .output import Output

#: Columns of /runs that are not varied parameters.
RUN_COLUMNS = ("run", "point", "replication", "seed", "status", "message")
#: Status of a run that finished and was written (a failed run's status is "failed: <why>").
FINISHED = ("ok",)


class Sweep(Output):
    """An icsim sweep file. ``runs`` (one row a run: point, replication, seed, status and every
    varied parameter), ``summary`` (one column a summary metric), ``results`` (both joined),
    ``system`` and ``organisation`` time series (xarray, [run, year, entity], with the varied
    parameters as coordinates along run), ``sobol(metric)`` and ``morris(metric)``; the static
    tables and the base scenario as for a run."""

    kind = "sweep"

    def _opened(self, handle) -> None:
        self._levels = tuple(k for k in ("national", "system", "organisation")
                             if f"timeseries/{k}" in handle)
        if "runs" not in handle:
            raise files.IcsimFileError(f"{self.path}: an icsim sweep file without a /runs table")

    def __repr__(self) -> str:
        return (f"<icsim.Sweep {os.path.basename(self.path)}: {self.design} design, "
                f"{len(self.runs)} runs over {', '.join(self.varied) or 'no parameters'}>")

    # Provenance and design ----------------------------------------------------------------
    @property
    def design(self) -> str:
        return str(self.attrs.get("design", self.spec.get("design", "?")))

    @property
    def fingerprint(self) -> str:
        return str(self.attrs.get("fingerprint", ""))

    @property
    def sweep_text(self) -> str:
        """The sweep file (TOML) as written."""
        return str(self.attrs.get("sweep", ""))

    @functools.cached_property
    def spec(self) -> dict:
        """The sweep file parsed (TOML), or {} if the file does not hold it."""
        import tomllib

        try:
            return tomllib.loads(self.sweep_text)
        except tomllib.TOMLDecodeError:
            return {}

    @property
    def axes(self) -> dict:
        """Each varied parameter's axis as written in the sweep file: {min, max} or {values} or a
        list of values."""
        return dict(self.spec.get("axes", {}))

    @functools.cached_property
    def varied(self) -> list[str]:
        """The varied parameters, in the order of the runs table."""
        return [c for c in self.runs.columns if c not in RUN_COLUMNS]

    def bounds(self, parameter: str):
        """(low, high) of a numeric axis, or the list of levels of a categorical axis; from the
        sweep file, else from the values the runs took."""
        axis = self.axes.get(parameter)
        if isinstance(axis, dict) and "min" in axis and "max" in axis:
            return float(axis["min"]), float(axis["max"])
        if isinstance(axis, dict) and "values" in axis:
            axis = axis["values"]
        values = self.runs[parameter]
        if isinstance(axis, list):
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in axis):
                return float(min(axis)), float(max(axis))
            return list(axis)
        if values.dtype.kind in "iuf":
            return float(values.min()), float(values.max())
        return sorted(values.unique())

    # Tables -------------------------------------------------------------------------------
    @functools.cached_property
    def runs(self) -> pd.DataFrame:
        """One row a run (indexed by run): point, replication, seed, status, varied parameters."""
        with files.open_h5(self.path) as handle:
            group = handle["runs"]
            columns = {}

            def visit(name, item):
                if isinstance(item, files.h5py.Dataset) and item.ndim == 1:
                    columns[name.replace("/", ".")] = files.read_values(item)

            group.visititems(visit)
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:  # a sweep killed mid-row: keep the rows every column has
            n = min(lengths)
            columns = {k: v[:n] for k, v in columns.items()}
        frame = pd.DataFrame(columns)
        ordered = [c for c in RUN_COLUMNS if c in frame] + sorted(
            c for c in frame if c not in RUN_COLUMNS)
        frame = frame[ordered]
        if "run" in frame:
            frame = frame.set_index("run")
        frame.index.name = "run"
        return frame

    @property
    def finished(self) -> pd.Series:
        """True for runs that finished and were written."""
        status = self.runs.get("status")
        if status is None:
            return pd.Series(True, index=self.runs.index)
        return status.astype(str).str.lower().isin(FINISHED)

    @functools.cached_property
    def summary(self) -> pd.DataFrame:
        """One row a run, one column a summary metric (units and descriptions in .attrs)."""
        with files.open_h5(self.path) as handle:
            if "summary" not in handle:
                return pd.DataFrame(index=self.runs.index)
            group = handle["summary"]
            columns, meta = {}, {}
            for name, item in group.items():
                if isinstance(item, files.h5py.Dataset) and not files.is_scale(item) and item.ndim == 1:
                    columns[name] = files.read_values(item)
                    meta[name] = files.describe_attrs(item)
        n = min([len(self.runs)] + [len(v) for v in columns.values()])
        frame = pd.DataFrame({k: v[:n] for k, v in columns.items()}, index=self.runs.index[:n])
        frame.attrs["columns"] = meta
        return frame

    @property
    def results(self) -> pd.DataFrame:
        """The runs table joined with the summaries: the usual starting point of an analysis."""
        return self.runs.join(self.summary)

    def metrics(self) -> pd.DataFrame:
        rows = []
        with files.open_h5(self.path) as handle:
            for level in ("summary",) + tuple(f"timeseries/{lv}" for lv in self._levels):
                if level not in handle:
                    continue
                for name, item in handle[level].items():
                    if isinstance(item, files.h5py.Dataset) and not files.is_scale(item):
                        rows.append({"level": level.split("/")[-1], "metric": name,
                                     **files.describe_attrs(item)})
        return pd.DataFrame(rows).set_index(["level", "metric"])

    # Time series --------------------------------------------------------------------------
    def timeseries(self, level: str, metrics=None, finished_only: bool = True) -> xr.Dataset:
        """The recorded time series of one level as a Dataset [run, year, <level>] with each
        run's point, replication and varied parameters as coordinates along run."""
        if level not in self._levels:
            raise KeyError(f"{self.path}: no {level} time series recorded (record = "
                           f"{self.spec.get('record', '?')}); recorded: {', '.join(self._levels) or 'none'}")
        with files.open_h5(self.path) as handle:
            fallback = ("run", "year") + (() if level == "national" else (level,))
            dataset = files.read_series_group(handle[f"timeseries/{level}"], metrics, fallback)
        runs = self.runs
        n = dataset.sizes.get("run", 0)
        if "run" in dataset.coords:
            table = runs.reindex(dataset["run"].to_numpy())
        else:  # rows follow the runs table
            table = runs.iloc[:n]
            dataset = dataset.assign_coords(run=table.index.to_numpy())
        extra = {c: ("run", table[c].to_numpy()) for c in table.columns if c != "seed"}
        dataset = self._label(dataset.assign_coords(extra), level)
        if finished_only and "status" in table:
            keep = self.finished.reindex(dataset["run"].to_numpy()).fillna(False).to_numpy()
            dataset = dataset.isel(run=np.flatnonzero(keep))
        dataset.attrs.update(source=self.path, design=self.design)
        return dataset

    @functools.cached_property
    def system(self) -> xr.Dataset:
        return self.timeseries("system")

    @functools.cached_property
    def organisation(self) -> xr.Dataset:
        return self.timeseries("organisation")

    # Sensitivity --------------------------------------------------------------------------
    def points(self, metric: str, aggregate: str = "mean") -> pd.DataFrame:
        """One row a design point: its parameters and the metric aggregated over its finished
        replications (a sensitivity analysis works on these)."""
        results = self.results
        if metric not in results:
            raise KeyError(f"no summary metric {metric!r}; summaries are {', '.join(self.summary.columns)}")
        # Every point keeps its row (the design's layout depends on it); unfinished runs are NaN.
        results[metric] = results[metric].where(self.finished.reindex(results.index, fill_value=False))
        key = "point" if "point" in results else results.index
        grouped = results.groupby(key)
        frame = grouped[self.varied].first()
        frame[metric] = grouped[metric].agg(aggregate)
        frame["replications"] = grouped[metric].count()
        frame["within_variance"] = grouped[metric].var(ddof=1)  # between replications
        return frame

    def _complete_blocks(self, points: pd.DataFrame, size: int, what: str) -> pd.DataFrame:
        """The points of the design's blocks (a Saltelli base point's k + 2 points, a Morris
        trajectory's k + 1) that the file holds whole: a sweep cut short, or a shard, holds some
        blocks in part. icsim numbers a block's points consecutively."""
        if "point" not in self.runs:
            return points
        block = points.index.to_numpy() // size
        counts = pd.Series(block).value_counts()
        whole = set(counts.index[counts == size])
        expected = int(self.attrs.get("points", len(points))) // size
        if len(whole) < expected:
            import warnings

            warnings.warn(f"{self.path}: {len(whole)} of {expected} {what} are in the file whole "
                          "(the sweep is incomplete or a shard); the analysis uses those",
                          stacklevel=3)
        return points[np.isin(block, sorted(whole))]

    @staticmethod
    def _noise_share(points: pd.DataFrame, variance: float) -> float:
        """The share of the variance of the points' means that is noise between replications
        (the model is stochastic and each point has its own seeds): NaN without replications."""
        several = points["replications"] > 1
        if not several.any() or not variance:
            return float("nan")
        noise = np.nanmean(points.loc[several, "within_variance"] / points.loc[several, "replications"])
        return float(noise / variance)

    def sobol(self, metric: str, **options) -> pd.DataFrame:
        """First-order and total Sobol indices of a summary metric, each design point's value the
        mean over its replications (see icsim.sensitivity.sobol). ``attrs["noise_share"]``: the
        share of the variance that is noise between replications; every ST includes it, because
        A and AB_i runs have different seeds."""
        from . import sensitivity

        if self.design not in ("sobol", "saltelli", "?"):
            raise ValueError(f"Sobol indices need a sobol design; this sweep's design is {self.design}")
        points = self._complete_blocks(self.points(metric), len(self.varied) + 2, "base points")
        indices = sensitivity.sobol(points[self.varied], points[metric].to_numpy(), **options)
        indices.attrs["noise_share"] = self._noise_share(points, indices.attrs["variance"])
        indices.attrs["metric"] = metric
        return indices

    def morris(self, metric: str, **options) -> pd.DataFrame:
        """Morris elementary-effect statistics mu, mu*, sigma of a summary metric."""
        from . import sensitivity

        if self.design not in ("morris", "?"):
            raise ValueError(f"Morris statistics need a morris design; this sweep's design is {self.design}")
        points = self._complete_blocks(self.points(metric), len(self.varied) + 1, "trajectories")
        bounds = {p: self.bounds(p) for p in self.varied}
        statistics = sensitivity.morris(points[self.varied], points[metric].to_numpy(),
                                        bounds=bounds, **options)
        statistics.attrs["metric"] = metric
        return statistics
