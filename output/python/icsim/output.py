"""What run and sweep files share: provenance, the resolved scenario, the parameter registry and
the static tables (organisations, systems, places, edges, collaboratives)."""

from __future__ import annotations

import functools
import os

import pandas as pd
import xarray as xr

from . import files


class Output:
    """An icsim output file of one kind ("run" or "sweep"). Everything is read on first use and
    cached; the file is not held open."""

    kind = ""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        with files.open_h5(self.path, expected_kind=self.kind) as handle:
            self.attrs = files.root_attributes(handle)
            self._groups = set(handle.keys())
            self._opened(handle)

    def _opened(self, handle) -> None:
        """Checks or notes what a subclass needs while the file is open."""

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
        """Who made this file, when, how: every root attribute but the long texts (the scenario,
        a sweep file), which are in ``attrs``."""
        return {k: v for k, v in self.attrs.items() if not (isinstance(v, str) and "\n" in v)}

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
        columns = ["parameter", "value", "unit", "allowed", "meaning"]
        return pd.DataFrame(rows, columns=columns).set_index("parameter")

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

    def _label(self, dataset: xr.Dataset, level: str) -> xr.Dataset:
        """Adds the entities' names (and kinds, systems or regions) as coordinates."""
        if level == "organisation" and "organisation" in dataset.coords and "organisations" in self._groups:
            orgs = self.organisations.reindex(dataset["organisation"].to_numpy())
            return dataset.assign_coords(name=("organisation", orgs["name"].to_numpy()),
                                         kind=("organisation", orgs["kind"].to_numpy()),
                                         system=("organisation", orgs["system_code"].to_numpy()))
        if level == "system" and "system" in dataset.coords and "systems" in self._groups:
            systems = self.systems.reindex(dataset["system"].to_numpy())
            return dataset.assign_coords(name=("system", systems["name"].to_numpy()),
                                         region=("system", systems["region"].to_numpy()))
        return dataset
