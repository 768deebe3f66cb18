"""icsim.open_sweep: on a small file written here to the sweep layout of DESIGN.md section 5 (so
the reader is pinned to the layout), and on real `icsim sweep` output when the binary has it."""

import subprocess

import h5py
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import has_command

import icsim

SWEEP_TEXT = """scenario = "england-2020"
years = 3
replications = 2
seed = 42
design = "full_factorial"
record = ["summary", "system"]
[axes]
"policy.system_tied_share" = { values = [0.0, 0.5, 1.0] }
"policy.redistribution" = ["pro_rata", "need"]
"""


def write_layout_sweep(path, run_scale=True, finished=None):
    """A sweep file by the layout: 3 x 2 points, 2 replications, 3 years, 2 systems."""
    shares, rules = [0.0, 0.5, 1.0], ["pro_rata", "need"]
    points = [(s, r) for s in shares for r in rules]
    runs = [(p, rep) for p in range(len(points)) for rep in range(2)]
    n = len(runs)
    finished = np.ones(n, bool) if finished is None else np.asarray(finished)
    strings = h5py.string_dtype()
    with h5py.File(path, "w") as f:
        f.attrs.update(tool="icsim", version="0.1.0", schema_version=np.int64(1), file_kind="sweep",
                       design="full_factorial", sweep=SWEEP_TEXT, fingerprint="abc123")
        g = f.create_group("runs")
        run = g.create_dataset("run", data=np.arange(n, dtype=np.int64))
        if run_scale:
            run.make_scale("run")
        g["point"] = np.array([p for p, _ in runs], dtype=np.int64)
        g["replication"] = np.array([r for _, r in runs], dtype=np.int32)
        g["seed"] = np.arange(n, dtype=np.int64) + 1000
        g.create_dataset("status", data=np.where(finished, "ok", "pending").astype(object), dtype=strings)
        g["policy.system_tied_share"] = np.array([points[p][0] for p, _ in runs])
        g.create_dataset("policy.redistribution", data=np.array([points[p][1] for p, _ in runs], dtype=object),
                         dtype=strings)
        rng = np.random.default_rng(0)
        share = g["policy.system_tied_share"][()]
        s = f.create_group("summary")
        trust = s.create_dataset("final_mean_trust", data=np.where(finished, 0.4 + 0.2 * share + 0.01 * rng.random(n), np.nan))
        trust.attrs.update(units="0-1", description="mean trust over every edge, final year")
        if run_scale:
            summary_run = s.create_dataset("run", data=np.arange(n, dtype=np.int64))
            summary_run.make_scale("run")
            trust.dims[0].attach_scale(summary_run)
        ts = f.create_group("timeseries/system")
        year = ts.create_dataset("year", data=np.array([2020, 2021, 2022], dtype=np.int32))
        year.make_scale("year")
        system = ts.create_dataset("system", data=np.array(["QVV", "QE1"], dtype=object), dtype=strings)
        system.make_scale("system")
        data = (0.4 + 0.2 * share[:, None, None] + 0.05 * np.arange(3)[None, :, None]
                + 0.01 * rng.random((n, 3, 2)))
        stake = ts.create_dataset("mean_trust", data=data)
        stake.attrs.update(units="0-1", description="mean trust on edges inside the system")
        if run_scale:  # each group with a run dimension carries its own run scale (for h5netcdf)
            series_run = ts.create_dataset("run", data=np.arange(n, dtype=np.int64))
            series_run.make_scale("run")
            stake.dims[0].attach_scale(series_run)
        stake.dims[1].attach_scale(year)
        stake.dims[2].attach_scale(system)
    return path


def write_sobol_sweep(path, base_points=64, keep=None):
    """A Sobol sweep of two parameters whose summary is trust.initial + 0.1 system_tied_share;
    ``keep``: the runs the file holds (a sweep cut short)."""
    from icsim import sensitivity

    bounds = {"policy.system_tied_share": (0.0, 1.0), "trust.initial": (0.0, 1.0)}
    design = sensitivity.saltelli_design(bounds, base_points)
    keep = np.arange(len(design)) if keep is None else np.asarray(keep)
    design = design.iloc[keep]
    with h5py.File(path, "w") as f:
        f.attrs.update(tool="icsim", schema_version=np.int64(1), file_kind="sweep", design="sobol",
                       points=np.int64(base_points * 4),
                       sweep='design = "sobol"\n[axes]\n"policy.system_tied_share" = { min = 0.0, '
                             'max = 1.0 }\n"trust.initial" = { min = 0.0, max = 1.0 }\n')
        f["runs/run"] = keep
        f["runs/point"] = keep
        f["runs/replication"] = np.zeros(len(keep), int)
        f["runs/status"] = np.array(["ok"] * len(keep), dtype=object)
        for name in bounds:
            f[f"runs/{name}"] = design[name].to_numpy()
        f["summary/final_mean_trust"] = design["trust.initial"].to_numpy() + 0.1 * design[
            "policy.system_tied_share"].to_numpy()
    return path


