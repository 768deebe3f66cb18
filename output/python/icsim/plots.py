"""Plots of icsim outputs with matplotlib: system time series, fan charts of quantiles across
replications, a system's relationship graph coloured by trust, and sensitivity bar charts.
Each function draws on ``ax`` (a new figure if None) and returns the Axes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

KIND_COLOURS = {
    "acute": "#1f77b4", "community": "#2ca02c", "mental_health": "#9467bd",
    "specialist": "#8c564b", "ambulance": "#d62728", "commissioner": "#ff7f0e",
    "primary_care_network": "#17becf", "local_authority": "#7f7f7f",
}
TRUST_COLOURMAP = "viridis"


def _axes(ax, figsize=(7, 4)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize, layout="constrained")[1]


def _label(array: xr.DataArray, name: str | None = None) -> str:
    name = name or array.name or ""
    units = array.attrs.get("units")
    return f"{name.replace('_', ' ')} ({units})" if units and units != "-" else name.replace("_", " ")


def _series(source, metric: str, level: str) -> xr.DataArray:
    if isinstance(source, xr.DataArray):
        return source
    if isinstance(source, xr.Dataset):
        return source[metric]
    return source.timeseries(level, [metric])[metric]


# Time series ----------------------------------------------------------------------------------
def system_timeseries(source, metric: str, highlight=None, ax=None, label_systems: int = 0):
    """One line a system (thin, grey) with the median over systems (thick) and the systems in
    ``highlight`` (codes or names) in colour. ``source``: a Run, its ``system`` Dataset or a
    DataArray [year, system]."""
    data = _series(source, metric, "system").astype(float)
    ax = _axes(ax)
    years = data["year"].to_numpy()
    ax.plot(years, data.to_numpy(), color="0.75", linewidth=0.7)
    ax.plot(years, data.median("system").to_numpy(), color="black", linewidth=2.2,
            label="median over systems")
    names = data["name"].to_numpy() if "name" in data.coords else data["system"].to_numpy()
    codes = data["system"].to_numpy()
    wanted = [highlight] if isinstance(highlight, str) else list(highlight or [])
    for item in wanted:
        matches = [i for i, (c, n) in enumerate(zip(codes, names))
                   if item == c or str(item).lower() in str(n).lower()]
        for i in matches[:1]:
            ax.plot(years, data.isel(system=i).to_numpy(), linewidth=2, label=str(names[i]))
    if label_systems:  # name the systems that end highest and lowest, where labels fit
        final = data.isel(year=-1).to_numpy()
        order = np.argsort(final)
        gap = 0.05 * (np.nanmax(data.to_numpy()) - np.nanmin(data.to_numpy()) or 1)
        placed = []
        for i in list(order[:label_systems]) + list(order[-label_systems:]):
            if all(abs(final[i] - y) >= gap for y in placed):
                placed.append(final[i])
                ax.annotate(str(names[i]), (years[-1], final[i]), fontsize=7, xytext=(3, 0),
                            textcoords="offset points", va="center")
    ax.set_xlabel("year")
    ax.set_ylabel(_label(data, metric))
    ax.set_title(data.attrs.get("description", metric), fontsize=10)
    ax.legend(fontsize=8, loc="best")
    return ax


def national_timeseries(run, metrics=None, axes=None, ncols: int = 3):
    """Small multiples of national metrics of a Run; returns the array of Axes."""
    import matplotlib.pyplot as plt

    national = run.national if not isinstance(run, xr.Dataset) else run
    metrics = list(metrics or national.data_vars)
    nrows = int(np.ceil(len(metrics) / ncols))
    if axes is None:
        fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 2.6 * nrows), layout="constrained",
                                 squeeze=False)
    axes = np.asarray(axes).ravel()
    for ax, metric in zip(axes, metrics):
        data = national[metric]
        ax.plot(data["year"].to_numpy(), data.to_numpy(), marker="o", markersize=3)
        ax.set_title(metric.replace("_", " "), fontsize=9)
        ax.set_ylabel(data.attrs.get("units", ""), fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    return axes


def fan_chart(data: xr.DataArray, by: str | None = None, reduce: str = "mean",
              quantiles=(0.05, 0.25, 0.5, 0.75, 0.95), ax=None, colours=None):
    """Quantiles across runs (replications) of a metric over years: the median as a line, the
    inner and outer quantile ranges as bands. ``data`` has dimensions (run, year, ...); other
    dimensions (system, organisation) are first reduced by ``reduce`` ("mean", "median", "sum",
    or "pool" to treat every entity as another sample). ``by`` names a coordinate along run
    (a varied parameter) to draw one fan per value."""
    if "run" not in data.dims or "year" not in data.dims:
        raise ValueError(f"a fan chart needs dimensions run and year; this has {data.dims}")
    ax = _axes(ax)
    extra = [d for d in data.dims if d not in ("run", "year")]
    attrs = dict(data.attrs)
    name = data.name
    if extra and reduce != "pool":
        data = getattr(data, reduce)(extra)
    quantiles = sorted(quantiles)
    groups = [(None, data)] if by is None else list(data.groupby(by))
    palette = colours or [f"C{i}" for i in range(10)]
    for (value, group), colour in zip(groups, palette * (len(groups) // len(palette) + 1)):
        stacked = group.stack(sample=["run"] + (extra if reduce == "pool" else []))
        stacked = stacked.transpose("year", "sample").to_numpy().astype(float)
        levels = np.nanquantile(stacked, quantiles, axis=1)
        years = group["year"].to_numpy()
        label = "median" if by is None else f"{by.split('.')[-1]} = {_fmt(value)}"
        middle = len(quantiles) // 2
        for lower, upper in zip(range(middle), range(len(quantiles) - 1, middle, -1)):
            inner = lower == middle - 1
            if len(groups) > 1 and not inner:  # several fans: outer ranges as thin lines
                for edge in (levels[lower], levels[upper]):
                    ax.plot(years, edge, color=colour, linewidth=0.8, linestyle=":")
                continue
            alpha = 0.3 if len(groups) > 1 else 0.15 + 0.2 * lower
            ax.fill_between(years, levels[lower], levels[upper], color=colour, alpha=alpha,
                            linewidth=0)
        ax.plot(years, levels[middle], color=colour, linewidth=2, label=label)
    spans = [f"{quantiles[i]:.0%}-{quantiles[-1 - i]:.0%}" for i in range(len(quantiles) // 2)]
    if len(groups) > 1 and len(spans) > 1:
        spans = [f"{s} (dotted)" for s in spans[:-1]] + [f"{spans[-1]} (shaded)"]
    ax.set_xlabel("year")
    ax.set_ylabel(_label(xr.DataArray(name=name, attrs=attrs), str(name)))
    reduced = f", {reduce} over {', '.join(extra)}" if extra else ""
    ax.set_title(f"{attrs.get('description', name)}\nbands: {' and '.join(spans)} across runs{reduced}",
                 fontsize=9)
    ax.legend(fontsize=8)
    return ax


def _fmt(value) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:g}"
    return str(value)


# Relationship graph ---------------------------------------------------------------------------
def spring_layout(n: int, source, target, weight=None, iterations: int = 200, seed: int = 0):
    """Fruchterman-Reingold positions of n nodes (deterministic for a seed), in [0, 1]^2."""
    rng = np.random.default_rng(seed)
    position = rng.random((n, 2))
    if n <= 1:
        return position
    source, target = np.asarray(source), np.asarray(target)
    weight = np.ones(len(source)) if weight is None else np.asarray(weight, dtype=float)
    k = 1 / np.sqrt(n)
    temperature = 0.1
    for _ in range(iterations):
        delta = position[:, None, :] - position[None, :, :]
        distance = np.maximum(np.linalg.norm(delta, axis=-1), 1e-3)
        move = (delta / distance[..., None] * (k * k / distance)[..., None]).sum(axis=1)
        pull = position[source] - position[target]
        length = np.maximum(np.linalg.norm(pull, axis=1), 1e-3)
        force = (pull / length[:, None]) * (length**2 / k * weight)[:, None]
        np.add.at(move, source, -force)
        np.add.at(move, target, force)
        step = np.linalg.norm(move, axis=1)
        position += move / np.maximum(step, 1e-9)[:, None] * np.minimum(step, temperature)[:, None]
        temperature *= 0.98
    position -= position.min(axis=0)
    return position / np.maximum(position.max(axis=0), 1e-9)


def relationship_graph(run, system: str, year=None, ax=None, labels: bool = False, seed: int = 0):
    """A system's organisations (colour: kind) and the relationships between them, each edge
    coloured by trust (dark low, yellow high) and as wide as the log of its flow. Trust is that of
    ``year`` when the file records edge trust over time, else at the start of the run."""
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    nodes, edges = run.graph(system, year)
    ax = _axes(ax, figsize=(7, 6))
    where = {index: i for i, index in enumerate(run.organisations.index.get_indexer(nodes.index))}
    source = np.array([where[s] for s in edges["source"]], dtype=int)
    target = np.array([where[t] for t in edges["target"]], dtype=int)
    flow = edges["flow"].to_numpy(dtype=float)
    weight = 0.5 + np.log1p(np.maximum(flow, 0)) / max(np.log1p(np.maximum(flow, 0)).max(), 1e-9)
    position = spring_layout(len(nodes), source, target, weight, seed=seed)
    trust = edges["trust"].to_numpy(dtype=float)
    norm = Normalize(0, 1)
    lines = LineCollection(np.stack([position[source], position[target]], axis=1),
                           cmap=TRUST_COLOURMAP, norm=norm, linewidths=0.4 + 2.0 * (weight - 0.5),
                           alpha=0.85, zorder=1)
    lines.set_array(trust)
    ax.add_collection(lines)
    kinds = nodes["kind"].to_numpy()
    size = 20 + 180 * np.sqrt(nodes["base_cost"].to_numpy(dtype=float) /
                              max(nodes["base_cost"].max(), 1e-9))
    ax.scatter(position[:, 0], position[:, 1], s=size, c=[KIND_COLOURS.get(k, "black") for k in kinds],
               edgecolors="white", linewidths=0.6, zorder=2)
    if labels:
        for (x, y), name in zip(position, nodes["name"]):
            ax.annotate(str(name)[:28], (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.figure.colorbar(lines, ax=ax, label="trust", shrink=0.7)
    present = [k for k in KIND_COLOURS if k in set(kinds)]
    ax.legend(handles=[Line2D([], [], marker="o", linestyle="", color=KIND_COLOURS[k],
                              label=k.replace("_", " ")) for k in present],
              fontsize=7, loc="upper center", bbox_to_anchor=(0.5, 0), ncol=4, frameon=False)
    code = run.system_code(system)
    name = run.systems.loc[code, "name"]
    when = f"in {year}" if run.edge_trust(year).name == f"trust {year}" else "at the start of the run"
    ax.set_title(f"{name}: {len(nodes)} organisations, {len(edges)} relationships\n"
                 f"edge colour: trust {when}; width: flow", fontsize=9)
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.margins(0.05)
    return ax


# Sensitivity ----------------------------------------------------------------------------------
def sobol_bars(indices: pd.DataFrame, ax=None, title: str | None = None):
    """First-order (S1) and total (ST) Sobol indices per parameter, with their intervals."""
    ax = _axes(ax, figsize=(7, 0.6 * len(indices) + 1.5))
    names = [str(n) for n in indices.index]
    y = np.arange(len(names))
    height = 0.38
    for offset, column, colour in ((-height / 2, "S1", "C0"), (height / 2, "ST", "C1")):
        values = indices[column].to_numpy(dtype=float)
        error = None
        if f"{column}_low" in indices:
            low = indices[f"{column}_low"].to_numpy(dtype=float)
            high = indices[f"{column}_high"].to_numpy(dtype=float)
            error = np.vstack([np.maximum(values - low, 0), np.maximum(high - values, 0)])
        label = {"S1": "first order (S1)", "ST": "total (ST)"}[column]
        ax.barh(y + offset, values, height, xerr=error, color=colour, label=label, capsize=3)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel("share of output variance")
    confidence = indices.attrs.get("confidence")
    heading = title or indices.attrs.get("metric") or "Sobol indices"
    notes = [f"bars: {confidence:.0%} bootstrap intervals"] if confidence else []
    noise = indices.attrs.get("noise_share")
    if noise is not None and np.isfinite(noise):
        notes.append(f"noise between replications: {noise:.0%} of variance")
    ax.set_title(heading + ("\n" + "; ".join(notes) if notes else ""), fontsize=9)
    ax.legend(fontsize=8)
    return ax


def morris_bars(statistics: pd.DataFrame, ax=None, title: str | None = None):
    """Morris mu* (with its interval) and sigma per parameter, sorted by mu*."""
    ax = _axes(ax, figsize=(7, 0.6 * len(statistics) + 1.5))
    statistics = statistics.sort_values("mu_star", ascending=False)
    names = [str(n) for n in statistics.index]
    y = np.arange(len(names))
    height = 0.38
    mu_star = statistics["mu_star"].to_numpy(dtype=float)
    error = None
    if "mu_star_low" in statistics:
        error = np.vstack([np.maximum(mu_star - statistics["mu_star_low"].to_numpy(dtype=float), 0),
                           np.maximum(statistics["mu_star_high"].to_numpy(dtype=float) - mu_star, 0)])
    ax.barh(y - height / 2, mu_star, height, xerr=error, capsize=3, color="C0",
            label="mu* (mean |effect|)")
    ax.barh(y + height / 2, statistics["sigma"].to_numpy(dtype=float), height, color="C2",
            label="sigma (non-linearity, interactions)")
    ax.scatter(statistics["mu"].to_numpy(dtype=float), y - height / 2, marker="|", s=200,
               color="black", zorder=3, label="mu (signed)")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel("elementary effect (output units per full range of the parameter)")
    ax.set_title(title or statistics.attrs.get("metric") or "Morris screening", fontsize=10)
    ax.legend(fontsize=8)
    return ax


def sensitivity_bars(indices: pd.DataFrame, ax=None, title: str | None = None):
    """Sobol or Morris bars, whichever ``indices`` holds."""
    if "S1" in indices:
        return sobol_bars(indices, ax, title)
    if "mu_star" in indices:
        return morris_bars(indices, ax, title)
    raise ValueError("expected Sobol indices (S1, ST) or Morris statistics (mu, mu_star, sigma)")
