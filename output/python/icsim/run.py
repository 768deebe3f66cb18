"""One simulated run (`icsim run -o RUN.h5`): provenance, static tables as pandas DataFrames and
time series as xarray Datasets labelled by year, organisation code and system code."""

from __future__ import annotations

import functools
import os

import numpy as np
import pandas as pd
import xarray as xr

from . import files

LEVELS = ("organisation", "system", "national")


class Run:
    """An icsim run file. Everything is read on first use and cached; the file is not held open.

    Tables: ``organisations``, ``systems``, ``places``, ``edges``, ``collaboratives``,
    ``membership``, ``parameters``. Time series: ``organisation``, ``system``, ``national``
    (xarray Datasets), or ``timeseries(level, metrics)`` for a subset.
    """

    kind = "run"

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        with files.open_h5(self.path, expected_kind="run") as handle:
            self.attrs = files.root_attributes(handle)
            self._groups = set(handle.keys())

    def __repr__(self) -> str:
        return (f"<icsim.Run {os.path.basename(self.path)}: {self.scenario_source}, seed {self.seed}, "
                f"{len(self.years)} years, icsim {self.version}>")

    # Provenance ---------------------------------------------------------------------------
    @property
    def version(self) -> str:
        return self.attrs.get("version", "?")

    @property
    def schema_version(self) -> int:
        return int(self.attrs["schema_version"])

    @property
    def seed(self) -> int:
        return int(self.attrs.get("seed", -1))

    @property
    def scenario_text(self) -> str:
        """The full resolved scenario (TOML) the run simulated."""
        return self.attrs.get("scenario", "")

    @property
    def scenario_source(self) -> str:
        return self.attrs.get("scenario_source", "")

    @property
    def provenance(self) -> dict:
        """Who made this file, when, how: every root attribute but the long scenario text."""
        return {k: v for k, v in self.attrs.items() if k != "scenario"}

    @functools.cached_property
    def scenario(self) -> dict:
        """The resolved scenario as {"section.key": value}."""
        return files.flatten_toml(self.scenario_text)

    @functools.cached_property
    def parameters(self) -> pd.DataFrame:
        """Every registry parameter: its value in this run, unit, allowed values and meaning."""
        with files.open_h5(self.path) as handle:
            registry = {k: files.plain(v) for k, v in handle["parameters"].attrs.items()
                        if k != "description"} if "parameters" in handle else {}
        rows = []
        for name in sorted(set(registry) | set(self.scenario)):
            unit, allowed, meaning = (registry.get(name, "").split(" | ", 2) + ["", "", ""])[:3]
            rows.append({"parameter": name, "value": self.scenario.get(name), "unit": unit,
                         "allowed": allowed, "meaning": meaning})
        return pd.DataFrame(rows).set_index("parameter")

    # Static tables ------------------------------------------------------------------------
    def table(self, name: str) -> pd.DataFrame:
        """Any static table by its group name (organisations, systems, places, edges, ...)."""
        with files.open_h5(self.path) as handle:
            if name not in handle:
                raise KeyError(f"{self.path}: no table /{name}")
            return files.read_table(handle[name])

    @functools.cached_property
    def organisations(self) -> pd.DataFrame:
        return self.table("organisations")

    @functools.cached_property
    def systems(self) -> pd.DataFrame:
        return self.table("systems")

    @functools.cached_property
    def places(self) -> pd.DataFrame:
        return self.table("places")

    @functools.cached_property
    def edges(self) -> pd.DataFrame:
        """The relationship graph: one row an edge, with both ends' codes and systems added."""
        edges = self.table("edges")
        edges.index = edges.index.astype(int)
        codes = self.organisations.index.to_numpy()
        system = self.organisations["system_code"].to_numpy()
        edges["source_code"] = codes[edges["source"].to_numpy()]
        edges["target_code"] = codes[edges["target"].to_numpy()]
        edges["source_system"] = system[edges["source"].to_numpy()]
        edges["target_system"] = system[edges["target"].to_numpy()]
        return edges

    @functools.cached_property
    def collaboratives(self) -> pd.DataFrame:
        table = self.table("collaboratives")
        codes = self.systems.index.to_numpy()
        table["system_code"] = [codes[s] if s >= 0 else "" for s in table["system"]]
        return table

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
        [year] or [year, <level>], with the entities' names, kinds and systems as coordinates."""
        if level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        with files.open_h5(self.path) as handle:
            dataset = files.read_series_group(handle[f"timeseries/{level}"], metrics,
                                              ("year", level))
        if level == "organisation":
            orgs = self.organisations.reindex(dataset["organisation"].to_numpy())
            dataset = dataset.assign_coords(
                name=("organisation", orgs["name"].to_numpy()),
                kind=("organisation", orgs["kind"].to_numpy()),
                system=("organisation", orgs["system_code"].to_numpy()))
        elif level == "system":
            systems = self.systems.reindex(dataset["system"].to_numpy())
            dataset = dataset.assign_coords(name=("system", systems["name"].to_numpy()),
                                            region=("system", systems["region"].to_numpy()))
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

    def system_code(self, system: str) -> str:
        systems = self.systems
        if system in systems.index:
            return system
        match = systems.index[systems["name"].str.lower() == str(system).lower()]
        if len(match) == 0:
            match = systems.index[systems["name"].str.lower().str.contains(str(system).lower(),
                                                                           regex=False)]
        if len(match) != 1:
            raise KeyError(f"no single system matches {system!r}; systems are "
                           f"{', '.join(systems.index[:5])}, ... (see run.systems)")
        return match[0]
