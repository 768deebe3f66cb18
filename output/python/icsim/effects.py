"""What the levers do, with the uncertainty that replications leave: each design point's mean with
its confidence interval, each lever's effect (the others held at their base values, or averaged
over), and each point's difference from the baseline. Pure functions of a sweep's results table
(one row a run: point, replication, the varied parameters, the summaries)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def _interval(mean, sd, n, confidence: float):
    """The t interval of a mean of n values with standard deviation sd (NaN for n < 2)."""
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1)) * np.asarray(sd) / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return mean - half, mean + half


def point_means(results: pd.DataFrame, metric: str, parameters: list[str],
                confidence: float = 0.95) -> pd.DataFrame:
    """One row a design point: its parameters, the metric's mean over the point's runs, their
    standard deviation, count and the confidence interval of the mean."""
    key = "point" if "point" in results else results.index
    grouped = results.groupby(key, sort=True)
    frame = grouped[parameters].first() if parameters else pd.DataFrame(index=grouped.size().index)
    frame["mean"] = grouped[metric].mean()
    frame["sd"] = grouped[metric].std(ddof=1)
    frame["runs"] = grouped[metric].count()
    frame["low"], frame["high"] = _interval(frame["mean"], frame["sd"], frame["runs"], confidence)
    frame.attrs.update(metric=metric, confidence=confidence)
    return frame


def _same(values: pd.Series, value) -> np.ndarray:
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool) and values.dtype.kind in "iuf":
        return np.isclose(values.to_numpy(dtype=float), float(value), rtol=1e-9, atol=1e-12)
    return (values.astype(str) == str(value)).to_numpy()


def baseline_point(points: pd.DataFrame, parameters: list[str], base: dict):
    """The design point whose every varied parameter takes its base value, or None."""
    if not parameters or any(p not in base for p in parameters):
        return None
    match = np.ones(len(points), dtype=bool)
    for p in parameters:
        match &= _same(points[p], base[p])
    found = points.index[match]
    return found[0] if len(found) else None


def lever_effect(results: pd.DataFrame, metric: str, parameter: str, parameters: list[str],
                 base: dict, confidence: float = 0.95, bins: int = 6) -> pd.DataFrame:
    """The metric at each value of one lever, with a confidence interval of its mean. The other
    varied parameters are held at their base values where the design has such points (column
    ``held`` true); otherwise the means are averaged over the other parameters' values (the
    marginal effect; the interval then covers the replication noise of the points averaged).
    A lever with more than ``bins`` values (a Latin hypercube, a Sobol design) is cut into
    ``bins`` bins of equal counts, and each bin's mean is over its points."""
    points = point_means(results, metric, parameters, confidence)
    points = points[np.isfinite(points["mean"])]
    others = [p for p in parameters if p != parameter]
    values = points[parameter]
    continuous = values.dtype.kind in "iuf" and values.nunique() > bins
    if continuous:
        codes = pd.qcut(values.rank(method="first"), bins, labels=False)
        centre = values.groupby(codes).median()
        rows = []
        for code, group in points.groupby(codes):
            n = len(group)
            mean = group["mean"].mean()
            sd = group["mean"].std(ddof=1)
            low, high = _interval(mean, sd, n, confidence)
            rows.append({"value": centre[code], "from": group[parameter].min(),
                         "to": group[parameter].max(), "mean": mean, "low": float(low),
                         "high": float(high), "points": n, "held": False})
        frame = pd.DataFrame(rows)
        frame.attrs.update(how=f"binned into {bins} bins of equal counts; each mean over the "
                               "points of its bin, the other parameters varying")
        return frame
    held = np.ones(len(points), dtype=bool)
    if others and all(o in base for o in others):
        for o in others:
            held &= _same(points[o], base[o])
    else:
        held[:] = not others
    use_held = held.any() and all(
        ((values[held].astype(str) == str(v)).any()) for v in values.unique())
    rows = []
    for value in sorted(values.unique(), key=lambda v: (isinstance(v, str), v)):
        at = _same(values, value) & (held if use_held else True)
        group = points[at]
        m = len(group)
        mean = group["mean"].mean()
        # The mean of m point means: its noise variance is the sum of each mean's over m^2.
        se = np.sqrt(np.nansum(group["sd"] ** 2 / group["runs"])) / max(m, 1)
        n = group["runs"].sum()
        half = stats.t.ppf(0.5 + confidence / 2, max(n - m, 1)) * se if n > m else np.nan
        rows.append({"value": value, "mean": mean, "low": mean - half, "high": mean + half,
                     "points": m, "runs": int(n), "held": bool(use_held)})
    frame = pd.DataFrame(rows)
    if not others:
        how = "the only varied parameter"
    elif use_held:
        how = "the other parameters at their base values (" + ", ".join(
            f"{o} = {base[o]}" for o in others) + ")"
    else:
        how = "averaged over the other parameters' values"
    frame.attrs.update(how=how)
    return frame


def baseline_differences(results: pd.DataFrame, metrics: list[str], parameters: list[str],
                         baseline, confidence: float = 0.95, paired: bool = False) -> pd.DataFrame:
    """Each design point's mean difference from the baseline point in each metric, with a
    confidence interval: Welch's for independent seeds, or the paired t interval over
    replications when ``paired`` (common seeds: replication r of each point has the same seed)."""
    rows = []
    key = results["point"]
    base_runs = results[key == baseline].set_index("replication")
    for point, group in results.groupby(key, sort=True):
        row = {"point": point, **group[parameters].iloc[0].to_dict()}
        runs = group.set_index("replication")
        for metric in metrics:
            a = runs[metric].astype(float)
            b = base_runs[metric].astype(float)
            if paired:
                d = (a - b.reindex(a.index)).dropna()
                mean, sd, n = d.mean(), d.std(ddof=1), len(d)
                low, high = _interval(mean, sd, n, confidence)
            else:
                a, b = a.dropna(), b.dropna()
                mean = a.mean() - b.mean()
                va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
                se = np.sqrt(va + vb)
                with np.errstate(divide="ignore", invalid="ignore"):
                    freedom = (va + vb) ** 2 / (va**2 / max(len(a) - 1, 1) + vb**2 / max(len(b) - 1, 1))
                half = stats.t.ppf(0.5 + confidence / 2, freedom) * se if se > 0 else 0.0
                low, high = mean - half, mean + half
            row[metric] = mean
            row[f"{metric} low"], row[f"{metric} high"] = float(low), float(high)
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("point")
    frame.attrs.update(baseline=baseline, confidence=confidence, paired=paired)
    return frame
