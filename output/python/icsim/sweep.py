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

    @property
    def common_seeds(self) -> bool:
        """Whether the points of a seed block share seeds (`common_seeds = true`)."""
        return bool(self.spec.get("common_seeds", False))

    def metrics(self) -> pd.DataFrame:
        """Every summary and series: group (level), name (metric), units, description, role
        (headline or detail); a summary also its statistic and the metric and level it summarises
        (of_metric, of_level)."""
        rows = []
        with files.open_h5(self.path) as handle:
            for level in ("summary",) + tuple(f"timeseries/{lv}" for lv in self._levels):
                if level not in handle:
                    continue
                for name, item in handle[level].items():
                    if isinstance(item, files.h5py.Dataset) and not files.is_scale(item):
                        attrs = files.describe_attrs(item)
                        of = {f"of_{k}": attrs.pop(k) for k in ("metric", "level") if k in attrs}
                        rows.append({"level": level.split("/")[-1], "metric": name, **attrs, **of})
        return pd.DataFrame(rows).set_index(["level", "metric"])

    @functools.cached_property
    def summary_info(self) -> pd.DataFrame:
        """One row a summary: units, description, role, and the metric, level and statistic it
        summarises (empty strings in a file written before icsim recorded them)."""
        info = pd.DataFrame.from_dict(self.summary.attrs.get("columns", {}), orient="index")
        info = info.reindex(self.summary.columns)
        for column in ("units", "description", "role", "metric", "level", "statistic"):
            if column not in info:
                info[column] = ""
        return info.fillna("")

    def headlines(self, statistic: str = "final_year") -> list[str]:
        """The summaries of the model's headline metrics (the role the metric registry gives them,
        recorded in the file), national ones first, then the system ones no national headline
        already covers; of one statistic ("final_year" or "run_mean"). A file without roles
        (icsim before they were recorded) gives every summary of that statistic."""
        info = self.summary_info
        numeric = [c for c in self.summary.columns if self.summary[c].dtype.kind in "iufb"]
        info = info.loc[[c for c in info.index if c in numeric]]
        if not (info["role"] != "").any():
            prefix = {"final_year": "final_", "run_mean": "mean_"}.get(statistic, "")
            return [c for c in info.index if c.startswith(prefix)]
        chosen = info[(info["role"] == "headline") & (info["statistic"] == statistic)]
        national = chosen[chosen["level"] == "national"]
        covered = set(national["metric"])
        others = chosen[(chosen["level"] != "national") & ~chosen["metric"].isin(covered)]
        return list(national.index) + list(others.index)

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

    # What the levers do -------------------------------------------------------------------
    def _finished_results(self) -> pd.DataFrame:
        results = self.results
        return results[self.finished.reindex(results.index, fill_value=False)]

    def effects(self, metric: str, confidence: float = 0.95) -> pd.DataFrame:
        """One row a design point: its parameters and the metric's mean over its finished runs,
        with their standard deviation, count and the confidence interval of the mean."""
        from . import effects

        self._summary_metric(metric)
        return effects.point_means(self._finished_results(), metric, self.varied, confidence)

    @property
    def base_values(self) -> dict:
        """The base scenario's value of each varied parameter (the sweep's scenario with [set])."""
        return {p: self.scenario[p] for p in self.varied if p in self.scenario}

    def baseline(self):
        """The design point where every varied parameter takes its base value, or None."""
        from . import effects

        points = self.runs.groupby("point", sort=True)[self.varied].first() if "point" in self.runs \
            else self.runs[self.varied]
        return effects.baseline_point(points, self.varied, self.base_values)

    def lever_effect(self, metric: str, parameter: str, confidence: float = 0.95,
                     bins: int = 6) -> pd.DataFrame:
        """The metric at each value of one varied parameter, with the confidence interval of its
        mean; the others at their base values where the design allows, else averaged over
        (``attrs["how"]`` says which). See icsim.effects.lever_effect."""
        from . import effects

        self._summary_metric(metric)
        if parameter not in self.varied:
            raise KeyError(f"{parameter!r} is not varied by this sweep; varied: {', '.join(self.varied)}")
        return effects.lever_effect(self._finished_results(), metric, parameter, self.varied,
                                    self.base_values, confidence, bins)

    def baseline_differences(self, metrics=None, baseline=None,
                             confidence: float = 0.95) -> pd.DataFrame:
        """Each design point's difference from the baseline point (default: the base scenario's
        point) in each metric (default: the headlines), with confidence intervals (paired over
        replications under common seeds)."""
        from . import effects

        baseline = self.baseline() if baseline is None else baseline
        if baseline is None:
            raise ValueError(f"{self.path}: no design point has every varied parameter at its base "
                             "value; pass baseline=<point>")
        metrics = list(metrics or self.headlines())
        for metric in metrics:
            self._summary_metric(metric)
        return effects.baseline_differences(self._finished_results(), metrics, self.varied, baseline,
                                            confidence, paired=self.common_seeds)

    # Sensitivity --------------------------------------------------------------------------
    def _summary_metric(self, metric: str) -> None:
        if metric not in self.summary:
            raise KeyError(f"no summary metric {metric!r}; summaries are {', '.join(self.summary.columns)}")

    def points(self, metric: str, aggregate: str = "mean") -> pd.DataFrame:
        """One row a design point: its parameters and the metric aggregated over its finished
        replications (a sensitivity analysis works on these)."""
        self._summary_metric(metric)
        results = self.results
        # Every point keeps its row (the design's layout depends on it); unfinished runs are NaN.
        results[metric] = results[metric].where(self.finished.reindex(results.index, fill_value=False))
        key = "point" if "point" in results else results.index
        grouped = results.groupby(key)
        frame = grouped[self.varied].first()
        frame[metric] = grouped[metric].agg(aggregate)
        frame["replications"] = grouped[metric].count()
        frame["within_variance"] = grouped[metric].var(ddof=1)  # between replications
        return frame

    def _design_runs(self, metric: str, size: int | None = None, what: str = ""):
        """(design, y): one row a run (point, replication and the varied parameters) and the
        metric, NaN for unfinished runs; with ``size``, only the design's blocks (a Saltelli base
        point's k + 2 points, a Morris trajectory's k + 1) that the file holds whole, since a
        sweep cut short, or a shard, holds some in part (icsim numbers a block's points
        consecutively)."""
        self._summary_metric(metric)
        results = self.results
        y = results[metric].where(self.finished.reindex(results.index, fill_value=False))
        columns = [c for c in ("point", "replication") if c in results] + self.varied
        design = results[columns]
        if size and "point" in design:
            block = design["point"].to_numpy() // size
            counts = design.groupby(block)["point"].nunique()
            whole = counts.index[counts == size]
            expected = int(self.attrs.get("points", design["point"].nunique())) // size
            if len(whole) < expected:
                import warnings

                warnings.warn(f"{self.path}: {len(whole)} of {expected} {what} are in the file whole "
                              "(the sweep is incomplete or a shard); the analysis uses those",
                              stacklevel=3)
            keep = np.isin(block, whole)
            design, y = design[keep], y[keep]
        return design, y.to_numpy(dtype=float)

    def complete_share(self) -> tuple[int, int]:
        """(runs finished in this file, runs of the whole sweep)."""
        total = int(self.attrs.get("runs_total", self.attrs.get("runs_expected", len(self.runs))))
        return int(self.finished.sum()), total

    def sobol(self, metric: str, **options) -> pd.DataFrame:
        """First-order and total Sobol indices of a summary metric, each design point's value the
        mean over its replications (see icsim.sensitivity.sobol). With replications,
        ``attrs["noise_share"]`` is the share of the variance that is noise between replications
        and the column ``ST_noise`` the part of each ST that is noise (small under common seeds,
        where a base point's A, B and AB_i runs share seeds)."""
        from . import sensitivity

        if self.design not in ("sobol", "saltelli", "?"):
            raise ValueError(f"Sobol indices need a sobol design; this sweep's design is {self.design}")
        design, y = self._design_runs(metric, len(self.varied) + 2, "base points")
        indices = sensitivity.sobol(design, y, **options)
        indices.attrs.update(metric=metric, common_seeds=self.common_seeds)
        return indices

    def sobol_convergence(self, metric: str, steps=None, **options) -> pd.DataFrame:
        """Sobol indices from the first n base points for growing n (icsim.sensitivity.
        sobol_convergence): do the indices still move with N?"""
        from . import sensitivity

        if self.design not in ("sobol", "saltelli", "?"):
            raise ValueError(f"Sobol indices need a sobol design; this sweep's design is {self.design}")
        design, y = self._design_runs(metric, len(self.varied) + 2, "base points")
        frame = sensitivity.sobol_convergence(design, y, steps, **options)
        frame.attrs["metric"] = metric
        return frame

    def morris(self, metric: str, **options) -> pd.DataFrame:
        """Morris elementary-effect statistics mu, mu*, sigma of a summary metric."""
        from . import sensitivity

        if self.design not in ("morris", "?"):
            raise ValueError(f"Morris statistics need a morris design; this sweep's design is {self.design}")
        design, y = self._design_runs(metric, len(self.varied) + 1, "trajectories")
        bounds = {p: self.bounds(p) for p in self.varied}
        statistics = sensitivity.morris(design, y, bounds=bounds, **options)
        statistics.attrs["metric"] = metric
        return statistics

    def prcc(self, metric: str, **options) -> pd.DataFrame:
        """Partial rank correlation of a summary metric with each numeric varied parameter, on any
        design (icsim.sensitivity.prcc), each point's value the mean over its replications."""
        from . import sensitivity

        frame = sensitivity.prcc(*self._design_runs(metric), **options)
        frame.attrs["metric"] = metric
        return frame

    def srrc(self, metric: str, **options) -> pd.DataFrame:
        """Standardised rank regression coefficients of a summary metric, on any design."""
        from . import sensitivity

        frame = sensitivity.srrc(*self._design_runs(metric), **options)
        frame.attrs["metric"] = metric
        return frame

    def feature_scores(self, metric: str, **options) -> pd.DataFrame:
        """Extra-trees feature scores of the varied parameters for a summary metric, on any
        design and parameter type (icsim.sensitivity.feature_scores)."""
        from . import sensitivity

        frame = sensitivity.feature_scores(*self._design_runs(metric), **options)
        frame.attrs["metric"] = metric
        return frame

    def sensitivity(self, metric: str, **options) -> pd.DataFrame:
        """The sensitivity analysis the design supports: Sobol indices for a sobol design,
        Morris statistics for a morris design, else PRCC."""
        if self.design == "sobol":
            return self.sobol(metric, **options)
        if self.design == "morris":
            return self.morris(metric, **options)
        return self.prcc(metric, **options)

    # Scenario discovery -------------------------------------------------------------------
    def _cases(self, metric: str, threshold: float, above: bool):
        design, y = self._design_runs(metric)
        from .sensitivity import design_points

        points, values = design_points(design, y)
        keep = np.isfinite(values)
        interesting = values >= threshold if above else values <= threshold
        return points[keep].reset_index(drop=True), interesting[keep]

    def prim(self, metric: str, threshold: float, above: bool = True, **options):
        """PRIM scenario discovery (icsim.discovery.prim) on the design points, a case of interest
        being a point whose mean ``metric`` is at least ``threshold`` (at most, with
        ``above=False``): which combinations of levers give it?"""
        from . import discovery

        x, y = self._cases(metric, threshold, above)
        result = discovery.prim(x, y, **options)
        result.attrs.update(metric=metric, threshold=threshold, above=above)
        return result

    def cart(self, metric: str, threshold: float, above: bool = True, **options):
        """The CART alternative (icsim.discovery.cart): a classification tree's leaves as boxes."""
        from . import discovery

        x, y = self._cases(metric, threshold, above)
        result = discovery.cart(x, y, **options)
        result.attrs.update(metric=metric, threshold=threshold, above=above)
        return result

    # Export -------------------------------------------------------------------------------
    def to_csv(self, directory: str | os.PathLike) -> list[str]:
        """Writes one tidy CSV per group into ``directory`` (see icsim.export)."""
        from . import export

        return export.write_csv(self, directory)
