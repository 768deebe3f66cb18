"""Global sensitivity analysis of sweep outputs.

Sobol indices from a Saltelli design (N base points, N(k+2) model runs): first-order indices by
the Saltelli et al. (2010) estimator and total indices by Jansen's (1999), both as recommended in
Saltelli et al. (2010), "Variance based sensitivity analysis of model output", Comput. Phys.
Commun. 181, 259-270 (table 2, estimators (b) and (f)); confidence intervals by bootstrap over
the N base points. Morris (1991) elementary effects from r one-at-a-time trajectories: mu, mu*
(Campolongo et al. 2007) and sigma, with a bootstrap interval for mu*.

The functions take the design as a DataFrame (one row a design point, in the design's order, one
column a parameter) and the model output at each point, so they work on `icsim sample` output,
on a sweep's points (`Sweep.points`) or on any other design laid out the same way.
"""

from __future__ import annotations

import warnings
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

#: Orders in which a Saltelli design may list A, B and the AB_i (A with column i from B).
#: "interleaved": for each base point j the rows A_j, AB_1j ... AB_kj, B_j (as SALib writes it);
#: "interleaved_ab": A_j, B_j, AB_1j ... AB_kj; "blocked": all of A, then B, then AB_1 ... AB_k;
#: "blocked_ab_last": A, AB_1 ... AB_k, B.
SALTELLI_LAYOUTS = ("interleaved", "interleaved_ab", "blocked", "blocked_ab_last")


class DesignError(ValueError):
    """The design does not have the structure the estimator needs."""


# Saltelli / Sobol -----------------------------------------------------------------------------
def _as_matrix(design) -> tuple[list[str], np.ndarray]:
    if isinstance(design, pd.DataFrame):
        return [str(c) for c in design.columns], design.to_numpy(dtype=object)
    values = np.asarray(design, dtype=object)
    if values.ndim != 2:
        raise DesignError("the design must be a table: one row a point, one column a parameter")
    return [f"x{i + 1}" for i in range(values.shape[1])], values


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise equality of design columns, numeric (to rounding) or categorical."""
    try:
        fa, fb = a.astype(float), b.astype(float)
    except (TypeError, ValueError):
        return a == b
    return np.isclose(fa, fb, rtol=1e-9, atol=1e-12)


def _saltelli_rows(layout: str, n: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row numbers of A [n], B [n] and AB [n, k] in a design of n(k+2) rows laid out as `layout`."""
    j = np.arange(n)
    i = np.arange(k)
    if layout == "interleaved":
        base = j * (k + 2)
        return base, base + k + 1, base[:, None] + 1 + i[None, :]
    if layout == "interleaved_ab":
        base = j * (k + 2)
        return base, base + 1, base[:, None] + 2 + i[None, :]
    if layout == "blocked":
        return j, n + j, (2 + i[None, :]) * n + j[:, None]
    if layout == "blocked_ab_last":
        return j, (k + 1) * n + j, (1 + i[None, :]) * n + j[:, None]
    raise ValueError(f"unknown Saltelli layout {layout!r}; known: {', '.join(SALTELLI_LAYOUTS)}")


def _fits_saltelli(x: np.ndarray, a: np.ndarray, b: np.ndarray, ab: np.ndarray) -> bool:
    k = x.shape[1]
    for i in range(k):
        rows = x[ab[:, i]]
        if not np.all(_same(rows[:, i], x[b, i])):
            return False
        others = [c for c in range(k) if c != i]
        if others and not np.all(_same(rows[:, others], x[a][:, others])):
            return False
    # A and B must differ, or the layout is read wrongly (or the design is degenerate).
    return not np.all(_same(x[a], x[b]))


