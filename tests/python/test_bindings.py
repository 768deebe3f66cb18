"""icsim.Model and icsim.sweep on the compiled module (issue 16): the same results as `icsim run`
and `icsim sweep` for the same seed, step() x N as run(N), state() as read-only views that keep
the model alive, reporters, set() between years, ScenarioError with the CLI's message, Ctrl-C,
the GIL released while the model computes. CTest runs this file in the release build and, with
libasan preloaded, in the ASan build (tests/python/CMakeLists.txt)."""

import _thread
import gc
import subprocess
import threading

import h5py
import numpy as np
import pytest
import xarray as xr

import icsim
from icsim import _loader

YEARS = 4
SCENARIO = "england-2020"

# Root attributes that record when and how a file was made, not what it holds.
PROVENANCE = ("created", "command_line")


@pytest.fixture(scope="module", autouse=True)
def core():
    return _loader.core()  # fails (does not skip) when CTest registered this file without it


def cli(binary, *arguments):
    return subprocess.run([binary, *map(str, arguments)], capture_output=True, text=True)


def objects(handle):
    found = {}
    handle.visititems(lambda name, item: found.__setitem__(name, item))
    return found


def attributes(item, skip=()):
    return {k: v for k, v in item.attrs.items()
            if k not in skip and k not in ("DIMENSION_LIST", "REFERENCE_LIST")}


