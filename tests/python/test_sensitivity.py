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


# Sobol on icsim sample's runs, with replications ------------------------------------------------
def seeded_noise(seeds, sd):
    """Noise that is a function of the run's seed alone, as a stochastic model's is."""
    return np.array([np.random.default_rng(int(s)).normal(0, sd) for s in seeds])


@pytest.mark.parametrize("common", [False, True])
def test_sobol_on_sample_with_replications(binary, tmp_path, common):
    """`icsim sample` of a replicated Sobol sweep goes to sobol() as it is: the run columns are
    not parameters, replications are averaged per point, and the noise part of each ST is
    sigma^2 / (R V) with independent seeds and 0 with common seeds (the noise is a function of
    the seed, which a base point's runs then share)."""
    if not has_command(binary, "sample"):
        pytest.skip("icsim sample is not built yet")
    replications, sd = 4, 0.5
    sweep = icsim.write_sweep_file(tmp_path / "s.toml", {a: {"min": 0.0, "max": 1.0} for a in AXES},
                                   scenario="england-2019", years=1, replications=replications,
                                   seed=3, design="sobol", samples=512, record=["summary"],
                                   common_seeds=common)
    table = icsim.sample_design(sweep, binary=binary)
    assert list(table.columns[:4]) == ["run", "point", "replication", "seed"]
    coefficients = np.array([1.0, 2.0, 0.0])
    clean = table[list(AXES)].to_numpy(dtype=float) @ coefficients
    y = clean + seeded_noise(table["seed"], sd)
    indices = sensitivity.sobol(table, y, n_bootstrap=0)
    assert list(indices.index) == list(AXES)
    averaged = sensitivity.sobol(table.groupby("point")[list(AXES)].first(),
                                 pd.Series(y).groupby(table["point"]).mean().to_numpy(), n_bootstrap=0)
    np.testing.assert_allclose(indices["ST"], averaged["ST"])
    variance = indices.attrs["variance"]
    noise = sd**2 / replications
    assert indices.attrs["noise_share"] == pytest.approx(noise / variance, rel=0.15)
    if common:
        np.testing.assert_allclose(indices["ST_noise"], 0, atol=1e-12)
        # The differences inside a base point carry no noise: ST is the clean model's, over V.
        share = coefficients**2 / 12 / variance
        np.testing.assert_allclose(indices["ST"], share, atol=0.02)
    else:
        np.testing.assert_allclose(indices["ST_noise"], noise / variance, rtol=0.2)
        assert indices["ST"].iloc[2] == pytest.approx(noise / variance, rel=0.3)  # inert: all noise


# Convergence with N ------------------------------------------------------------------------------
def test_sobol_convergence_is_prefix_of_the_design(binary, tmp_path):
    """icsim's Sobol design of N base points begins with the design of n < N, so the indices from
    the first n base points are those of the smaller sweep; the last step is the whole design,
    and the intervals narrow as N grows."""
    small = icsim_design(binary, tmp_path, "sobol", 64)
    large = icsim_design(binary, tmp_path, "sobol", 1024)
    pd.testing.assert_frame_equal(small, large.iloc[:len(small)])
    y = sensitivity.ishigami(on_interval(large.to_numpy(), -np.pi, np.pi))
    steps = sensitivity.sobol_convergence(large, y, n_bootstrap=200)
    assert sorted(steps.index.get_level_values("N").unique()) == [8, 16, 32, 64, 128, 256, 512, 1024]
    whole = sensitivity.sobol(large, y, n_bootstrap=200)
    np.testing.assert_allclose(steps.loc[1024, "ST"], whole["ST"])
    first = sensitivity.sobol(small, y[:len(small)], n_bootstrap=0)
    np.testing.assert_allclose(steps.loc[64, "S1"], first["S1"])
    width = (steps["ST_high"] - steps["ST_low"]).groupby("N").mean()
    assert width[1024] < width[64] / 2


# PRCC and SRRC -----------------------------------------------------------------------------------
def gaussian_linear(n=4000, coefficients=(1.0, -0.5, 0.2, 0.0), noise=0.5, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(coefficients)))
    y = x @ np.array(coefficients) + rng.normal(0, noise, n)
    return pd.DataFrame(x, columns=[f"x{i + 1}" for i in range(len(coefficients))]), y


