"""Opening icsim HDF5 files: the checks every reader shares (is this an icsim output, of a schema
we understand?) and the conversion of HDF5 groups into pandas and xarray objects."""

from __future__ import annotations

import io
import os
import re
import tomllib
from typing import Iterable

import h5py
import numpy as np
import pandas as pd
import xarray as xr

#: Schema versions this package reads (the root attribute ``schema_version``).
SUPPORTED_SCHEMA_VERSIONS = (1, 2)


class IcsimFileError(ValueError):
    """The file is not an icsim output, or not the kind of icsim output asked for."""


class UnsupportedSchemaError(IcsimFileError):
    """The file is an icsim output written under a schema version this package does not know."""


class File(h5py.File):
    """An icsim file open for reading: an HDF5 error while it is read (a damaged chunk, a broken
    reference) comes out as one IcsimFileError line naming the file."""

    def __exit__(self, kind, value, traceback):
        path = self.filename if self.id.valid else "?"
        super().__exit__(kind, value, traceback)
        if isinstance(value, (OSError, RuntimeError)) and not isinstance(value, FileNotFoundError):
            raise IcsimFileError(f"{path}: damaged, cannot be read ({_reason(value)}); "
                                 "copy it again, or make it again with icsim") from value


def _reason(error: BaseException) -> str:
    """The first line of an HDF5 error, its byte counts in words."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    truncated = re.search(r"truncated file: eof = (\d+).*stored_eof = (\d+)", text)
    if truncated:
        have, want = (int(g) for g in truncated.groups())
        return f"truncated: {have:,} of its {want:,} bytes are there"
    return text


class FileImage(str):
    """An icsim file held in memory (icsim.Model's recording), used where a path is: its text
    names it, ``image`` holds its bytes."""

    def __new__(cls, name: str, image: bytes):
        named = super().__new__(cls, name)
        named.image = image
        return named


def open_h5(path: str | os.PathLike, expected_kind: str | None = None) -> h5py.File:
    """Opens ``path`` read-only after checking that it is an icsim output of a known schema
    (and of ``expected_kind``, "run" or "sweep", if given). The caller closes the file. A file
    that is missing, not HDF5, truncated or damaged raises one line naming it (IcsimFileError,
    or FileNotFoundError)."""
    if isinstance(path, FileImage):
        handle = h5py.File(io.BytesIO(path.image), "r")
        check_icsim(handle, path, expected_kind)
        return handle
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    if os.path.isdir(path):
        raise IcsimFileError(f"{path}: a directory, not an icsim output")
    if not h5py.is_hdf5(path):
        raise IcsimFileError(f"{path}: not an HDF5 file, so not an icsim output")
    try:
        handle = File(path, "r")
    except OSError as error:
        raise IcsimFileError(f"{path}: cannot be opened as HDF5 ({_reason(error)}); was it cut "
                             "short while being copied or written?") from None
    try:
        check_icsim(handle, path, expected_kind)
    except BaseException:
        handle.close()
        raise
    return handle


def check_icsim(handle: h5py.File, path: str, expected_kind: str | None = None) -> None:
    attrs = handle.attrs
    if attrs.get("tool") != "icsim" or "schema_version" not in attrs:
        raise IcsimFileError(
            f"{path}: an HDF5 file but not an icsim output (no root attributes tool='icsim' "
            "and schema_version)")
    version = int(attrs["schema_version"])
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        supported = ", ".join(str(v) for v in SUPPORTED_SCHEMA_VERSIONS)
        raise UnsupportedSchemaError(
            f"{path}: icsim schema version {version}, but this reader knows version(s) {supported}; "
            f"the file was written by icsim {attrs.get('version', '?')}: use the Python package "
            "of that version")
    kind = attrs.get("file_kind", "run")
    if expected_kind is not None and kind != expected_kind:
        opener = {"run": "icsim.open_run", "sweep": "icsim.open_sweep",
                  "calibration": "icsim.open_calibration"}.get(kind, "icsim.open")
        raise IcsimFileError(f"{path}: an icsim {kind} file, not a {expected_kind} file; open it with "
                             f"{opener}")


def file_kind(path: str | os.PathLike) -> str:
    with open_h5(path) as handle:
        return str(handle.attrs.get("file_kind", "run"))


def root_attributes(handle: h5py.File) -> dict:
    return {key: plain(value) for key, value in handle.attrs.items()}


def plain(value):
    """An HDF5 attribute or scalar as a plain Python value."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in "SO":
        return [plain(v) for v in value.tolist()]
    return value


def flatten_toml(text: str) -> dict:
    """A TOML document as {"section.key": value}; an unparsable text gives {}."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}
    flat: dict = {}

    def walk(prefix: str, table: dict) -> None:
        for key, value in table.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(name + ".", value)
            else:
                flat[name] = value

    walk("", document)
    return flat


def is_scale(dataset: h5py.Dataset) -> bool:
    return plain(dataset.attrs.get("CLASS", b"")) == "DIMENSION_SCALE"


def read_values(dataset: h5py.Dataset, selection=()) -> np.ndarray:
    """A dataset's values; strings as Python str, flags (units 'flag') as bool."""
    if h5py.check_string_dtype(dataset.dtype) is not None:
        values = dataset.asstr()[selection]
        return np.asarray(values, dtype=object)
    values = dataset[selection]
    fill = dataset.attrs.get("_FillValue")
    if fill is not None and values.dtype.kind in "iub":
        missing = values == np.asarray(fill).astype(values.dtype)
        if missing.any():  # a failed run's entries (netCDF convention): NaN, as xarray reads them
            values = values.astype(float)
            values[missing] = np.nan
            return values
    if plain(dataset.attrs.get("units", "")) == "flag" and values.dtype.kind in "iub":
        values = values.astype(bool)
    return values


#: Attributes that describe a dataset: its units and meaning; a metric's role (headline or
#: detail); a summary's metric, level and statistic.
DESCRIBING = ("units", "description", "role", "metric", "level", "statistic")


def describe_attrs(dataset: h5py.Dataset) -> dict:
    return {key: plain(dataset.attrs[key]) for key in DESCRIBING if key in dataset.attrs}


def dimension_names(dataset: h5py.Dataset, fallback: Iterable[str] = ()) -> list[str]:
    """The name of each dimension: the attached dimension scale's dataset name (as netCDF and
    h5netcdf read it), else the name in ``fallback``, else phony_dim_<i>."""
    fallback = list(fallback)
    names = []
    for axis in range(dataset.ndim):
        name = None
        try:
            scales = dataset.dims[axis]
            if len(scales) and scales[0].name:  # a broken reference has no name
                name = scales[0].name.rsplit("/", 1)[-1]
        except (KeyError, RuntimeError, ValueError):
            name = None
        if name is None:
            name = fallback[axis] if axis < len(fallback) else f"phony_dim_{axis}"
        names.append(name)
    return names


def read_table(group: h5py.Group) -> pd.DataFrame:
    """A static table (a group of 1-D datasets sharing one dimension scale) as a DataFrame
    indexed by that scale. Columns keep their units and descriptions in ``df.attrs``."""
    columns, meta, index, index_name = {}, {}, None, None
    for name, item in group.items():
        if not isinstance(item, h5py.Dataset) or item.ndim != 1:
            continue
        if is_scale(item):
            index, index_name = read_values(item), name
            continue
        columns[name] = read_values(item)
        meta[name] = describe_attrs(item)
    frame = pd.DataFrame(columns)
    if index is not None and len(index) == len(frame):
        frame.index = pd.Index(index, name=index_name)
    frame.attrs["columns"] = meta
    return frame


def read_series_group(group: h5py.Group, metrics: Iterable[str] | None = None,
                      fallback_dims: Iterable[str] = ()) -> xr.Dataset:
    """A time-series group (one dataset a metric, sharing dimension scales) as an xarray Dataset
    with labelled coordinates; ``metrics`` limits which metrics are read."""
    wanted = None if metrics is None else set(metrics)
    if wanted is not None:
        unknown = wanted - set(group.keys())
        if unknown:
            raise KeyError(f"no metric {', '.join(sorted(unknown))} in {group.name}; it has "
                           f"{', '.join(sorted(k for k in group.keys() if not is_scale(group[k])))}")
    coords, data = {}, {}
    for name, item in group.items():
        if not isinstance(item, h5py.Dataset):
            continue
        if is_scale(item):
            coords[name] = xr.Variable((name,), read_values(item), describe_attrs(item))
            continue
        if wanted is not None and name not in wanted:
            continue
        dims = dimension_names(item, fallback_dims)
        data[name] = xr.Variable(dims, read_values(item), describe_attrs(item))
    used = {d for v in data.values() for d in v.dims}
    coords = {k: v for k, v in coords.items() if k in used or not data}
    # A scale whose length differs from its dimension (a run cut short) is trimmed or dropped.
    sizes = {d: n for v in data.values() for d, n in zip(v.dims, v.shape)}
    for name in list(coords):
        if name in sizes and coords[name].shape[0] != sizes[name]:
            if coords[name].shape[0] > sizes[name]:
                coords[name] = coords[name][: sizes[name]]
            else:
                del coords[name]
    dataset = xr.Dataset(data, coords=coords)
    dataset.attrs["group"] = group.name
    return dataset