def equal(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def assert_same_file(path_a, path_b, skip_root=PROVENANCE):
    """Every group, dataset (type, shape, chunks, filters, values) and attribute the same."""
    with h5py.File(path_a, "r") as a, h5py.File(path_b, "r") as b:
        items_a, items_b = objects(a), objects(b)
        assert items_a.keys() == items_b.keys(), set(items_a) ^ set(items_b)
        root_a, root_b = attributes(a, skip_root), attributes(b, skip_root)
        assert root_a.keys() == root_b.keys(), set(root_a) ^ set(root_b)
        for key in root_a:
            assert equal(root_a[key], root_b[key]), key
        for name, item in items_a.items():
            other = items_b[name]
            assert type(item) is type(other), name
            attrs_a, attrs_b = attributes(item), attributes(other)
            assert attrs_a.keys() == attrs_b.keys(), name
            for key in attrs_a:
                assert equal(attrs_a[key], attrs_b[key]), (name, key)
            if isinstance(item, h5py.Dataset):
                assert (item.dtype, item.shape, item.chunks, item.compression) == \
                    (other.dtype, other.shape, other.chunks, other.compression), name
                assert equal(item[()], other[()]), name
        return sum(isinstance(i, h5py.Dataset) for i in items_a.values())


@pytest.fixture(scope="module")
def cli_run(binary, tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "cli.h5"
    done = cli(binary, "run", SCENARIO, "--seed", 7, "--years", YEARS, "-q", "-o", path)
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture(scope="module")
def model():
    m = icsim.Model(SCENARIO, seed=7, years=YEARS, threads=2)
    m.run()
    return m


# Same results as the CLI ------------------------------------------------------------------------
def test_model_run_writes_the_file_icsim_run_writes(model, cli_run, tmp_path):
    saved = model.save(tmp_path / "model.h5")
    assert assert_same_file(cli_run, saved) > 50
    with h5py.File(saved) as handle:
        assert handle.attrs["command_line"].startswith("icsim.Model(")
        assert "changes" not in handle.attrs


def test_step_n_times_is_run_n(tmp_path):
    stepped = icsim.Model(SCENARIO, seed=11, years=YEARS, threads=1)
    for year in range(YEARS):
        stepped.step()
        assert stepped.steps == year + 1
    ran = icsim.Model(SCENARIO, seed=11, years=YEARS, threads=2)
    ran.run(YEARS)
    assert stepped.year == ran.year == 2020 + YEARS - 1
    assert_same_file(stepped.save(tmp_path / "stepped.h5"), ran.save(tmp_path / "ran.h5"))
    xr.testing.assert_identical(_plain(stepped.metrics()), _plain(ran.metrics()))


def _plain(dataset):
    dataset = dataset.copy()
    dataset.attrs = {}
    return dataset


def test_metrics_are_the_files_series(model, tmp_path):
    saved = icsim.open_run(model.save(tmp_path / "model.h5"))
    for level in ("organisation", "system", "national"):
        xr.testing.assert_identical(_plain(model.metrics(level)), _plain(saved.timeseries(level)))
    merged = model.metrics()
    with h5py.File(saved.path) as handle:
        for level in ("organisation", "system", "national"):
            for name, item in handle[f"timeseries/{level}"].items():
                if name in ("year", level):
                    continue
                variable = merged[f"{level}/{name}"]
                assert variable.attrs["units"] == item.attrs["units"]
                assert variable.attrs["description"] == item.attrs["description"]
                values = item[()].astype(bool) if item.attrs["units"] == "flag" else item[()]
                assert equal(variable.to_numpy(), values), (level, name)
    assert list(merged["year"].values) == list(range(2020, 2020 + YEARS))
    assert model.organisations.equals(saved.organisations)
    assert model.edges.equals(saved.edges)


def test_classic_models_write_the_files_icsim_run_writes(binary, tmp_path):
    settings = {"network.kind": "lattice", "network.size": 30, "game.r": 4.5, "run.steps": 60}
    arguments = [a for k, v in settings.items() for a in ("--set", f"{k}={v}")]
    done = cli(binary, "run", "--set", "model=public_goods", *arguments, "-q", "-o", tmp_path / "pg.h5")
    assert done.returncode == 0, done.stderr
    game = icsim.Model(model="public_goods", **settings)
    game.step()
    assert game.steps == 1 and game.state("cooperates").dtype == bool
    game.run()
    assert game.steps == 60 and not game._core.running
    assert_same_file(tmp_path / "pg.h5", game.save(tmp_path / "pg-model.h5"))

    done = cli(binary, "run", "--set", "model=threshold_cascade", "--set", "cascade.realisations=70",
               "-q", "-o", tmp_path / "cascade.h5")
    assert done.returncode == 0, done.stderr
    cascades = icsim.Model(model="threshold_cascade", **{"cascade.realisations": 70})
    cascades.step()
    assert cascades.state("final_active_share").shape == (1,)
    cascades.run()
    assert cascades.steps == 70
    assert_same_file(tmp_path / "cascade.h5", cascades.save(tmp_path / "cascade-model.h5"))


def test_results_do_not_depend_on_threads(model, tmp_path):
    single = icsim.Model(SCENARIO, seed=7, years=YEARS, threads=1)
    single.run()
    assert_same_file(model.save(tmp_path / "two.h5"), single.save(tmp_path / "one.h5"))


# State views --------------------------------------------------------------------------------------
def test_state_follows_the_metric_registry(model):
    """Every column the registry records, at every level, equals this year's row of metrics()."""
    year = model.year
    columns = model.columns
    assert {"organisation/stake_fraction", "system/mean_trust", "national/mean_trust"} <= set(columns)
    datasets = {level: model.metrics(level).sel(year=year) for level in ("organisation", "system", "national")}
    for column in columns:
        level, name = column.split("/")
        expected = datasets[level][name].to_numpy()
        values = model.state(column)
        assert equal(np.asarray(values), expected), column
    assert model.state("support_paid").shape == (len(model.organisations),)  # the finest level
    assert model.state("system/support_paid").shape == (len(model.systems),)


def test_views_are_read_only_and_share_the_models_memory(model):
    view = model.state("stake_fraction")
    assert isinstance(view, np.ndarray) and not view.flags.writeable and not view.flags.owndata
    assert np.shares_memory(view, model.state("stake_fraction"))  # no copy: the same memory twice
    with pytest.raises(ValueError):
        view[0] = 1.0
    with pytest.raises(ValueError):
        view.flags.writeable = True
    snapshot = model.state("stake_fraction", copy=True)
    assert snapshot.flags.writeable and not np.shares_memory(snapshot, view)
    assert equal(snapshot, view)


def test_a_view_keeps_the_model_alive():
    m = icsim.Model(SCENARIO, seed=3, years=2, threads=1)
    m.run()
    view, expected = m.state("balance"), m.state("balance", copy=True)
    system_view = m.state("system/surplus")
    del m
    gc.collect()
    assert equal(view, expected)  # the model's memory, still there (ASan checks the reads)
    assert np.isfinite(system_view).all()


def test_a_view_stays_valid_memory_across_steps():
    m = icsim.Model(SCENARIO, seed=5, years=4, threads=1)
    m.step()
    views = {c: m.state(c) for c in m.columns if not c.startswith("national/")}
    m.run(3)  # overwritten in place: the arrays read later years, never freed memory
    for name, view in views.items():
        assert np.asarray(view).shape == np.asarray(m.state(name)).shape, name
        np.asarray(view).sum()


def test_state_before_the_first_year_says_so():
    m = icsim.Model(SCENARIO, seed=5, years=2, threads=1)
    assert m.year is None and m.steps == 0
    with pytest.raises(RuntimeError, match="no year simulated yet"):
        m.state("stake_fraction")
    m.step()
    with pytest.raises(KeyError, match="no state column 'stake'"):
        m.state("stake")


def test_record_false_keeps_only_the_state_and_the_reporters():
    recorded = icsim.Model(SCENARIO, seed=5, years=2, threads=1)
    m = icsim.Model(SCENARIO, seed=5, years=2, threads=1, record=False,
                    reporters={"mean_trust": lambda model: model.state("national/mean_trust"),
                               "system/surplus": lambda model: model.state("system/surplus", copy=True)})
    recorded.run()
    m.run()
    assert equal(m.state("stake_fraction"), recorded.state("stake_fraction"))
    ours, theirs = m.metrics("national"), recorded.metrics("national")
    assert list(ours.data_vars) == ["mean_trust"]
    assert equal(ours["mean_trust"].to_numpy(), theirs["mean_trust"].to_numpy())
    assert list(m.metrics()["year"].values) == [2020, 2021]
    assert equal(m.metrics()["system/surplus"].to_numpy(), recorded.metrics("system")["surplus"].to_numpy())
    with pytest.raises(RuntimeError, match="record=False"):
        m.save("never.h5")


# Reporters -----------------------------------------------------------------------------------------
def test_reporters_land_beside_the_metrics_with_their_years():
    m = icsim.Model(SCENARIO, seed=9, years=5, threads=1,
                    reporters={"calendar": lambda model: model.year * 10})
    m.step()
    result = m.run(3, reporters={"deficits": lambda model: int((model.state("surplus") < 0).sum()),
                                 "system/twice_surplus": lambda model: 2 * model.state("system/surplus")})
    national, system = m.metrics("national"), m.metrics("system")
    assert list(national["calendar"].values) == [y * 10 for y in range(2020, 2024)]
    deficits = national["deficits"].to_numpy()
    assert np.isnan(deficits[0])  # not reported in the first year
    surplus = m.metrics("organisation")["surplus"].to_numpy()
    assert deficits[1:].tolist() == (surplus[1:] < 0).sum(axis=1).tolist()
    np.testing.assert_array_equal(system["twice_surplus"].to_numpy()[1:],
                                  2 * system["surplus"].to_numpy()[1:])
    assert system["twice_surplus"].dims == ("year", "system")
    assert result["national/calendar"].values.tolist() == national["calendar"].values.tolist()
    with pytest.raises(ValueError, match="shape"):
        m.step(reporters={"odd": lambda model: np.zeros(3)})


# set() between years --------------------------------------------------------------------------------
def test_set_between_years_changes_the_years_after_only(tmp_path):
    base = icsim.Model(SCENARIO, seed=13, years=4, threads=1)
    changed = icsim.Model(SCENARIO, seed=13, years=4, threads=1)
    base.run(2)
    changed.run(2)
    changed.set("policy.system_tied_share", 1.0)
    base.run(2)
    changed.run(2)
    before, after = base.metrics("organisation"), changed.metrics("organisation")
    xr.testing.assert_identical(_plain(before.sel(year=[2020, 2021])),
                                _plain(after.sel(year=[2020, 2021])))
    staked = after["stake_fraction"].sel(year=[2022, 2023])
    holders = staked["kind"] != "local_authority"  # councils' stake column is their pooled share
    staked = staked.where(holders, drop=True)
    assert (staked.where(staked > 0, drop=True) == 1.0).all()  # every holder stakes it all
    was = before["stake_fraction"].sel(year=[2022, 2023]).where(holders, drop=True)
    assert int((staked > 0).sum()) == int((was > 0).sum())
    assert not before["stake_fraction"].sel(year=2022).equals(after["stake_fraction"].sel(year=2022))
    assert changed.changes == "2022: policy.system_tied_share = 1.0\n"
    with h5py.File(changed.save(tmp_path / "changed.h5")) as handle:
        assert handle.attrs["changes"] == changed.changes


def test_set_between_years_is_the_same_change_in_a_timeline(tmp_path):
    """set() before the third year gives the run of a scenario whose [[timeline]] makes the same
    change in that year."""
    scenario = tmp_path / "timeline.toml"
    scenario.write_text(f'base = "{SCENARIO}"\n[[timeline]]\nyear = 2022\n'
                        '"policy.system_tied_share" = 1.0\n"policy.bailout" = 800.0\n')
    by_timeline = icsim.Model(scenario, seed=19, years=4, threads=1)
    by_timeline.run()
    by_set = icsim.Model(SCENARIO, seed=19, years=4, threads=1)
    by_set.run(2)
    by_set.set("policy.system_tied_share", 1.0)
    by_set.set("policy.bailout", 800.0)
    by_set.run(2)
    plain = icsim.Model(SCENARIO, seed=19, years=4, threads=1)
    plain.run()
    xr.testing.assert_identical(_plain(by_timeline.metrics()), _plain(by_set.metrics()))
    assert not _plain(plain.metrics()).identical(_plain(by_set.metrics()))  # the change acts


def test_set_before_the_first_year_is_the_setting_from_the_start(tmp_path):
    """A change at the first year's start (as a timeline entry for the first year) gives the
    run whose scenario had the value all along."""
    from_start = icsim.Model(SCENARIO, seed=17, years=3, threads=1, **{"policy.bailout": 500})
    switched = icsim.Model(SCENARIO, seed=17, years=3, threads=1)
    switched.set("policy.bailout", 500)
    from_start.run()
    switched.run()
    xr.testing.assert_identical(_plain(from_start.metrics()), _plain(switched.metrics()))


def test_set_refuses_what_only_the_start_reads_and_bad_values():
    m = icsim.Model(SCENARIO, seed=17, years=3, threads=1)
    m.step()
    with pytest.raises(icsim.ScenarioError, match="trust.initial.*cannot change during a run"):
        m.set("trust.initial", 0.9)
    with pytest.raises(icsim.ScenarioError, match="expected a number in \\[0, 1\\]"):
        m.set("policy.system_tied_share", 2)
    with pytest.raises(icsim.ScenarioError, match="unknown key 'policy.nope'"):
        m.set("policy.nope", 1)
    assert m.changes == ""


def test_a_rule_switched_to_learning_mid_run_starts_learning():
    m = icsim.Model(SCENARIO, seed=19, years=3, threads=1)
    m.step()
    m.set("behaviour.rule", "learning")
    m.run(2)
    assert np.isfinite(m.state("stake_fraction")).all()


# Errors -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key, value", [("policy.system_tied_share", 2), ("policy.nope", 1),
                                         ("policy.redistribution", "foo")])
