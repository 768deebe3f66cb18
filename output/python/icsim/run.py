"""One simulated run (`icsim run -o RUN.h5`): provenance, static tables as pandas DataFrames and
time series as xarray Datasets labelled by year, organisation code and system code."""

from __future__ import annotations

import functools
import os

import numpy as np
import pandas as pd
import xarray as xr

from . import files
from .output import Output

LEVELS = ("organisation", "system", "national")


class Run(Output):
    """An icsim run file. Everything is read on first use and cached; the file is not held open.

    Tables: ``organisations``, ``systems``, ``places``, ``edges``, ``collaboratives``,
    ``membership``, ``parameters``. Time series: ``organisation``, ``system``, ``national``
    (xarray Datasets), or ``timeseries(level, metrics)`` for a subset.
    """

    kind = "run"

    def __repr__(self) -> str:
        return (f"<icsim.Run {os.path.basename(self.path)}: {self.scenario_source}, seed {self.seed}, "
                f"{len(self.years)} years, icsim {self.version}>")

    @functools.cached_property
    def membership(self) -> pd.DataFrame:
        """Collaborative membership: one row per (year, collaborative, member organisation)."""
        with files.open_h5(self.path) as handle:
            group = handle["collaboratives/membership"]
            frame = pd.DataFrame({k: files.read_values(group[k])
                                  for k in ("year", "collaborative", "organisation")})
        frame = frame.rename(columns={"collaborative": "collaborative_index",
                                      "organisation": "organisation_index"})
        frame["collaborative"] = self.collaboratives.index.to_numpy()[frame["collaborative_index"]]
        frame["organisation"] = self.organisations.index.to_numpy()[frame["organisation_index"]]
        return frame

    # Time series --------------------------------------------------------------------------
    def timeseries(self, level: str, metrics=None) -> xr.Dataset:
        """The metrics of one level ("organisation", "system" or "national") as a Dataset
        [year] or [year, <level>], with the entities' names, kinds and systems as coordinates;
        "edge": trust on each edge by year, where the run recorded it (run.record_edge_trust)."""
        if level not in LEVELS + ("edge",):
            raise ValueError(f"level must be one of {', '.join(LEVELS)} or edge, not {level!r}")
        with files.open_h5(self.path) as handle:
            if f"timeseries/{level}" not in handle:
                raise files.IcsimFileError(f"{self.path}: no /timeseries/{level} (edge trust is "
                                           "recorded by runs with run.record_edge_trust = true)")
            dataset = files.read_series_group(handle[f"timeseries/{level}"], metrics,
                                              ("year", level))
        if level != "edge":
            dataset = self._label(dataset, level)
        dataset.attrs.update(source=self.path, seed=self.seed, scenario_source=self.scenario_source)
        return dataset

    @functools.cached_property
    def organisation(self) -> xr.Dataset:
        return self.timeseries("organisation")

    @functools.cached_property
    def system(self) -> xr.Dataset:
        return self.timeseries("system")

    @functools.cached_property
    def national(self) -> xr.Dataset:
        return self.timeseries("national")

    @property
    def years(self) -> np.ndarray:
        return self.national["year"].to_numpy()

    def metrics(self) -> pd.DataFrame:
        """Every recorded metric: level, name, units, description."""
        rows = []
        with files.open_h5(self.path) as handle:
            for level in LEVELS:
                for name, item in handle[f"timeseries/{level}"].items():
                    if not files.is_scale(item):
                        rows.append({"level": level, "metric": name, **files.describe_attrs(item)})
        return pd.DataFrame(rows).set_index(["level", "metric"])

    def to_csv(self, directory: str | os.PathLike) -> list[str]:
        """Writes one tidy CSV per group into ``directory`` (see icsim.export)."""
        from . import export

        return export.write_csv(self, directory)

    def edge_trust(self, year=None) -> pd.Series:
        """Trust on each edge: in ``year`` if the file records edge trust over time
        (/timeseries/edge/trust), else at the start of the run (/edges/initial_trust)."""
        with files.open_h5(self.path) as handle:
            if year is not None and "timeseries/edge/trust" in handle:
                series = files.read_series_group(handle["timeseries/edge"], ["trust"], ("year", "edge"))
                values = series["trust"].sel(year=year).to_numpy()
                return pd.Series(values, index=self.edges.index, name=f"trust {year}")
        return self.edges["initial_trust"].rename("initial trust")

    def graph(self, system: str, year=None):
        """The relationship graph inside one system (code or name): its organisations and the
        edges between them, as (nodes DataFrame, edges DataFrame with a ``trust`` column)."""
        code = self.system_code(system)
        orgs = self.organisations
        nodes = orgs[orgs["system_code"] == code]
        edges = self.edges.copy()
        edges["trust"] = self.edge_trust(year).to_numpy()
        inside = (edges["source_system"] == code) & (edges["target_system"] == code)
        return nodes, edges[inside]