def test_sobol_sweep_cut_short(tmp_path):
    """A sweep killed midway holds some base points' blocks in part: the indices use the whole
    blocks, and say so."""
    whole = icsim.open_sweep(write_sobol_sweep(tmp_path / "whole.h5")).sobol("final_mean_trust",
                                                                            n_bootstrap=0)
    keep = np.r_[0:150, 155:200]  # blocks of 4 points: 0-36 whole, 37 and 38 cut, 39-49 whole
    with pytest.warns(UserWarning, match="48 of 64 base points"):
        part = icsim.open_sweep(write_sobol_sweep(tmp_path / "part.h5", keep=keep)).sobol(
            "final_mean_trust", n_bootstrap=0)
    assert part.attrs["base_points"] == 48
    # The same as the indices of exactly those blocks of the design.
    from icsim import sensitivity

    design = sensitivity.saltelli_design({"policy.system_tied_share": (0.0, 1.0),
                                          "trust.initial": (0.0, 1.0)}, 64)
    rows = np.r_[0:148, 156:200]
    y = design["trust.initial"] + 0.1 * design["policy.system_tied_share"]
    expected = sensitivity.sobol(design.iloc[rows], y.iloc[rows].to_numpy(), n_bootstrap=0)
    np.testing.assert_allclose(part["ST"], expected["ST"])
    np.testing.assert_allclose(part["S1"], expected["S1"])
    # Var(x) = 1/12 each: S_trust = 1 / 1.01, S_share = 0.01 / 1.01.
    np.testing.assert_allclose(whole["ST"], [0.01 / 1.01, 1 / 1.01], atol=0.08)  # N = 64


@pytest.mark.parametrize("run_scale", [True, False])
def test_layout_sweep(tmp_path, run_scale):
    sweep = icsim.open_sweep(write_layout_sweep(tmp_path / "s.h5", run_scale))
    assert sweep.design == "full_factorial"
    assert sweep.fingerprint == "abc123"
    assert sweep.spec["replications"] == 2
    assert sweep.varied == ["policy.redistribution", "policy.system_tied_share"]
    assert sweep.bounds("policy.system_tied_share") == (0.0, 1.0)
    assert sweep.bounds("policy.redistribution") == ["pro_rata", "need"]
    runs = sweep.runs
    assert runs.index.name == "run" and len(runs) == 12
    assert list(runs.columns[:4]) == ["point", "replication", "seed", "status"]
    assert runs["policy.redistribution"].tolist()[:4] == ["pro_rata", "pro_rata", "need", "need"]
    results = sweep.results
    assert "final_mean_trust" in results and len(results) == 12
    system = sweep.system
    assert system["mean_trust"].dims == ("run", "year", "system")
    assert system["policy.system_tied_share"].dims == ("run",)
    assert list(system["system"].values) == ["QVV", "QE1"]
    by_share = system["mean_trust"].mean(["year", "system"]).groupby("policy.system_tied_share").mean()
    assert np.all(np.diff(by_share.values) > 0)
    points = sweep.points("final_mean_trust")
    assert len(points) == 6 and (points["replications"] == 2).all()
    assert "icsim.Sweep" in repr(sweep)
    assert ("summary", "final_mean_trust") in sweep.metrics().index


def test_unfinished_runs_are_left_out(tmp_path):
    finished = np.ones(12, bool)
    finished[[3, 10]] = False
    sweep = icsim.open_sweep(write_layout_sweep(tmp_path / "s.h5", finished=finished))
    assert sweep.finished.sum() == 10
    assert sweep.system.sizes["run"] == 10
    assert sweep.timeseries("system", finished_only=False).sizes["run"] == 12
    points = sweep.points("final_mean_trust")
    assert len(points) == 6 and points["replications"].tolist() == [2, 1, 2, 2, 2, 1]