def test_a_bad_override_raises_the_clis_message(binary, key, value):
    done = cli(binary, "run", "--set", f"{key}={value}", "-q", "-o", "never.h5")
    assert done.returncode == 2
    cli_message = done.stderr.strip().removeprefix("icsim: error: --set: ")
    with pytest.raises(icsim.ScenarioError) as raised:
        icsim.Model(**{key: value})
    assert str(raised.value) == f"icsim.Model: {cli_message}"


def test_a_bad_scenario_raises_the_clis_message(binary):
    done = cli(binary, "run", "no-such-scenario", "-q", "-o", "never.h5")
    with pytest.raises(icsim.ScenarioError) as raised:
        icsim.Model("no-such-scenario")
    assert str(raised.value) == done.stderr.strip().removeprefix("icsim: error: ")
    with pytest.raises(icsim.ScenarioError, match="seed: key 'run.seed'"):
        icsim.Model(seed=-1)


# Ctrl-C and the GIL ---------------------------------------------------------------------------------------
def interrupt_when(condition):
    """A thread that waits (holding no lock) until condition() holds, then does what Ctrl-C
    does to the main thread."""
    def watch():
        while not condition():
            pass
        _thread.interrupt_main()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_ctrl_c_interrupts_run_between_years_and_the_model_goes_on(tmp_path):
    m = icsim.Model(SCENARIO, seed=23, years=12, threads=1)
    watcher = interrupt_when(lambda: m.steps >= 2)
    with pytest.raises(KeyboardInterrupt):
        m.run(1000)  # far beyond run.years: only Ctrl-C ends it early
    watcher.join()
    interrupted_at = m.steps
    assert 2 <= interrupted_at < 1000
    m.run(12 - interrupted_at)  # goes on from the year it reached
    whole = icsim.Model(SCENARIO, seed=23, years=12, threads=1)
    whole.run()
    assert_same_file(whole.save(tmp_path / "whole.h5"), m.save(tmp_path / "resumed.h5"))


