"""Sobol indices (Saltelli 2010 first order, Jansen total) and Morris statistics against functions
whose indices are known analytically, on icsim's own designs (`icsim sample`) and on the
package's reference constructions. Tolerances are tight enough to catch a wrong estimator:
swapping S1 and ST, dropping Jansen's 1/2, using f(A) for f(B) all fail them."""

import numpy as np
import pandas as pd
import pytest
from conftest import has_command

import icsim
from icsim import sensitivity

# Three registry parameters on [0, 1], standing in for the test functions' inputs.
AXES = ("policy.system_tied_share", "policy.transition_pressure", "trust.initial")


def icsim_design(binary, tmp_path, design, samples, seed=11):
    if not has_command(binary, "sample"):
        pytest.skip("icsim sample is not built yet")
    sweep = icsim.write_sweep_file(tmp_path / f"{design}.toml", {a: {"min": 0.0, "max": 1.0} for a in AXES},
                                   scenario="england-2019", years=1, replications=1, seed=seed,
                                   design=design, samples=samples, record=["summary"])
    table = icsim.sample_design(sweep, binary=binary)
    if "point" in table:
        table = table.groupby("point", sort=True).first()
    return table[list(AXES)].reset_index(drop=True)


def reference_design(design, samples, seed=11):
    bounds = {a: (0.0, 1.0) for a in AXES}
    if design == "sobol":
        return sensitivity.saltelli_design(bounds, samples)
    return sensitivity.morris_design(bounds, samples, seed=seed)


@pytest.fixture(params=["icsim", "reference"])
def design_of(request, binary, tmp_path):
    """A function (design, samples) -> design table on [0, 1]^3, from `icsim sample` or from the
    package's own reference construction."""
    if request.param == "icsim":
        return lambda design, samples: icsim_design(binary, tmp_path, design, samples)
    return reference_design


def on_interval(unit, low, high):
    return low + np.asarray(unit, dtype=float) * (high - low)


# Sobol ----------------------------------------------------------------------------------------
def test_ishigami(design_of):
    design = design_of("sobol", 4096)
    assert len(design) == 4096 * (3 + 2)
    assert sensitivity.saltelli_layout(design) == "interleaved"
    x = on_interval(design.to_numpy(), -np.pi, np.pi)
    indices = sensitivity.sobol(design, sensitivity.ishigami(x), n_bootstrap=300)
    truth = sensitivity.ishigami_indices()
    assert np.allclose(truth["S1"], [0.3139, 0.4424, 0.0], atol=1e-4)
    assert np.allclose(truth["ST"], [0.5576, 0.4424, 0.2437], atol=1e-4)
    np.testing.assert_allclose(indices["S1"], truth["S1"], atol=0.03)
    np.testing.assert_allclose(indices["ST"], truth["ST"], atol=0.02)
    # Each interval holds the truth (allowing for the bootstrap's own noise) and is narrow.
    assert ((indices["S1_low"] - 0.01 <= truth["S1"].values) &
            (truth["S1"].values <= indices["S1_high"] + 0.01)).all()
    assert ((indices["ST_low"] - 0.01 <= truth["ST"].values) &
            (truth["ST"].values <= indices["ST_high"] + 0.01)).all()
    assert (indices["S1_high"] - indices["S1_low"]).max() < 0.12
    assert indices.attrs["base_points"] == 4096


def test_linear_function(design_of):
    """f = sum a_i x_i with independent uniform inputs: S1_i = ST_i = a_i^2 w_i^2 / sum_j a_j^2 w_j^2."""
    design = design_of("sobol", 1024)
    coefficients = np.array([1.0, -2.0, 4.0])
    low, high = np.array([0.0, 1.0, -1.0]), np.array([1.0, 3.0, 0.0])
    x = on_interval(design.to_numpy(), low, high)
    y = x @ coefficients + 5.0
    share = (coefficients * (high - low)) ** 2
    share /= share.sum()
    indices = sensitivity.sobol(design, y, n_bootstrap=200)
    np.testing.assert_allclose(indices["S1"], share, atol=0.01)
    np.testing.assert_allclose(indices["ST"], share, atol=0.01)
    assert indices["ST"].sum() == pytest.approx(1.0, abs=0.02)  # additive: no interactions


def test_interaction_only_function():
    """f = x1 x2 on [-1, 1]^2 (plus an inert x3): no first-order effect, all in interaction,
    so S1 = 0 and ST1 = ST2 = 1, ST3 = 0."""
    design = reference_design("sobol", 2048)
    x = on_interval(design.to_numpy(), -1, 1)
    indices = sensitivity.sobol(design, x[:, 0] * x[:, 1], n_bootstrap=0)
    np.testing.assert_allclose(indices["S1"], [0, 0, 0], atol=0.03)
    np.testing.assert_allclose(indices["ST"], [1, 1, 0], atol=0.03)


