"""icsim.open_run on a real run file, the file read by xarray alone (h5netcdf), and clear errors
for files that are not icsim outputs."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from conftest import REPOSITORY

import icsim


def test_provenance(run, run_file):
    assert run.attrs["tool"] == "icsim"
    assert run.schema_version == 2
    assert run.seed == 7
    assert "icsim run" in run.provenance["command_line"]
    assert run.scenario["run.years"] == 6
    assert run.scenario["run.seed"] == 7
    assert "policy.system_tied_share" in run.parameters.index
    assert run.parameters.loc["policy.system_tied_share", "unit"] == "fraction"
    assert "icsim.Run" in repr(run)


def test_static_tables(run):
    orgs, systems, edges = run.organisations, run.systems, run.edges
    assert orgs.index.name == "organisation" and orgs.index.is_unique
    assert {"name", "kind", "system", "system_code", "base_cost", "margin"} <= set(orgs.columns)
    assert 40 <= len(systems) <= 44  # England's systems
    assert set(orgs["system_code"]) <= set(systems.index)
    assert (systems["members"].sum()) == len(orgs)
    assert edges["source"].max() < len(orgs) and edges["target"].max() < len(orgs)
    assert edges["initial_trust"].between(0, 1).all()
    assert orgs.attrs["columns"]["base_cost"]["units"].startswith("GBP")
    members = run.membership
    assert set(members["organisation"]) <= set(orgs.index)
    assert set(members["collaborative"]) <= set(run.collaboratives.index)
    assert set(members["year"]) <= set(run.years)


def test_timeseries_are_labelled(run):
    system = run.system
    assert system["mean_trust"].dims == ("year", "system")
    assert list(system["year"].values) == list(range(int(system["year"][0]), int(system["year"][0]) + 6))
    assert list(system["system"].values) == list(run.systems.index)
    assert system["mean_trust"].attrs["units"] == "0-1"
    assert system["met_control_total"].dtype == bool  # flags come back as booleans
    dorset = run.system_code("Dorset")
    assert system["name"].sel(system=dorset).item() == "Dorset"
    orgs = run.organisation
    assert orgs["surplus"].dims == ("year", "organisation")
    acute = orgs["surplus"].where(orgs["kind"] == "acute", drop=True)
    assert acute.sizes["organisation"] == (run.organisations["kind"] == "acute").sum()
    national = run.national
    assert national["systems_met"].dims == ("year",)
    # The national count agrees with the system series it summarises.
    np.testing.assert_array_equal(national["systems_met"].values,
                                  system["met_control_total"].sum("system").values)
    subset = run.timeseries("system", ["surplus"])
    assert list(subset.data_vars) == ["surplus"]
    with pytest.raises(KeyError, match="no metric"):
        run.timeseries("system", ["no_such_metric"])
    metrics = run.metrics()
    assert ("system", "mean_trust") in metrics.index


def test_xarray_alone_opens_the_groups(run_file, run):
    """The file is enough without our package: HDF5 dimension scales label the arrays."""
    for group, dims in (("timeseries/system", ("year", "system")),
                        ("timeseries/organisation", ("year", "organisation")),
                        ("timeseries/national", ("year",))):
        with xr.open_dataset(run_file, engine="h5netcdf", group=group) as ds:
            metric = next(iter(ds.data_vars))
            assert ds[metric].dims == dims, group
            assert ds[metric].attrs["units"] and ds[metric].attrs["description"]
            assert ds["year"].values[0] == run.years[0]
    with xr.open_dataset(run_file, engine="h5netcdf", group="timeseries/system") as ds:
        np.testing.assert_array_equal(ds["system"].values.astype(str), run.systems.index.values)
        xr.testing.assert_allclose(ds["mean_trust"].load(), run.system["mean_trust"].drop_vars(
            ["name", "region"]))
    for group in ("organisations", "systems", "places", "edges", "collaboratives",
                  "collaboratives/candidate_table", "collaboratives/membership"):
        with xr.open_dataset(run_file, engine="h5netcdf", group=group) as ds:
            assert len(ds.dims) == 1, group
    with xr.open_dataset(run_file, engine="h5netcdf", group="collaboratives/membership") as ds:
        assert len(ds["membership"]) == len(run.membership)
        np.testing.assert_array_equal(ds["year"].values, run.membership["year"].values)


def test_not_an_hdf5_file(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("not HDF5")
    with pytest.raises(icsim.IcsimFileError, match="not an HDF5 file"):
        icsim.open_run(text)
    with pytest.raises(FileNotFoundError):
        icsim.open_run(tmp_path / "missing.h5")


def test_hdf5_but_not_icsim(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(icsim.IcsimFileError, match="not an icsim output"):
        icsim.open_run(other)
    with pytest.raises(icsim.IcsimFileError, match="not an icsim output"):
        icsim.open_sweep(other)


def test_unknown_schema_version(run_file, tmp_path):
    future = tmp_path / "future.h5"
    shutil.copy(run_file, future)
    with h5py.File(future, "r+") as f:
        f.attrs["schema_version"] = np.int64(99)
    with pytest.raises(icsim.UnsupportedSchemaError, match="schema version 99"):
        icsim.open_run(future)


def test_run_is_not_a_sweep(run_file):
    with pytest.raises(icsim.IcsimFileError, match="open it with icsim.open_run"):
        icsim.open_sweep(run_file)
    assert isinstance(icsim.open(run_file), icsim.Run)


def test_command_line_info_and_errors(run_file, tmp_path, capsys):
    from icsim.__main__ import main

    assert main(["info", str(run_file)]) == 0
    assert "schema_version: 2" in capsys.readouterr().out
    bad = tmp_path / "bad.h5"
    bad.write_text("x")
    assert main(["report", str(bad), "-o", str(tmp_path / "r.html")]) == 2
    assert "not an HDF5 file" in capsys.readouterr().err


def test_simulate_wrapper(binary, tmp_path):
    run = icsim.simulate(tmp_path / "r.h5", "england-2020", {"policy.system_tied_share": 1.0},
                         seed=3, years=2, binary=binary)
    assert run.scenario["policy.system_tied_share"] == 1.0
    assert run.scenario_source.startswith("england-2020")
    assert len(run.years) == 2
    stake = run.organisation["stake_fraction"]
    held = run.organisations["kind"].isin(["acute", "community", "mental_health", "specialist",
                                           "ambulance"])
    assert float(stake.sel(organisation=run.organisations.index[held]).min()) >= 1.0 - 1e-12
    with pytest.raises(RuntimeError, match="failed"):
        icsim.simulate(tmp_path / "r2.h5", settings={"policy.no_such_lever": 1}, binary=binary)
    assert isinstance(pd.DataFrame(run.parameters), pd.DataFrame)


def python_m_icsim(*arguments, **options):
    """`python3 -m icsim ARGUMENTS` as a user runs it."""
    environment = dict(os.environ, PYTHONPATH=str(REPOSITORY / "output" / "python"))
    environment.pop("ICSIM_DEBUG", None)
    return subprocess.Popen([sys.executable, "-m", "icsim", *map(str, arguments)], env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **options)


def one_line_error(process, path):
    out, err = process.communicate(timeout=120)
    assert process.returncode == 2, (out, err)
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith(f"icsim: {path}: "), err
    return err


def test_truncated_and_damaged_files_are_one_line(run_file, tmp_path):
    data = run_file.read_bytes()
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(data[: len(data) // 3])
    with pytest.raises(icsim.IcsimFileError, match=r"truncated: [\d,]+ of its [\d,]+ bytes"):
        icsim.open_run(truncated)
    for command in ("info", "report", "export"):
        extra = ["--csv", tmp_path / "csv"] if command == "export" else []
        err = one_line_error(python_m_icsim(command, truncated, *extra), truncated)
        assert "truncated" in err
    # An HDF5 error while reading (a damaged chunk, a broken reference) is one line too.
    from icsim import files

    with pytest.raises(icsim.IcsimFileError, match=r"damaged, cannot be read .Can.t read data .inflate\(\) failed"):
        with files.open_h5(run_file) as handle:
            assert handle.id.valid
            raise OSError("Can't read data (inflate() failed)")
    damaged = tmp_path / "damaged.h5"
    rng = np.random.default_rng(0)
    middle = bytearray(data)
    start = len(data) // 20
    middle[start: len(data) - start] = rng.integers(0, 256, len(data) - 2 * start, dtype=np.uint8).tobytes()
    damaged.write_bytes(bytes(middle))
    one_line_error(python_m_icsim("report", damaged, "-o", tmp_path / "r.html"), damaged)
    one_line_error(python_m_icsim("info", tmp_path), tmp_path)  # a directory


def test_info_into_a_closed_pipe_is_quiet(run_file):
    """`python3 -m icsim info F | head -1`: the reader goes away before icsim writes; no
    BrokenPipeError traceback, exit code 0."""
    process = python_m_icsim("info", run_file)
    process.stdout.close()  # no reader from the start: the first write meets a broken pipe
    err = process.stderr.read()
    assert process.wait(timeout=120) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_export_csv(run_file, tmp_path):
    from icsim.__main__ import main

    folder = tmp_path / "csv"
    assert main(["export", str(run_file), "--csv", str(folder)]) == 0
    run = icsim.open_run(run_file)
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(["metrics.csv", "organisations.csv", "systems.csv", "places.csv", "edges.csv",
                            "collaboratives.csv", "timeseries_national.csv", "timeseries_system.csv",
                            "timeseries_organisation.csv", "membership.csv", "parameters.csv"])
    system = pd.read_csv(folder / "timeseries_system.csv")
    assert len(system) == len(run.years) * len(run.systems)
    assert list(system.columns[:4]) == ["year", "system", "name", "region"]
    dorset = run.system_code("Dorset")
    expected = run.system["mean_trust"].sel(system=dorset).to_numpy()
    np.testing.assert_allclose(system.loc[system["system"] == dorset, "mean_trust"], expected)
    national = pd.read_csv(folder / "timeseries_national.csv")
    np.testing.assert_allclose(national["systems_met"], run.national["systems_met"])
    metrics = pd.read_csv(folder / "metrics.csv")
    assert {"level", "metric", "units", "description", "role"} <= set(metrics.columns)
    assert sorted(Path(p).name for p in run.to_csv(tmp_path / "again")) == names
    (tmp_path / "file").write_text("x")
    assert main(["export", str(run_file), "--csv", str(tmp_path / "file")]) == 2