def test_the_gil_is_released_while_the_model_runs():
    years = 2000  # beyond run.years (at most 1000): run(years) is not bound by it
    m = icsim.Model(SCENARIO, seed=29, threads=1, record=False)
    runner = threading.Thread(target=m.run, args=(years,))
    runner.start()
    seen, refused = set(), None
    while runner.is_alive():
        steps = m.steps  # Python runs here while run() computes
        seen.add(steps)
        if refused is None and 0 < steps < years // 2:
            try:
                m.step()
            except RuntimeError as error:
                refused = str(error)
    runner.join()
    assert any(0 < s < years for s in seen), sorted(seen)[:5]
    assert "busy in another thread" in refused
    assert m.steps == years


# Sweeps -------------------------------------------------------------------------------------------------
SWEEP = {"scenario": SCENARIO, "years": 2, "replications": 2, "seed": 7, "design": "full_factorial",
         "record": ["summary", "national", "system"],
         "axes": {"policy.system_tied_share": {"values": [0.0, 0.5, 1.0]}}}


def test_sweep_in_process_is_the_clis_sweep(binary, tmp_path):
    spec = icsim.write_sweep_file(tmp_path / "tiny.toml", SWEEP["axes"],
                                  **{k: v for k, v in SWEEP.items() if k != "axes"})
    done = cli(binary, "sweep", spec, "-o", tmp_path / "cli.h5", "-q", "--threads", 2)
    assert done.returncode == 0, done.stderr
    seen = []
    swept = icsim.sweep(spec, tmp_path / "model.h5", threads=2,
                        progress=lambda done, total: seen.append((done, total)))
    assert isinstance(swept, icsim.Sweep) and len(swept.runs) == 6
    assert seen[-1] == (6, 6) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert assert_same_file(tmp_path / "cli.h5", tmp_path / "model.h5") > 10
    from_dict = icsim.sweep(dict(SWEEP), tmp_path / "dict.h5", progress=False)
    assert from_dict.results.drop(columns=[]).equals(swept.results)