def saltelli_layout(design) -> str:
    """Which of SALTELLI_LAYOUTS a design follows, checked against its values: each AB_i must
    equal A except in column i, where it equals B."""
    _, x = _as_matrix(design)
    rows, k = x.shape
    if rows % (k + 2):
        raise DesignError(f"a Saltelli design of {k} parameters has N({k}+2) points; this one has "
                          f"{rows}, not a multiple of {k + 2}")
    n = rows // (k + 2)
    for layout in SALTELLI_LAYOUTS:
        if _fits_saltelli(x, *_saltelli_rows(layout, n, k)):
            return layout
    raise DesignError("not a Saltelli design: no row order (A, B, AB_i) fits its points; each AB_i "
                      "must equal A except in parameter i, where it equals B")


def sobol_from_matrices(f_a, f_b, f_ab, names: Sequence[str] | None = None, n_bootstrap: int = 1000,
                        confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Sobol indices from the model outputs at A [N], B [N] and AB [N, k].

    S1_i = mean(f(B) (f(AB_i) - f(A))) / V     (Saltelli et al. 2010)
    ST_i = mean((f(A) - f(AB_i))^2) / (2 V)    (Jansen 1999)
    with V the variance of f over A and B together. f is first centred on its mean over A and B:
    the indices do not change, but the first-order estimator's variance then does not grow with
    the square of the output's mean (a surplus of -1000 +- 300, say). The interval is the
    bootstrap percentile interval over the N base points (resampled jointly across A, B and
    every AB_i).
    """
    f_a, f_b, f_ab = (np.asarray(v, dtype=float) for v in (f_a, f_b, f_ab))
    if f_ab.ndim == 1:
        f_ab = f_ab[:, None]
    k = f_ab.shape[1]
    names = list(names) if names is not None else [f"x{i + 1}" for i in range(k)]
    keep = np.isfinite(f_a) & np.isfinite(f_b) & np.all(np.isfinite(f_ab), axis=1)
    dropped = int((~keep).sum())
    if dropped:
        warnings.warn(f"{dropped} of {len(keep)} base points have missing outputs and are left out",
                      stacklevel=2)
    f_a, f_b, f_ab = f_a[keep], f_b[keep], f_ab[keep]
    n = len(f_a)
    centre = np.mean(np.concatenate([f_a, f_b])) if n else 0.0
    f_a, f_b, f_ab = f_a - centre, f_b - centre, f_ab - centre
    if n < 2:
        raise DesignError("Sobol indices need at least two complete base points")

    def estimate(index):
        a, b, ab = f_a[index], f_b[index], f_ab[index]  # [..., N] and [..., N, k]
        variance = np.var(np.concatenate([a, b], axis=-1), axis=-1)[..., None]
        with np.errstate(divide="ignore", invalid="ignore"):
            first = np.mean(b[..., None] * (ab - a[..., None]), axis=-2) / variance
            total = 0.5 * np.mean((a[..., None] - ab) ** 2, axis=-2) / variance
        return first, total, variance[..., 0]

    first, total, variance = estimate(np.arange(n))
    frame = pd.DataFrame({"S1": first, "ST": total}, index=pd.Index(names, name="parameter"))
    if n_bootstrap:
        rng = np.random.default_rng(seed)
        tail = (1 - confidence) / 2 * 100
        firsts, totals = [], []
        for chunk in np.array_split(np.arange(n_bootstrap), max(1, n_bootstrap * n * k // 2_000_000)):
            f, t, _ = estimate(rng.integers(0, n, size=(len(chunk), n)))
            firsts.append(f)
            totals.append(t)
        firsts, totals = np.concatenate(firsts), np.concatenate(totals)
        frame["S1_low"], frame["S1_high"] = np.nanpercentile(firsts, [tail, 100 - tail], axis=0)
        frame["ST_low"], frame["ST_high"] = np.nanpercentile(totals, [tail, 100 - tail], axis=0)
        frame["S1_sd"], frame["ST_sd"] = np.nanstd(firsts, axis=0), np.nanstd(totals, axis=0)
        frame = frame[["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high", "S1_sd", "ST_sd"]]
    frame.attrs.update(base_points=n, dropped=dropped, variance=float(variance),
                       confidence=confidence, n_bootstrap=n_bootstrap,
                       estimators="S1: Saltelli et al. (2010); ST: Jansen (1999)")
    return frame


def sobol(design, y, layout: str | None = None, **options) -> pd.DataFrame:
    """Sobol first-order (S1) and total (ST) indices, with bootstrap intervals, from a Saltelli
    design (one row a point, in the design's order) and the output ``y`` at each point. The row
    layout is detected from the values unless given. Options go to sobol_from_matrices."""
    names, x = _as_matrix(design)
    y = np.asarray(y, dtype=float)
    if len(y) != len(x):
        raise DesignError(f"{len(y)} outputs for {len(x)} design points")
    layout = layout or saltelli_layout(design)
    n = len(x) // (len(names) + 2)
    a, b, ab = _saltelli_rows(layout, n, len(names))
    frame = sobol_from_matrices(y[a], y[b], y[ab], names, **options)
    frame.attrs["layout"] = layout
    return frame


# Morris ---------------------------------------------------------------------------------------
def _scaled(column: np.ndarray, bound) -> np.ndarray:
    """A design column on [0, 1]: numeric by (low, high), categorical by its level's rank."""
    if isinstance(bound, (list, tuple)) and len(bound) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in bound):
        low, high = float(bound[0]), float(bound[1])
        return (column.astype(float) - low) / (high - low if high != low else 1.0)
    levels = list(bound)
    position = {v: i for i, v in enumerate(levels)}
    try:
        ranks = np.array([position[v] for v in column], dtype=float)
    except KeyError as missing:
        raise DesignError(f"value {missing} is not among the levels {levels}") from None
    return ranks / max(len(levels) - 1, 1)


def _default_bound(column: np.ndarray):
    try:
        numeric = column.astype(float)
        return float(numeric.min()), float(numeric.max())
    except (TypeError, ValueError):
        return sorted(set(column.tolist()), key=str)


def elementary_effects(design, y, bounds: Mapping[str, object] | None = None,
                       trajectory_size: int | None = None) -> pd.DataFrame:
    """Every elementary effect of a Morris design: one row per step of a trajectory, with the
    trajectory, the parameter moved, the step on the unit scale and the effect
    (y_after - y_before) / step. Parameters are scaled to [0, 1] by ``bounds`` ({name: (low,
    high)} or {name: [levels]}); without bounds, by the range the design covers."""
    names, x = _as_matrix(design)
    y = np.asarray(y, dtype=float)
    rows, k = x.shape
    size = trajectory_size or k + 1
    if len(y) != rows:
        raise DesignError(f"{len(y)} outputs for {rows} design points")
    if rows % size:
        raise DesignError(f"a Morris design of {k} parameters has r({k}+1) points; this one has "
                          f"{rows}, not a multiple of {size}")
    bounds = dict(bounds or {})
    unit = np.column_stack([_scaled(x[:, i], bounds.get(name) or _default_bound(x[:, i]))
                            for i, name in enumerate(names)])
    records = []
    for t in range(rows // size):
        for s in range(size - 1):
            before, after = t * size + s, t * size + s + 1
            moved = np.flatnonzero(~_same(x[before], x[after]))
            if len(moved) != 1:
                raise DesignError(
                    f"not a Morris design: points {before} and {after} (trajectory {t}) differ in "
                    f"{len(moved)} parameters, not one")
            i = moved[0]
            step = unit[after, i] - unit[before, i]
            records.append({"trajectory": t, "parameter": names[i], "step": step,
                            "effect": (y[after] - y[before]) / step})
    return pd.DataFrame(records)


def morris(design, y, bounds: Mapping[str, object] | None = None, n_bootstrap: int = 1000,
           confidence: float = 0.95, seed: int = 0, trajectory_size: int | None = None
           ) -> pd.DataFrame:
    """Morris statistics per parameter: mu (mean elementary effect), mu_star (mean absolute
    effect), sigma (standard deviation of effects), with a bootstrap interval for mu_star.
    Effects are in output units per whole range of the parameter (see elementary_effects)."""
    effects = elementary_effects(design, y, bounds, trajectory_size)
    names, _ = _as_matrix(design)
    rng = np.random.default_rng(seed)
    tail = (1 - confidence) / 2 * 100
    rows = []
    for name in names:
        values = effects.loc[effects["parameter"] == name, "effect"].to_numpy()
        values = values[np.isfinite(values)]
        row = {"parameter": name, "mu": np.nan, "mu_star": np.nan, "sigma": np.nan,
               "mu_star_low": np.nan, "mu_star_high": np.nan, "effects": len(values)}
        if len(values):
            row.update(mu=values.mean(), mu_star=np.abs(values).mean(),
                       sigma=values.std(ddof=1) if len(values) > 1 else np.nan)
            if n_bootstrap:
                samples = np.abs(values)[rng.integers(0, len(values), size=(n_bootstrap, len(values)))]
                row["mu_star_low"], row["mu_star_high"] = np.percentile(
                    samples.mean(axis=1), [tail, 100 - tail])
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("parameter")
    frame.attrs.update(trajectories=int(effects["trajectory"].nunique()) if len(effects) else 0,
                       confidence=confidence)
    return frame


# Reference designs and test functions ---------------------------------------------------------
# icsim's own designs come from `icsim sample SWEEP.toml`; these are independent constructions for
# checking the estimators and for designs outside icsim.
def saltelli_design(bounds: Mapping[str, tuple[float, float]], n: int, skip: int = 1,
                    layout: str = "interleaved") -> pd.DataFrame:
    """A Saltelli design of N = n base points from a 2k-dimensional (unscrambled) Sobol sequence:
    A its first k columns, B its last k. Reference construction, not icsim's."""
    from scipy.stats import qmc

    names = list(bounds)
    k = len(names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # balance warnings for n not a power of two
        base = qmc.Sobol(d=2 * k, scramble=False).random(n + skip)[skip:]
    a, b = base[:, :k], base[:, k:]
    rows_a, rows_b, rows_ab = _saltelli_rows(layout, n, k)
    x = np.empty((n * (k + 2), k))
    x[rows_a], x[rows_b] = a, b
    for i in range(k):
        ab = a.copy()
        ab[:, i] = b[:, i]
        x[rows_ab[:, i]] = ab
    low = np.array([bounds[p][0] for p in names], dtype=float)
    high = np.array([bounds[p][1] for p in names], dtype=float)
    return pd.DataFrame(low + x * (high - low), columns=names)


def morris_design(bounds: Mapping[str, tuple[float, float]], trajectories: int, levels: int = 4,
                  seed: int = 0) -> pd.DataFrame:
    """Morris (1991) trajectories on a grid of `levels` levels with step levels / (2 (levels - 1)):
    a random grid point, then each parameter moved once, in random order, up or down.
    Reference construction, not icsim's."""
    rng = np.random.default_rng(seed)
    names = list(bounds)
    k = len(names)
    delta = levels / (2 * (levels - 1))
    grid = np.arange(levels) / (levels - 1)
    points = []
    for _ in range(trajectories):
        x = rng.choice(grid, size=k)
        points.append(x.copy())
        for i in rng.permutation(k):
            up = x[i] + delta <= 1 + 1e-12 and (x[i] - delta < -1e-12 or rng.random() < 0.5)
            x[i] = x[i] + delta if up else x[i] - delta
            points.append(x.copy())
    unit = np.array(points)
    low = np.array([bounds[p][0] for p in names], dtype=float)
    high = np.array([bounds[p][1] for p in names], dtype=float)
    return pd.DataFrame(low + unit * (high - low), columns=names)


def ishigami(x, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """The Ishigami function of three inputs on [-pi, pi]^3."""
    x = np.asarray(x, dtype=float)
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> pd.DataFrame:
    """The Ishigami function's analytic first-order and total indices."""
    pi = np.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * 8 / 225
    variance = v1 + v2 + v13
    return pd.DataFrame({"S1": [v1 / variance, v2 / variance, 0.0],
                         "ST": [(v1 + v13) / variance, v2 / variance, v13 / variance]},
                        index=pd.Index(["x1", "x2", "x3"], name="parameter"))
