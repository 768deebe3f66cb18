"""CSV export for R and spreadsheet users: one tidy CSV per group of an icsim file (one row an
observation, one column a variable), a sweep's varied parameters joined to every row of its runs.

    python3 -m icsim export FILE.h5 --csv DIR

writes into DIR: metrics.csv (every metric: level, units, description, role); the static tables
(organisations.csv, systems.csv, places.csv, edges.csv, collaboratives.csv); for a run
timeseries_national.csv [year], timeseries_system.csv [year, system],
timeseries_organisation.csv [year, organisation], membership.csv and parameters.csv; for a
sweep runs.csv, summary.csv [run] and timeseries_<level>.csv [run, year, ...] with each run's
point, replication and varied parameters."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from . import files

TABLES = ("organisations", "systems", "places", "edges", "collaboratives")
#: Entity labels kept beside the codes of a series (the rest are in the static tables).
LABELS = {"system": ["name"], "organisation": ["name", "kind", "system"]}


def _series(dataset, keys: list[str], joined: pd.DataFrame | None) -> pd.DataFrame:
    """A Dataset [..., year, entity] as a long table: one row per (run, year, entity)."""
    extra = [c for c in dataset.coords if c not in dataset.dims]
    frame = dataset.drop_vars(extra).to_dataframe().reset_index()
    labels = [c for c in extra if dataset[c].dims and dataset[c].dims[0] != "run"]
    for name in labels:
        dimension = dataset[name].dims[0]
        values = pd.DataFrame({dimension: dataset[dimension].to_numpy(),
                               name: dataset[name].to_numpy()})
        frame = frame.merge(values, on=dimension, how="left")
    if joined is not None:
        frame = frame.merge(joined, left_on="run", right_index=True, how="left")
    order = keys + labels + (list(joined.columns) if joined is not None else [])
    order = [c for c in dict.fromkeys(order) if c in frame]
    return frame[order + [c for c in frame.columns if c not in order]]


def write_csv(output, directory: str | os.PathLike) -> list[str]:
    """Writes the CSV files of a Run or Sweep into ``directory`` (made if missing); returns their
    paths."""
    from .sweep import Sweep

    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise files.IcsimFileError(f"{folder}: exists and is not a directory")
    folder.mkdir(parents=True, exist_ok=True)
    written: list[str] = []

    def save(frame: pd.DataFrame, name: str, index: bool = False) -> None:
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=index)
        written.append(str(path))

    save(output.metrics().reset_index(), "metrics")
    with files.open_h5(output.path) as handle:
        present = [t for t in TABLES if t in handle]
    for table in present:
        save(getattr(output, table), table, index=True)
    if isinstance(output, Sweep):
        runs = output.runs
        save(runs, "runs", index=True)
        joined = runs.drop(columns=[c for c in ("message",) if c in runs])
        save(joined.join(output.summary), "summary", index=True)
        for level in output._levels:
            data = output.timeseries(level, finished_only=False)
            keys = ["run", "year"] + ([] if level == "national" else [level])
            save(_series(data.drop_vars([c for c in data.coords if c in joined.columns or c in
                                         ("point", "replication", "status", "message")]), keys,
                         joined), f"timeseries_{level}")
        return written
    for level in ("national", "system", "organisation"):
        data = output.timeseries(level)
        keys = ["year"] + ([] if level == "national" else [level])
        save(_series(data, keys, None), f"timeseries_{level}")
    save(output.membership, "membership")
    save(output.parameters, "parameters", index=True)
    return written