def test_run_sweep_uses_the_module(tmp_path):
    spec = icsim.write_sweep_file(tmp_path / "tiny.toml", SWEEP["axes"],
                                  **{k: v for k, v in SWEEP.items() if k != "axes"})
    swept = icsim.run_sweep(spec, tmp_path / "out.h5", threads=1)
    assert swept.attrs["command_line"].startswith("icsim.sweep(")


def test_ctrl_c_stops_a_sweep_leaving_a_resumable_file(tmp_path):
    spec = dict(SWEEP, replications=100)  # 300 runs: far more than run while Ctrl-C takes effect
    state = {"interrupted": False}

    def progress(done, total):
        if done >= 2 and not state["interrupted"]:
            state["interrupted"] = True
            _thread.interrupt_main()

    with pytest.raises(KeyboardInterrupt):
        icsim.sweep(spec, tmp_path / "cut.h5", threads=2, progress=progress)
    cut = icsim.open_sweep(tmp_path / "cut.h5")
    finished = cut.runs.index[cut.finished].to_numpy()
    assert 2 <= len(finished) < 300
    with pytest.raises(icsim.ScenarioError, match="already exists"):
        icsim.sweep(spec, tmp_path / "cut.h5", progress=False)
    resumed = icsim.sweep(spec, tmp_path / "cut.h5", threads=2, progress=False, resume=True)
    assert len(resumed.runs) == 300 and resumed.finished.all()
    before = cut.results.loc[finished].select_dtypes("number")
    after = resumed.results.loc[finished].select_dtypes("number")
    assert np.array_equal(before.to_numpy(), after.to_numpy(), equal_nan=True)