def test_partial_correlation_matches_its_analytic_value():
    """y = sum b_i x_i + e, independent standard normal x and e ~ N(0, s^2): the partial
    correlation of x_i and y is b_i / sqrt(b_i^2 + s^2)."""
    b, s = np.array([1.0, -0.5, 0.2, 0.0]), 0.5
    x, y = gaussian_linear(coefficients=b, noise=s)
    truth = b / np.sqrt(b**2 + s**2)
    pcc = sensitivity.prcc(x, y, rank=False, confidence=0.99)
    np.testing.assert_allclose(pcc["PCC"], truth, atol=0.05)  # 3 standard errors at n = 4000
    assert ((pcc["PCC_low"] <= truth) & (truth <= pcc["PCC_high"])).all()
    ranked = sensitivity.prcc(x, y)  # ranks of normal variables: close to the Pearson values
    np.testing.assert_allclose(ranked["PRCC"], truth, atol=0.06)
    assert (ranked["p_value"][:3] < 1e-10).all()


def test_prcc_of_a_monotone_function_ranks_the_inputs():
    """A nonlinear but monotone function: PRCC is unchanged by increasing transformations of the
    inputs and the output, orders the inputs by their effects, gives their signs, and leaves an
    inert input near 0; a Latin hypercube from icsim-like columns with a categorical left out."""
    rng = np.random.default_rng(2)
    n = 3000
    x = pd.DataFrame(rng.random((n, 4)), columns=["strong", "medium", "negative", "inert"])
    x["rule"] = rng.choice(["pro_rata", "need"], n)
    y = np.exp(3 * x["strong"]) + 4 * x["medium"] ** 3 - 2 * x["negative"] + rng.normal(0, 0.5, n)
    result = sensitivity.prcc(x, y)
    assert result.attrs["left_out"] == ["rule"]
    assert result.loc["strong", "PRCC"] > result.loc["medium", "PRCC"] > 0.3
    assert result.loc["negative", "PRCC"] < -0.3
    assert abs(result.loc["inert", "PRCC"]) < 0.05
    transformed = x.assign(strong=np.exp(x["strong"]), medium=x["medium"] ** 5)
    again = sensitivity.prcc(transformed, np.log(y - y.min() + 1))
    np.testing.assert_allclose(again["PRCC"], result["PRCC"], atol=1e-12)


def test_src_of_a_linear_model_is_its_standardised_coefficients():
    rng = np.random.default_rng(3)
    n = 2000
    low, high = np.array([0.0, 10.0, -1.0]), np.array([1.0, 12.0, 1.0])
    x = pd.DataFrame(low + rng.random((n, 3)) * (high - low), columns=["a", "b", "c"])
    b = np.array([3.0, -2.0, 0.5])
    y = x.to_numpy() @ b + 7
    exact = b * x.std(ddof=0).to_numpy() / y.std()
    src = sensitivity.srrc(x, y, rank=False)
    np.testing.assert_allclose(src["SRC"], exact, atol=1e-10)
    assert src.attrs["r2"] == pytest.approx(1.0)
    # Ranks of uniform inputs are linear in them; the output's ranks nearly so: SRRC is close.
    srrc = sensitivity.srrc(x, y)
    np.testing.assert_allclose(srrc["SRRC"], exact, atol=0.03)
    assert srrc.attrs["r2"] > 0.95
    assert ((srrc["SRRC_low"] < srrc["SRRC"]) & (srrc["SRRC"] < srrc["SRRC_high"])).all()


def test_rank_methods_refuse_what_they_cannot_measure():
    x = pd.DataFrame({"a": np.linspace(0, 1, 20), "rule": ["x", "y"] * 10})
    with pytest.raises(sensitivity.DesignError, match="does not vary"):
        sensitivity.prcc(x, np.ones(20))
    with pytest.raises(sensitivity.DesignError, match="no numeric parameter"):
        sensitivity.srrc(x[["rule"]], np.arange(20.0))


# Feature scores ----------------------------------------------------------------------------------
def test_feature_scores_see_non_monotone_effects_and_categories():
    """cos(2 pi x1) has no monotone trend (PRCC near 0), yet it drives the output: extra trees
    score it first, then the category, then x2; the inert x3 scores least."""
    rng = np.random.default_rng(4)
    n = 600
    x = pd.DataFrame(rng.random((n, 3)), columns=["x1", "x2", "x3"])
    x["rule"] = rng.choice(["pro_rata", "need", "equal"], n)
    y = 2 * np.cos(2 * np.pi * x["x1"]) + np.where(x["rule"] == "need", 1.0, 0.0) + 0.5 * x["x2"]
    assert abs(sensitivity.prcc(x, y).loc["x1", "PRCC"]) < 0.15
    scores = sensitivity.feature_scores(x, y, n_estimators=100)
    assert list(scores.index) == ["x1", "rule", "x2", "x3"]
    assert scores["score"].sum() == pytest.approx(1.0)
    assert scores.loc["x3", "score"] < 0.05
    assert scores.attrs["score"] > 0.8  # out-of-bag R^2
    flags = sensitivity.feature_scores(x, (y > 1).to_numpy(), n_estimators=100)
    assert flags.attrs["method"] == "extra trees classifier"
    assert flags.index[0] == "x1"
