"""Scenario discovery (PRIM and CART) on synthetic data with a planted box: the box comes back
within 0.05 on each limit, the categorical levels that matter come back, and the trajectory has
the coverage-density trade-off that makes PRIM useful. Then on a real sweep of the model."""

import numpy as np
import pandas as pd
import pytest
from conftest import has_command

import icsim
from icsim import discovery

PLANTED = {"a": (0.2, 0.6), "b": (0.3, 0.8)}


def planted(n=2000, seed=1, flip=0.0):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((n, 4)), columns=["a", "b", "c", "d"])
    x["rule"] = rng.choice(["pro_rata", "need", "equal", "leader"], n)
    inside = np.ones(n, dtype=bool)
    for name, (low, high) in PLANTED.items():
        inside &= x[name].between(low, high).to_numpy()
    inside &= x["rule"].isin(["need", "equal"]).to_numpy()
    noisy = inside ^ (rng.random(n) < flip)
    return x, noisy, inside


@pytest.mark.parametrize("flip", [0.0, 0.05])
def test_prim_recovers_a_planted_box(flip):
    x, y, _ = planted(flip=flip)
    result = discovery.prim(x, y, min_density=0.75 if flip else 0.9)
    limits = result.limits()
    assert set(limits.index) == {"a", "b", "rule"}, limits
    for name, (low, high) in PLANTED.items():
        assert limits.loc[name, "low"] == pytest.approx(low, abs=0.05)
        assert limits.loc[name, "high"] == pytest.approx(high, abs=0.05)
    assert limits.loc["rule", "levels"] == "equal, need"
    assert (limits["quasi_p"] < 1e-6).all()
    stats = result.stats()
    inside = result.box().contains(x)
    truth = x.index.isin(np.flatnonzero(planted(flip=flip)[2]))
    assert (inside & truth).sum() > 0.9 * truth.sum()  # the planted points, not only the flipped
    assert stats["density"] > 0.75


def test_prim_trajectory_trades_coverage_for_density():
    x, y, _ = planted(flip=0.05)
    trajectory = discovery.prim(x, y).trajectory
    assert trajectory["coverage"].iloc[0] == 1.0
    assert trajectory["mass"].iloc[0] == 1.0
    assert trajectory["density"].iloc[0] == pytest.approx(y.mean())
    assert (np.diff(trajectory["mass"]) < 0).all()  # each peel takes points off
    assert (np.diff(trajectory["coverage"]) <= 1e-12).all()
    assert trajectory["density"].iloc[-1] > 3 * y.mean()
    assert trajectory["mass"].iloc[-1] >= 0.05


def test_prim_pasting_recovers_an_overpeeled_limit():
    """Coarse peels (20% of the box at a time) overshoot the planted limits; pasting moves them
    back out, which raises the density."""
    x, y, _ = planted()
    result = discovery.prim(x, y, peel_alpha=0.2, paste_alpha=0.02, min_density=0.99)
    peeled, pasted = result.box(paste=False), result.box()
    inside_peeled, inside_pasted = peeled.contains(x), pasted.contains(x)
    assert inside_pasted.sum() >= inside_peeled.sum()
    assert y[inside_pasted].sum() >= y[inside_peeled].sum()
    for name, (low, high) in PLANTED.items():
        assert pasted.limits[name][0] == pytest.approx(low, abs=0.05)
        assert pasted.limits[name][1] == pytest.approx(high, abs=0.05)


def test_prim_refuses_what_it_cannot_use():
    x, y, _ = planted(n=100)
    with pytest.raises(ValueError, match="boolean"):
        discovery.prim(x, y.astype(float))
    with pytest.raises(ValueError, match="no case of interest"):
        discovery.prim(x, np.zeros(100, dtype=bool))


def test_cart_finds_the_planted_box_as_leaves():
    """A tree splits one level off at a time: the planted box comes back as two pure leaves, one
    for each rule, with the planted numeric limits."""
    x, y, _ = planted()
    leaves = discovery.cart(x, y)
    assert leaves["coverage"].sum() == pytest.approx(1.0)  # leaves partition the cases
    best = leaves.iloc[:2]
    assert (best["density"] == 1.0).all()
    assert best["coverage"].sum() > 0.95
    rules = set()
    for box in leaves.attrs["boxes"][:2]:
        for name, (low, high) in PLANTED.items():
            assert box.limits[name][0] == pytest.approx(low, abs=0.05)
            assert box.limits[name][1] == pytest.approx(high, abs=0.05)
        rules |= box.limits["rule"]
    assert rules == {"need", "equal"}


def test_prim_on_a_sweep(binary, tmp_path):
    """Sweep.prim: cases of interest are design points whose mean metric reaches a threshold."""
    if not has_command(binary, "sweep"):
        pytest.skip("icsim sweep is not built yet")
    sweep_file = icsim.write_sweep_file(
        tmp_path / "lhs.toml", {"policy.system_tied_share": {"min": 0.0, "max": 1.0},
                                "trust.initial": {"min": 0.2, "max": 0.8}},
        scenario="england-2020", years=3, replications=1, seed=5, design="latin_hypercube",
        samples=60, record=["summary"])
    sweep = icsim.run_sweep(sweep_file, tmp_path / "lhs.h5", binary=binary, progress=False)
    metric = "final_mean_trust"
    threshold = float(np.median(sweep.summary[metric]))
    result = sweep.prim(metric, threshold)
    assert result.attrs == {"metric": metric, "threshold": threshold, "above": True}
    assert result.y.sum() == (sweep.summary[metric] >= threshold).sum()
    assert result.stats()["density"] > 0.5