# Calibration ----------------------------------------------------------------------------------------
from test_calibration import WORLD  # noqa: E402  (the small synthetic world the reader's tests use)

CALIBRATION = """
scenario = "world.toml"
seed = 3
[priors]
"shocks.volatility" = { uniform = [0.002, 0.05] }
[[targets]]
metric = "trusts_in_deficit"
years = [2019, 2020]
observed = 0.5
sd = 0.05
[abc]
population = 40
replications = 2
[stop]
generations = 3
"""


def calibration_files(folder, generations=3):
    (folder / "world.toml").write_text(WORLD)
    (folder / "c.toml").write_text(CALIBRATION.replace("generations = 3",
                                                       f"generations = {generations}"))
    return folder / "c.toml"


def posterior_datasets(path):
    with h5py.File(path, "r") as f:
        return {name: f[name][()] for name in ("posterior/shocks.volatility", "posterior/weight",
                                                "generations/particles", "generations/tolerance")}


def test_calibrate_in_process_is_the_clis_calibration(binary, tmp_path, monkeypatch):
    spec = calibration_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    done = cli(binary, "calibrate", spec, "-o", tmp_path / "cli.h5", "-q", "--threads", 2)
    assert done.returncode == 0, done.stderr
    lines = []
    cal = icsim.calibrate(spec, tmp_path / "model.h5", threads=1, progress=lines.append)
    assert isinstance(cal, icsim.Calibration) and cal.complete
    assert any(line.startswith("icsim calibration: generation 2:") for line in lines), lines
    ours, theirs = posterior_datasets(tmp_path / "model.h5"), posterior_datasets(tmp_path / "cli.h5")
    for name in ours:
        assert np.array_equal(ours[name], theirs[name]), name
    with pytest.raises(icsim.ScenarioError, match="already exists"):
        icsim.calibrate(spec, tmp_path / "model.h5", progress=False)


def test_ctrl_c_stops_a_calibration_and_resume_finishes_it(binary, tmp_path, monkeypatch):
    spec = calibration_files(tmp_path, generations=8)  # far more runs than Ctrl-C takes to act
    monkeypatch.chdir(tmp_path)
    state = {"interrupted": False}

    def progress(line):
        if "generation 0:" in line and not state["interrupted"]:
            state["interrupted"] = True
            _thread.interrupt_main()

    with pytest.raises(KeyboardInterrupt):
        icsim.calibrate(spec, tmp_path / "cut.h5", threads=2, progress=progress)
    assert state["interrupted"]
    assert (tmp_path / "cut.attempts.h5").exists()  # the runs so far, for resume
    resumed = icsim.calibrate(spec, tmp_path / "cut.h5", threads=2, progress=False, resume=True)
    assert resumed.complete
    done = cli(binary, "calibrate", spec, "-o", tmp_path / "cli.h5", "-q")
    assert done.returncode == 0, done.stderr
    ours, theirs = posterior_datasets(tmp_path / "cut.h5"), posterior_datasets(tmp_path / "cli.h5")
    for name in ours:
        assert np.array_equal(ours[name], theirs[name]), name
