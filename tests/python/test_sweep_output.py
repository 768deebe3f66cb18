"""`icsim sweep` output read without icsim's code (h5py, xarray with h5netcdf), merged shards,
and `icsim sample`'s Sobol design against scipy's Sobol sequence (Joe and Kuo's numbers)."""

import io
import subprocess

import h5py
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.stats import qmc

SWEEP = """scenario = "england-2020"
years = 2
replications = 2
seed = 3
design = "latin_hypercube"
samples = 3
record = ["summary", "national", "system", "organisation"]
[axes]
"policy.system_tied_share" = { min = 0.0, max = 1.0 }
"policy.redistribution" = ["pro_rata", "need"]
"""


def icsim(binary, *args):
    return subprocess.run([binary, *map(str, args)], check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def sweep_file(binary, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep-output")
    spec = folder / "sweep.toml"
    spec.write_text(SWEEP)
    out = folder / "sweep.h5"
    icsim(binary, "sweep", spec, "-o", out, "--threads", "2", "--quiet")
    return out


def test_xarray_opens_every_group_as_labelled_arrays(sweep_file):
    with xr.open_dataset(sweep_file, engine="h5netcdf", group="summary") as ds:
        assert dict(ds.sizes) == {"run": 6}
        assert list(ds["run"].values) == list(range(6))
        assert ds["final_mean_trust"].dims == ("run",)
        assert ds["mean_stake_share"].attrs["units"] == "fraction"
        assert "final year" in ds["final_mean_trust"].attrs["description"]
        assert np.isfinite(ds["final_mean_trust"].values).all()
    with xr.open_dataset(sweep_file, engine="h5netcdf", group="runs") as ds:
        assert set(ds["policy.redistribution"].values) <= {"pro_rata", "need"}
        assert list(ds["status"].values) == ["ok"] * 6
    with xr.open_dataset(sweep_file, engine="h5netcdf", group="timeseries/national") as ds:
        assert ds["mean_trust"].dims == ("run", "year")
        assert list(ds["year"].values) == [2020, 2021]
    with xr.open_dataset(sweep_file, engine="h5netcdf", group="timeseries/system") as ds:
        assert ds["stake_share"].dims == ("run", "year", "system")
        assert ds.sizes["system"] == 42
    with xr.open_dataset(sweep_file, engine="h5netcdf", group="timeseries/organisation") as ds:
        assert ds["effort"].dims == ("run", "year", "organisation")


def test_every_dataset_has_units_and_description(sweep_file):
    missing = []

    def visit(name, item):
        if isinstance(item, h5py.Dataset) and not {"units", "description"} <= set(item.attrs):
            missing.append(name)

    with h5py.File(sweep_file, "r") as f:
        f.visititems(visit)
        assert f.attrs["file_kind"] == "sweep"
        assert "latin_hypercube" in f.attrs["sweep"]
        assert len(f.attrs["fingerprint"]) == 32
        assert f.attrs["runs_total"] == 6
    assert missing == []


def test_merged_shards_open_the_same(binary, sweep_file, tmp_path):
    spec = sweep_file.parent / "sweep.toml"
    shards = []
    for i in (1, 2):
        shards.append(tmp_path / f"shard-{i}.h5")
        icsim(binary, "sweep", spec, "-o", shards[-1], "--shard", f"{i}/2", "--quiet")
    merged = tmp_path / "merged.h5"
    icsim(binary, "merge", "-o", merged, *shards)
    for group in ("summary", "runs", "timeseries/system"):
        with xr.open_dataset(sweep_file, engine="h5netcdf", group=group) as a, \
                xr.open_dataset(merged, engine="h5netcdf", group=group) as b:
            xr.testing.assert_identical(a, b)


def test_sobol_design_is_scipys_unscrambled_sobol_sequence(binary, tmp_path):
    k, n = 4, 16
    axes = "".join(f'"{p}" = {{ min = 0.0, max = 1.0 }}\n' for p in
                   ["behaviour.belief_weight", "behaviour.initial_belief", "behaviour.threshold",
                    "policy.system_tied_share"])
    spec = tmp_path / "sobol.toml"
    spec.write_text(f'design = "sobol"\nsamples = {n}\nrecord = ["summary"]\n[axes]\n{axes}')
    design = pd.read_csv(io.StringIO(icsim(binary, "sample", spec).stdout))
    assert len(design) == n * (k + 2)
    x = design.iloc[:, 4:].to_numpy()
    points = qmc.Sobol(2 * k, scramble=False).random(n + 1)[1:]  # the origin skipped
    a, b = points[:, :k], points[:, k:]
    expected = []
    for j in range(n):  # SALib's order: A, AB_1 .. AB_k, B
        expected.append(a[j])
        for i in range(k):
            row = a[j].copy()
            row[i] = b[j, i]
            expected.append(row)
        expected.append(b[j])
    np.testing.assert_array_equal(x, np.array(expected))