def test_sweep_is_not_a_run(tmp_path):
    path = write_layout_sweep(tmp_path / "s.h5")
    with pytest.raises(icsim.IcsimFileError, match="open it with icsim.open_sweep"):
        icsim.open_run(path)
    assert isinstance(icsim.open(path), icsim.Sweep)
    with pytest.raises(KeyError, match="no organisation time series"):
        icsim.open_sweep(path).timeseries("organisation")


def test_xarray_alone_opens_layout_sweep(tmp_path):
    """h5netcdf finds a dimension scale only in the group itself or its ancestors, and gives the
    scale's values as coordinates only in the group itself: hence a run scale in each group."""
    path = write_layout_sweep(tmp_path / "s.h5")
    with xr.open_dataset(path, engine="h5netcdf", group="timeseries/system") as ds:
        assert ds["mean_trust"].dims == ("run", "year", "system")
        assert list(ds["run"].values) == list(range(12))
    with xr.open_dataset(path, engine="h5netcdf", group="summary") as ds:
        assert ds["final_mean_trust"].dims == ("run",)


# Real sweeps ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_sweep(binary, tmp_path_factory):
    if not has_command(binary, "sweep"):
        pytest.skip("icsim sweep is not built yet")
    folder = tmp_path_factory.mktemp("sweep")
    spec = icsim.write_sweep_file(
        folder / "sweep.toml",
        {"policy.system_tied_share": {"values": [0.0, 1.0]}, "policy.redistribution": ["pro_rata", "need"]},
        scenario="england-2019", years=3, replications=2, seed=5, design="full_factorial",
        record=["summary", "system", "organisation"])
    out = folder / "sweep.h5"
    subprocess.run([binary, "sweep", str(spec), "-o", str(out), "--threads", "2", "--quiet"],
                   check=True, capture_output=True)
    return out


def test_real_sweep(real_sweep, binary):
    sweep = icsim.open_sweep(real_sweep)
    assert sweep.design == "full_factorial"
    assert len(sweep.runs) == 8 and sweep.finished.all()
    assert set(sweep.varied) == {"policy.system_tied_share", "policy.redistribution"}
    assert set(sweep.runs["policy.redistribution"]) == {"pro_rata", "need"}
    assert len(sweep.summary.columns) > 0 and sweep.summary.notna().all().all()
    system = sweep.system
    assert system.sizes["run"] == 8 and system.sizes["year"] == 3
    assert "policy.system_tied_share" in system.coords
    assert system["name"].sel(system=sweep.system_code("Dorset")).item() == "Dorset"
    assert sweep.scenario["run.years"] == 3 and len(sweep.systems) == system.sizes["system"]
    organisation = sweep.organisation
    assert organisation.sizes["run"] == 8
    # A run of the sweep re-run alone gives the same numbers (its seed is in the runs table).
    first = sweep.runs.iloc[0]
    run = icsim.simulate(real_sweep.parent / "one.h5", "england-2019",
                         {"policy.system_tied_share": first["policy.system_tied_share"],
                          "policy.redistribution": first["policy.redistribution"]},
                         seed=int(first["seed"]), years=3, binary=binary)
    metric = "mean_trust"
    np.testing.assert_allclose(system[metric].isel(run=0).values, run.system[metric].values)
    with xr.open_dataset(real_sweep, engine="h5netcdf", group="timeseries/system") as ds:
        assert ds[metric].dims == ("run", "year", "system")


# Headlines, lever effects, baselines ----------------------------------------------------------
def add_summary(path, name, values, **attrs):
    with h5py.File(path, "a") as f:
        f["summary"].create_dataset(name, data=values).attrs.update(attrs)


def test_headlines_come_from_the_roles_in_the_file(tmp_path):
    """The summaries a report leads with are those whose metric has the headline role in the
    file: national first, then system ones of metrics no national headline covers; a change of
    role in the file changes them, whatever the names."""
    path = write_layout_sweep(tmp_path / "s.h5")
    n = 12
    with h5py.File(path, "a") as f:
        f["summary/final_mean_trust"].attrs.update(role="headline", metric="mean_trust",
                                                   level="national", statistic="final_year")
    add_summary(path, "final_system_mean_trust", np.ones(n), role="headline", metric="mean_trust",
                level="system", statistic="final_year")
    add_summary(path, "final_system_zeal", np.ones(n), role="headline", metric="zeal",
                level="system", statistic="final_year")
    add_summary(path, "mean_zeal", np.ones(n), role="headline", metric="zeal", level="national",
                statistic="run_mean")
    add_summary(path, "final_trusts_thriving", np.ones(n), role="detail", metric="trusts_thriving",
                level="national", statistic="final_year")
    sweep = icsim.open_sweep(path)
    assert sweep.headlines() == ["final_mean_trust", "final_system_zeal"]
    assert sweep.headlines("run_mean") == ["mean_zeal"]
    assert sweep.summary_info.loc["final_system_zeal", "level"] == "system"
    with h5py.File(path, "a") as f:
        f["summary/final_trusts_thriving"].attrs["role"] = "headline"
        f["summary/final_mean_trust"].attrs["role"] = "detail"
    assert icsim.open_sweep(path).headlines() == ["final_trusts_thriving", "final_system_mean_trust",
                                                  "final_system_zeal"]