def test_layouts_are_detected_and_wrong_designs_refused():
    bounds = {a: (0.0, 1.0) for a in AXES}
    for layout in sensitivity.SALTELLI_LAYOUTS:
        design = sensitivity.saltelli_design(bounds, 64, layout=layout)
        assert sensitivity.saltelli_layout(design) == layout
        x = on_interval(design.to_numpy(), -np.pi, np.pi)
        same = sensitivity.sobol(design, sensitivity.ishigami(x), n_bootstrap=0)
        reference = sensitivity.sobol(sensitivity.saltelli_design(bounds, 64),
                                      sensitivity.ishigami(on_interval(
                                          sensitivity.saltelli_design(bounds, 64).to_numpy(),
                                          -np.pi, np.pi)), n_bootstrap=0)
        np.testing.assert_allclose(same["S1"], reference["S1"])
    shuffled = sensitivity.saltelli_design(bounds, 64).sample(frac=1, random_state=1)
    with pytest.raises(sensitivity.DesignError, match="not a Saltelli design"):
        sensitivity.sobol(shuffled, np.zeros(len(shuffled)))
    with pytest.raises(sensitivity.DesignError, match="multiple of 5"):
        sensitivity.sobol(sensitivity.saltelli_design(bounds, 64).iloc[:-1], np.zeros(319))


def test_categorical_axis_and_missing_outputs():
    """A categorical axis (as icsim's Sobol designs allow) and a failed run: the base points with
    a missing output are left out, with a warning."""
    bounds = {"a": (0.0, 1.0), "b": (0.0, 1.0)}
    design = sensitivity.saltelli_design(bounds, 512)
    design["b"] = np.where(design["b"] < 0.5, "pro_rata", "need")
    y = design["a"].to_numpy() + np.where(design["b"] == "need", 1.0, 0.0)
    y[7] = np.nan
    with pytest.warns(UserWarning, match="1 of 512 base points"):
        indices = sensitivity.sobol(design, y, n_bootstrap=100)
    # Var(a) = 1/12, Var(b) = 1/4: shares 0.25 and 0.75.
    np.testing.assert_allclose(indices["S1"], [0.25, 0.75], atol=0.03)
    np.testing.assert_allclose(indices["ST"], [0.25, 0.75], atol=0.03)
    assert indices.attrs["dropped"] == 1


def test_wrong_estimators_would_fail():
    """The tolerances above discriminate: plausible mistakes move the estimates far outside them."""
    design = reference_design("sobol", 4096)
    y = sensitivity.ishigami(on_interval(design.to_numpy(), -np.pi, np.pi))
    a, b, ab = sensitivity._saltelli_rows("interleaved", 4096, 3)
    fa, fb, fab = y[a], y[b], y[ab]
    variance = np.var(np.r_[fa, fb])
    truth = sensitivity.ishigami_indices()
    wrong_first = np.mean(fa[:, None] * (fab - fa[:, None]), axis=0) / variance  # f(A) for f(B)
    wrong_total = np.mean((fa[:, None] - fab) ** 2, axis=0) / variance  # Jansen without 1/2
    assert np.max(np.abs(wrong_first - truth["S1"].values)) > 0.1
    assert np.max(np.abs(wrong_total - truth["ST"].values)) > 0.1
    assert np.max(np.abs(truth["ST"].values - truth["S1"].values)) > 0.2  # swapping S1/ST fails


# Morris ---------------------------------------------------------------------------------------
def test_morris_linear(design_of):
    design = design_of("morris", 20)
    assert len(design) == 20 * (3 + 1)
    coefficients = np.array([3.0, -2.0, 0.5])
    low, high = np.array([0.0, 10.0, -1.0]), np.array([1.0, 12.0, 1.0])
    x = on_interval(design.to_numpy(), low, high)
    scaled = pd.DataFrame(x, columns=AXES)
    bounds = {a: (lo, hi) for a, lo, hi in zip(AXES, low, high)}
    stats = sensitivity.morris(scaled, x @ coefficients, bounds=bounds)
    effect = coefficients * (high - low)  # per whole range
    np.testing.assert_allclose(stats["mu"], effect, atol=1e-9)
    np.testing.assert_allclose(stats["mu_star"], np.abs(effect), atol=1e-9)
    np.testing.assert_allclose(stats["sigma"], 0, atol=1e-9)
    assert (stats["effects"] == 20).all()


def test_morris_nonmonotone_and_interaction(design_of):
    """f = (x1 - 1/2)^2 + x2 x3 on [0, 1]^3 with 4 levels (step 2/3): x1's effects are +-1/3, so
    mu* = 1/3 while mu is near 0; x2's effect is x3 (and x3's is x2), so sigma > 0."""
    design = design_of("morris", 40)
    x = design.to_numpy(dtype=float)
    y = (x[:, 0] - 0.5) ** 2 + x[:, 1] * x[:, 2]
    stats = sensitivity.morris(design, y, bounds={a: (0.0, 1.0) for a in AXES})
    assert stats.loc[AXES[0], "mu_star"] == pytest.approx(1 / 3, abs=1e-9)
    assert abs(stats.loc[AXES[0], "mu"]) < stats.loc[AXES[0], "mu_star"]
    assert stats.loc[AXES[0], "sigma"] > 0.2
    for name in AXES[1:]:
        assert 0.2 < stats.loc[name, "mu_star"] < 0.8
        assert stats.loc[name, "sigma"] > 0.1
        assert stats.loc[name, "mu_star_low"] <= stats.loc[name, "mu_star"] <= stats.loc[name, "mu_star_high"]


def test_morris_refuses_other_designs():
    design = sensitivity.saltelli_design({a: (0.0, 1.0) for a in AXES}, 8)
    with pytest.raises(sensitivity.DesignError, match="not a Morris design"):
        sensitivity.morris(design.iloc[:32], np.zeros(32))
    with pytest.raises(sensitivity.DesignError, match="multiple of 4"):
        sensitivity.morris(design.iloc[:30], np.zeros(30))
