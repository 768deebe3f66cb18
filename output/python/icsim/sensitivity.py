"""Global sensitivity analysis of sweep outputs.

Sobol indices from a Saltelli design (N base points, N(k+2) model runs): first-order indices by
the Saltelli et al. (2010) estimator and total indices by Jansen's (1999), both as recommended in
Saltelli et al. (2010), "Variance based sensitivity analysis of model output", Comput. Phys.
Commun. 181, 259-270 (table 2, estimators (b) and (f)); confidence intervals by bootstrap over
the N base points. Morris (1991) elementary effects from r one-at-a-time trajectories: mu, mu*
(Campolongo et al. 2007) and sigma, with a bootstrap interval for mu*.

For any design (Latin hypercube, factorial, Sobol, Morris, or runs of no design at all):
partial rank correlation coefficients (PRCC) and standardised rank regression coefficients (SRRC)
(Saltelli et al. 2004, "Sensitivity analysis in practice", ch. 1; Marino et al. 2008, J. Theor.
Biol. 254, 178-196), and feature scores from extremely randomised trees (Geurts et al. 2006), as
the EMA Workbench computes them. For a Sobol design, `sobol_convergence` gives the indices from
the first n base points for growing n (icsim's design is prefix-compatible).

The functions take the design as a DataFrame (one row a design point, in the design's order, one
column a parameter) and the model output at each point, so they work on `icsim sample` output,
on a sweep's points (`Sweep.points`) or on any other design laid out the same way. A design with
icsim's run columns (run, point, replication, seed: `icsim sample` output or a sweep's runs
table) is first reduced to one row a point, the output averaged over the point's replications;
Sobol indices then also estimate how much of each total index is noise between replications.
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


#: Columns of `icsim sample` output and of a sweep's runs table that are not parameters.
RUN_COLUMNS = ("run", "point", "replication", "seed", "status", "message")


def replicated(design, y) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """For a design with icsim's run columns (one row a run): the parameters of each point (one row
    a point, in point order) and the outputs as a table [point, replication]; None otherwise."""
    if not isinstance(design, pd.DataFrame) or "point" not in design:
        return None
    y = np.asarray(y, dtype=float)
    if len(y) != len(design):
        raise DesignError(f"{len(y)} outputs for {len(design)} runs")
    parameters = [c for c in design.columns if c not in RUN_COLUMNS]
    point = design["point"].to_numpy()
    replication = (design["replication"].to_numpy() if "replication" in design
                   else np.zeros(len(design), dtype=int))
    frame = pd.DataFrame({"point": point, "replication": replication, "y": y})
    table = frame.pivot_table(index="point", columns="replication", values="y", aggfunc="mean",
                              dropna=False)
    points = design.groupby("point", sort=True)[parameters].first()
    return points.reset_index(drop=True), table.reindex(points.index)


def design_points(design, y) -> tuple[pd.DataFrame | np.ndarray, np.ndarray]:
    """The design one row a point, and the output at each point: a design with icsim's run
    columns is reduced to its points, each output the mean over the point's replications."""
    split = replicated(design, y)
    if split is None:
        if isinstance(design, pd.DataFrame):
            design = design[[c for c in design.columns if c not in RUN_COLUMNS]]
        return design, np.asarray(y, dtype=float)
    points, table = split
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a point whose runs all failed: NaN
        return points, np.nanmean(table.to_numpy(dtype=float), axis=1)


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
    layout is detected from the values unless given. Options go to sobol_from_matrices.

    With icsim's run columns (one row a run, as `icsim sample` prints), each point's output is
    the mean over its replications, and two more results say how much noise is left in it:
    ``attrs["noise_share"]``, the share of the variance of the points' means that is noise
    between replications, and a column ``ST_noise``, the part of each ST that is noise (the
    variance between replications of the difference f(A) - f(AB_i), over 2 V; with common seeds
    a base point's noise cancels in that difference); ``attrs["st_noise_share"]`` is their sum
    over the sum of ST."""
    split = replicated(design, y)
    points, y = design_points(design, y)
    names, x = _as_matrix(points)
    if len(y) != len(x):
        raise DesignError(f"{len(y)} outputs for {len(x)} design points")
    layout = layout or saltelli_layout(points)
    n = len(x) // (len(names) + 2)
    a, b, ab = _saltelli_rows(layout, n, len(names))
    frame = sobol_from_matrices(y[a], y[b], y[ab], names, **options)
    frame.attrs["layout"] = layout
    if split is not None:
        _noise(frame, split[1].to_numpy(dtype=float), a, ab)
    return frame


def _noise(frame: pd.DataFrame, runs: np.ndarray, a: np.ndarray, ab: np.ndarray) -> None:
    """Adds the noise estimates of `sobol` from the outputs [point, replication]."""
    variance = frame.attrs["variance"]
    counts = np.sum(np.isfinite(runs), axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # points with fewer than 2 replications
        within = np.nanvar(runs, axis=1, ddof=1) / counts
        frame.attrs["noise_share"] = (float(np.nanmean(within) / variance)
                                      if variance and np.isfinite(within).any() else float("nan"))
        # Replication r of A_j against replication r of AB_ij: the same seed under common seeds.
        differences = runs[a][:, None, :] - runs[ab]  # [N, k, replications]
        paired = np.sum(np.isfinite(differences), axis=2)
        noise = np.nanvar(differences, axis=2, ddof=1) / paired  # of the mean difference
        st_noise = np.nanmean(noise, axis=0) / (2 * variance) if variance else np.nan * noise[0]
    frame["ST_noise"] = st_noise
    total = float(np.nansum(frame["ST"]))
    frame.attrs["st_noise_share"] = (float(np.nansum(st_noise)) / total
                                     if total > 0 and np.isfinite(st_noise).any() else float("nan"))
    frame.attrs["replications"] = int(runs.shape[1])


def sobol_convergence(design, y, steps: Sequence[int] | None = None, layout: str | None = None,
                      **options) -> pd.DataFrame:
    """Sobol indices from the first n base points, for each n in ``steps`` (default: powers of two
    from 8, and N): one row a (n, parameter), with S1, ST and their intervals. icsim's Sobol design
    is prefix-compatible (its first n base points are the design of samples = n), so this is how
    the indices would have come out with a smaller sweep: where they stop moving and the
    intervals stop narrowing, N is large enough."""
    points, values = design_points(design, y)
    names, x = _as_matrix(points)
    k = len(names)
    layout = layout or saltelli_layout(points)
    total = len(x) // (k + 2)
    a, b, ab = _saltelli_rows(layout, total, k)
    if steps is None:
        steps = [2**e for e in range(3, int(np.log2(max(total, 8))) + 1) if 2**e < total] + [total]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # base points with missing outputs, said by sobol()
        for n in sorted({int(s) for s in steps if 2 <= int(s) <= total}):
            frame = sobol_from_matrices(values[a[:n]], values[b[:n]], values[ab[:n]], names,
                                        **options)
            rows.append(frame.assign(N=n).reset_index())
    frame = pd.concat(rows, ignore_index=True)
    frame.attrs.update(layout=layout, base_points=total)
    return frame.set_index(["N", "parameter"])


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
    design, y = design_points(design, y)
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


# Any design: rank correlation and regression, feature scoring --------------------------------
def _numeric(design, y) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """The numeric parameters of a design (flags as 0/1) with the outputs, rows with a missing
    output dropped; and the names of the parameters left out (text or choices: no order)."""
    points, y = design_points(design, y)
    if not isinstance(points, pd.DataFrame):
        names, values = _as_matrix(points)
        points = pd.DataFrame(values, columns=names)
    keep, left_out = {}, []
    for name in points.columns:
        column = points[name]
        try:
            values = column.to_numpy(dtype=float)
        except (TypeError, ValueError):
            left_out.append(str(name))
            continue
        if np.nanstd(values) > 0:
            keep[str(name)] = values
        else:
            left_out.append(str(name))
    frame = pd.DataFrame(keep, index=range(len(y)))
    finite = np.isfinite(y) & np.all(np.isfinite(frame.to_numpy()), axis=1)
    return frame[finite].reset_index(drop=True), y[finite], left_out


def _ranked(frame: pd.DataFrame, y: np.ndarray, rank: bool) -> tuple[np.ndarray, np.ndarray]:
    from scipy.stats import rankdata

    x = frame.to_numpy(dtype=float)
    if rank:
        x = np.column_stack([rankdata(c) for c in x.T]) if x.size else x
        y = rankdata(y)
    return x, np.asarray(y, dtype=float)


def _check_rows(x: np.ndarray, y: np.ndarray, extra: int) -> None:
    if x.shape[1] == 0:
        raise DesignError("no numeric parameter varies in the design")
    if len(y) < x.shape[1] + extra:
        raise DesignError(f"{len(y)} points for {x.shape[1]} parameters: need at least "
                          f"{x.shape[1] + extra}")
    if np.std(y) == 0:
        raise DesignError("the output does not vary over the design")


def prcc(design, y, confidence: float = 0.95, rank: bool = True) -> pd.DataFrame:
    """Partial rank correlation coefficient of the output with each numeric parameter: the
    correlation of their ranks once the linear effect of the other parameters' ranks is removed
    from both. It measures a monotone effect, whatever the design (Latin hypercube, factorial,
    Sobol), and is unchanged by any increasing transformation of a parameter or of the output.
    Columns: PRCC, its interval (Fisher's z) and the p-value of PRCC = 0 (t with n - 2 - (k - 1)
    degrees of freedom). ``rank=False`` gives partial (Pearson) correlation coefficients."""
    from scipy import stats

    frame, y, left_out = _numeric(design, y)
    x, y = _ranked(frame, y, rank)
    _check_rows(x, y, 3)
    n, k = x.shape
    precision = np.linalg.pinv(np.corrcoef(np.column_stack([x, y]), rowvar=False))
    coefficients = -precision[:k, k] / np.sqrt(precision[np.arange(k), np.arange(k)] * precision[k, k])
    coefficients = np.clip(coefficients, -1.0, 1.0)
    freedom = n - 2 - (k - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = coefficients * np.sqrt(freedom / (1 - coefficients**2))
    p_value = 2 * stats.t.sf(np.abs(t), freedom)
    z, spread = np.arctanh(np.clip(coefficients, -0.999999, 0.999999)), stats.norm.ppf(0.5 + confidence / 2)
    half = spread / np.sqrt(max(n - 3 - (k - 1), 1))
    column = "PRCC" if rank else "PCC"
    result = pd.DataFrame({column: coefficients, f"{column}_low": np.tanh(z - half),
                           f"{column}_high": np.tanh(z + half), "p_value": p_value},
                          index=pd.Index(frame.columns, name="parameter"))
    result.attrs.update(points=n, confidence=confidence, left_out=left_out,
                        method="partial rank correlation" if rank else "partial correlation")
    return result


def srrc(design, y, confidence: float = 0.95, rank: bool = True) -> pd.DataFrame:
    """Standardised rank regression coefficients: the least-squares coefficients of the output's
    ranks on the parameters' ranks, all scaled to unit standard deviation, with intervals from
    the regression's standard errors. ``attrs["r2"]`` says how much of the (rank) variance the
    additive monotone model explains: below about 0.7, read PRCC, feature scores or Sobol
    indices instead. ``rank=False`` gives standardised regression coefficients (SRC), which for a
    linear model equal b_i sd(x_i) / sd(y)."""
    from scipy import stats

    frame, y, left_out = _numeric(design, y)
    x, y = _ranked(frame, y, rank)
    _check_rows(x, y, 2)
    n, k = x.shape
    zx = (x - x.mean(axis=0)) / x.std(axis=0)
    zy = (y - y.mean()) / y.std()
    coefficients, *_ = np.linalg.lstsq(zx, zy, rcond=None)
    residual = zy - zx @ coefficients
    r2 = 1 - float(residual @ residual) / float(zy @ zy)
    sigma2 = float(residual @ residual) / max(n - k - 1, 1)
    se = np.sqrt(np.maximum(np.diag(np.linalg.pinv(zx.T @ zx)) * sigma2, 0))
    spread = stats.t.ppf(0.5 + confidence / 2, max(n - k - 1, 1))
    column = "SRRC" if rank else "SRC"
    result = pd.DataFrame({column: coefficients, f"{column}_low": coefficients - spread * se,
                           f"{column}_high": coefficients + spread * se},
                          index=pd.Index(frame.columns, name="parameter"))
    result.attrs.update(points=n, r2=r2, confidence=confidence, left_out=left_out)
    return result


def feature_scores(design, y, classify: bool | None = None, n_estimators: int = 250,
                   seed: int = 0, **options) -> pd.DataFrame:
    """Feature scores of the parameters from extremely randomised trees (scikit-learn's
    ExtraTrees; the EMA Workbench's feature scoring): each parameter's share of the trees'
    impurity decrease, with its standard deviation over the trees. Works on any design and any
    parameter type (text and choices as level codes), catches non-monotone effects and
    interactions that PRCC misses; a classifier when ``y`` is boolean (or ``classify=True``).
    ``attrs["score"]``: the forest's out-of-bag R^2 or accuracy."""
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor

    if classify is None:
        classify = np.asarray(y).dtype.kind == "b"
    points, y = design_points(design, y)  # replicated flags: the share of runs, rounded below
    if not isinstance(points, pd.DataFrame):
        names, values = _as_matrix(points)
        points = pd.DataFrame(values, columns=names)
    columns = {}
    for name in points.columns:
        try:
            columns[str(name)] = points[name].to_numpy(dtype=float)
        except (TypeError, ValueError):
            columns[str(name)] = pd.Categorical(points[name].astype(str)).codes.astype(float)
    x = pd.DataFrame(columns).to_numpy()
    y = np.asarray(y)
    finite = np.all(np.isfinite(x), axis=1) & np.isfinite(y)
    x, y = x[finite], y[finite]
    model_type = ExtraTreesClassifier if classify else ExtraTreesRegressor
    settings = dict(n_estimators=n_estimators, max_features=0.6, min_samples_leaf=2,
                    bootstrap=True, oob_score=True, random_state=seed, n_jobs=1)
    settings.update(options)
    model = model_type(**settings).fit(x, (y >= 0.5).astype(int) if classify else y)
    per_tree = np.array([tree.feature_importances_ for tree in model.estimators_])
    result = pd.DataFrame({"score": model.feature_importances_, "sd": per_tree.std(axis=0)},
                          index=pd.Index(list(columns), name="parameter"))
    result = result.sort_values("score", ascending=False)
    result.attrs.update(points=len(y), score=float(getattr(model, "oob_score_", np.nan)),
                        method="extra trees " + ("classifier" if classify else "regressor"))
    return result


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