def test_lever_effects_and_their_intervals(tmp_path):
    """final_mean_trust = 0.4 + 0.2 share + U(0, 0.01): at each share, averaged over the rules (the
    base rule, leader, is not in the design), the mean is near 0.405 + 0.2 share, inside its
    interval."""
    path = write_layout_sweep(tmp_path / "s.h5")
    with h5py.File(path, "a") as f:  # the resolved base scenario, as icsim writes it
        f.attrs["scenario"] = '[policy]\nsystem_tied_share = 0.5\nredistribution = "leader"\n'
    sweep = icsim.open_sweep(path)
    assert sweep.base_values == {"policy.redistribution": "leader", "policy.system_tied_share": 0.5}
    assert sweep.baseline() is None
    with pytest.raises(ValueError, match="no design point"):
        sweep.baseline_differences(["final_mean_trust"])
    effect = sweep.lever_effect("final_mean_trust", "policy.system_tied_share")
    assert effect["value"].tolist() == [0.0, 0.5, 1.0]
    assert not effect["held"].any() and "averaged" in effect.attrs["how"]
    truth = 0.405 + 0.2 * effect["value"]
    assert (abs(effect["mean"] - truth) < 0.005).all()
    assert ((effect["low"] < effect["mean"]) & (effect["mean"] < effect["high"])).all()
    assert (effect["high"] - effect["low"] < 0.05).all()
    points = sweep.effects("final_mean_trust")
    assert len(points) == 6 and (points["runs"] == 2).all()
    with pytest.raises(KeyError, match="not varied"):
        sweep.lever_effect("final_mean_trust", "policy.bailout")


def test_baseline_differences_pair_replications_under_common_seeds():
    """Noise shared by replication r at every point (common seeds) cancels in paired differences:
    the paired interval is far narrower than Welch's, and both hold the true difference."""
    from icsim import effects

    rng = np.random.default_rng(0)
    replications = 8
    shared = rng.normal(0, 1.0, replications)  # replication r's noise, the same at every point
    rows = []
    for point, level in enumerate([0.0, 0.5, 1.0]):
        for r in range(replications):
            rows.append({"point": point, "replication": r, "lever": level,
                         "y": 2.0 * level + shared[r] + rng.normal(0, 0.01)})
    results = pd.DataFrame(rows)
    paired = effects.baseline_differences(results, ["y"], ["lever"], 0, 0.999, paired=True)
    welch = effects.baseline_differences(results, ["y"], ["lever"], 0, 0.999, paired=False)
    for table in (paired, welch):
        truth = 2.0 * table["lever"]
        assert ((table["y low"] <= truth) & (truth <= table["y high"])).all()
    assert ((paired["y high"] - paired["y low"])[1:] * 20 < (welch["y high"] - welch["y low"])[1:]).all()
    assert paired.loc[0, "y"] == 0.0


def test_run_sweep_follows_progress_and_reports_failures(tmp_path):
    """run_sweep's progress comes from icsim's own lines (the plan, the log, the last line); a
    failing command raises with icsim's message. A stand-in for icsim prints those lines."""
    from icsim import binary as calling

    class Recorder:
        def __init__(self):
            self.seen = []

        def update(self, saved, total):
            self.seen.append((saved, total))

    script = tmp_path / "fake-icsim"
    script.write_text("#!/bin/sh\n"
                      "echo 'icsim sweep: s.toml: sobol, 80 points x 3 replications = 240 runs; 2 threads'\n"
                      "echo 'icsim sweep: 120/240 runs saved (50.0%), 99.0 runs/s, ETA 1s' >&2\n"
                      "echo 'icsim sweep: wrote s.h5: 240/240 runs in 2.0 s, 120.0 runs/s'\n"
                      "[ \"$1\" = sweep ] && { echo 'icsim: error: s.h5 already exists: pass --resume' >&2; exit 2; }\n"
                      "exit 0\n")
    script.chmod(0o755)
    bar = Recorder()
    calling._follow([str(script)], bar)
    assert bar.seen == [(0, 240), (120, 240), (240, 240)]
    with pytest.raises(RuntimeError, match="already exists.*resume=True or overwrite=True"):
        calling._follow([str(script), "sweep"], Recorder())


