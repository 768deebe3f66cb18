"""The calibration reader (icsim.open_calibration) on a small calibration made by the icsim
binary: the posterior and its summary against h5py's raw view of the file, the fit table against
the predictive runs, plots and the HTML report."""

import subprocess

import h5py
import numpy as np
import pytest

import icsim
from icsim.calibration import weighted_quantile

CALIBRATION = """
scenario = "world.toml"
seed = 2
[priors]
"shocks.volatility" = { uniform = [0.002, 0.05] }
"finance.margin_sd.acute" = { log_uniform = [0.005, 0.1] }
[[targets]]
metric = "trusts_in_deficit"
years = [2019, 2020]
observed = 0.5
sd = 0.05
[[targets]]
name = "systems_in_deficit"
metric = "surplus"
level = "system"
statistic = "share"
below = 0.0
year = 2020
observed = 0.5
sd = 0.1
[abc]
population = 30
replications = 2
[stop]
generations = 3
"""

WORLD = """
[population]
source = "synthetic"
organisations = 300
systems = 6
[run]
years = 2
"""


@pytest.fixture(scope="module")
def posterior_file(binary, tmp_path_factory):
    folder = tmp_path_factory.mktemp("calibration")
    (folder / "world.toml").write_text(WORLD)
    (folder / "c.toml").write_text(CALIBRATION)
    out = folder / "post.h5"
    subprocess.run([binary, "calibrate", str(folder / "c.toml"), "-o", str(out), "-q"],
                   check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def cal(posterior_file):
    return icsim.open_calibration(posterior_file)


def test_opens_as_a_calibration(posterior_file, cal):
    assert isinstance(icsim.open(posterior_file), icsim.Calibration)
    assert cal.complete
    assert cal.stopped == "3 generations"
    assert cal.parameters == ["finance.margin_sd.acute", "shocks.volatility"]
    assert "2 parameters, 2 targets, 3 generations" in repr(cal)
    with pytest.raises(icsim.IcsimFileError, match="icsim.open_calibration"):
        icsim.open_sweep(posterior_file)


def test_posterior_and_summary_follow_the_file(posterior_file, cal):
    with h5py.File(posterior_file, "r") as f:
        weights = f["posterior/weight"][:]
        volatility = f["posterior/shocks.volatility"][:]
        last = f["generations/particles"][-1]
    post = cal.posterior
    assert np.array_equal(post["weight"].to_numpy(), weights)
    assert np.array_equal(post["shocks.volatility"].to_numpy(), last[:, 1])
    assert post["weight"].sum() == pytest.approx(1.0)
    summary = cal.summary()
    mean = np.sum(weights * volatility)
    assert summary.loc["shocks.volatility", "mean"] == pytest.approx(mean)
    assert summary.loc["shocks.volatility", "sd"] == pytest.approx(
        np.sqrt(np.sum(weights * (volatility - mean) ** 2)))
    assert summary.loc["shocks.volatility", "prior_sd"] == pytest.approx(0.048 / np.sqrt(12))
    assert (summary["low"] <= summary["median"]).all() and (summary["median"] <= summary["high"]).all()
    drawn = cal.sample(50, seed=1)
    assert set(drawn["particle"]) <= set(post.index)
    assert len(cal.particles(0)) == 30
    assert np.isinf(cal.generations["tolerance"].iloc[0])


def test_fit_table_agrees_with_the_predictive_runs(cal):
    runs = cal.predictive
    assert runs.dims == ("particle", "replication", "target")
    weights = np.repeat(cal.posterior["weight"].to_numpy() / 2, 2)
    for target in cal.fit.index:
        values = runs.sel(target=target).to_numpy().reshape(-1)
        row = cal.fit.loc[target]
        assert row["predicted_median"] == weighted_quantile(values, weights, 0.5)
        assert row["predicted_low"] == weighted_quantile(values, weights, 0.05)
        assert row["predicted_high"] == weighted_quantile(values, weights, 0.95)
        mean = np.sum(weights * values)
        variance = np.sum(weights * (values - mean) ** 2)
        sd = cal.targets.loc[target, "sd"]
        assert row["implausibility"] == pytest.approx(
            abs(row["observed"] - mean) / np.sqrt(sd ** 2 + variance))
        # The median's error in stated uncertainties, signed (issue 13: within 2 of them).
        assert row["median_error_sd"] == pytest.approx(
            (weighted_quantile(values, weights, 0.5) - row["observed"]) / sd)
    checks = cal.predictive_checks()
    assert ((checks["quantile_of_observed"] >= 0) & (checks["quantile_of_observed"] <= 1)).all()
    assert list(checks.index) == list(cal.fit.index)


def test_plots_and_report(posterior_file, cal, tmp_path):
    axes = cal.plot_marginals()
    assert len(axes) == 2
    assert axes[1].get_xscale() == "linear" and axes[0].get_xscale() == "log"  # log-uniform prior
    assert len(cal.plot_predictive()) == 2
    figure = cal.plot_pairs()
    assert len(figure.axes) == 4
    cal.plot_generations()
    out = tmp_path / "report.html"
    subprocess.run(["/usr/bin/python3", "-m", "icsim", "report", str(posterior_file), "-o", str(out)],
                   check=True, capture_output=True)
    text = out.read_text()
    for heading in ("Generations", "Posterior against the priors", "Fit", "systems_in_deficit"):
        assert heading in text
    assert text.count("<img") >= 4