def test_run_sweep_resume_and_overwrite(binary, tmp_path, capsys):
    if not has_command(binary, "sweep"):
        pytest.skip("icsim sweep is not built yet")
    spec = icsim.write_sweep_file(tmp_path / "s.toml", {"policy.system_tied_share": {"values": [0.0, 1.0]}},
                                  scenario="england-2019", years=2, replications=2, seed=5,
                                  record=["summary"])
    out = tmp_path / "s.h5"
    first = icsim.run_sweep(spec, out, binary=binary)
    assert "4/4" in capsys.readouterr().err  # the bar's last state
    with pytest.raises(RuntimeError, match="resume=True or overwrite=True"):
        icsim.run_sweep(spec, out, binary=binary, progress=False)
    again = icsim.run_sweep(spec, out, binary=binary, resume=True)  # a notebook cell re-run
    pd.testing.assert_frame_equal(again.results, first.results)
    assert again.attrs["created"] == first.attrs["created"]  # the same file, nothing re-run
    fresh = icsim.run_sweep(spec, out, binary=binary, overwrite=True, progress=False)
    pd.testing.assert_frame_equal(fresh.results, first.results)
    with pytest.raises(ValueError, match="exclude each other"):
        icsim.run_sweep(spec, out, binary=binary, resume=True, overwrite=True)


def test_real_sweep_headlines_are_recorded(real_sweep):
    sweep = icsim.open_sweep(real_sweep)
    headlines = sweep.headlines()
    assert headlines, "the metric registry marks some metrics as headlines"
    info = sweep.summary_info
    assert (info.loc[headlines, "role"] == "headline").all()
    assert (info.loc[headlines, "statistic"] == "final_year").all()
    assert set(info["role"]) == {"headline", "detail"}
    with h5py.File(real_sweep) as f:
        roles = {f[f"timeseries/system/{m}"].attrs["role"] for m in f["timeseries/system"]
                 if "role" in f[f"timeseries/system/{m}"].attrs}
    assert roles == {"headline", "detail"}


def test_sweep_to_csv(real_sweep, tmp_path):
    """One tidy CSV per group, each run's point, replication and varied parameters on its rows."""
    sweep = icsim.open_sweep(real_sweep)
    written = sweep.to_csv(tmp_path / "csv")
    names = {p.rsplit("/", 1)[-1] for p in written}
    assert {"runs.csv", "summary.csv", "timeseries_system.csv", "timeseries_organisation.csv",
            "metrics.csv", "systems.csv"} <= names
    summary = pd.read_csv(tmp_path / "csv" / "summary.csv")
    assert len(summary) == 8
    np.testing.assert_allclose(summary["final_mean_trust"], sweep.summary["final_mean_trust"])
    system = pd.read_csv(tmp_path / "csv" / "timeseries_system.csv")
    years, systems = sweep.system.sizes["year"], sweep.system.sizes["system"]
    assert len(system) == 8 * years * systems
    assert list(system.columns[:3]) == ["run", "year", "system"]
    for parameter in sweep.varied + ["point", "replication", "seed"]:
        assert parameter in system.columns
    row = system[(system["run"] == 5) & (system["year"] == system["year"].max())].iloc[0]
    assert row["policy.redistribution"] == sweep.runs.loc[5, "policy.redistribution"]
    expected = sweep.system["mean_trust"].sel(run=5).isel(year=-1).sel(system=row["system"]).item()
    assert row["mean_trust"] == pytest.approx(expected)


def test_metrics_table_keeps_groups_apart_from_what_summaries_summarise(real_sweep):
    table = icsim.open_sweep(real_sweep).metrics()
    assert set(table.index.get_level_values("level")) == {"summary", "system", "organisation"}
    row = table.loc[("summary", "final_system_mean_trust")]
    assert (row["of_metric"], row["of_level"], row["statistic"]) == ("mean_trust", "system", "final_year")
