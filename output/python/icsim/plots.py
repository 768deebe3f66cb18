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


#: Units whose values lie in [0, 1]: their axes show the whole range, so noise is not magnified.
UNIT_RANGE = ("fraction", "0-1", "probability", "fraction of systems", "flag")


def integer_years(ax) -> None:
    """Year ticks on whole years (never 2020.5)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def honest_limits(ax, values, units: str = "", upper: float | None = None) -> None:
    """A y-axis that does not magnify noise: [0, 1] for shares, from 0 to ``upper`` for counts
    with a known maximum (systems), and otherwise a range that includes 0 (a flat series at 0
    shows as flat, not as noise on +-0.04)."""
    values = np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in values]) \
        if isinstance(values, list) else np.ravel(np.asarray(values, dtype=float))
    values = values[np.isfinite(values)]
    if units in UNIT_RANGE:
        ax.set_ylim(-0.02, 1.02)
        return
    if upper is not None:
        ax.set_ylim(0, upper * 1.02)
        return
    if not len(values):
        return
    low, high = min(0.0, values.min()), max(0.0, values.max())
    if high == low:
        high = low + 1.0
    pad = 0.05 * (high - low)
    ax.set_ylim(low - (pad if low < 0 else 0), high + (pad if high > 0 else 0))


def drawn_values(ax) -> list[np.ndarray]:
    """The y values of everything drawn on ``ax``: lines and filled bands."""
    values = [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()]
    for collection in ax.collections:
        values += [path.vertices[:, 1] for path in collection.get_paths()]
    return values


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
    integer_years(ax)
    ax.set_ylabel(_label(data, metric))
    ax.set_title(data.attrs.get("description", metric), fontsize=10)
    ax.legend(fontsize=8, loc="best")
    return ax


def national_timeseries(run, metrics=None, axes=None, ncols: int = 3, upper: dict | None = None):
    """Small multiples of national metrics of a Run, on axes that do not magnify noise (shares on
    [0, 1], counts from 0 to ``upper[metric]``, others including 0); returns the array of Axes."""
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
        units = data.attrs.get("units", "")
        ax.set_ylabel(units, fontsize=8)
        ax.tick_params(labelsize=7)
        integer_years(ax)
        honest_limits(ax, data.to_numpy(), units, upper=(upper or {}).get(metric))
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
    integer_years(ax)
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
    in_total = indices.attrs.get("st_noise_share")
    if in_total is not None and np.isfinite(in_total):
        seeds = {True: ", common seeds", False: ", independent seeds"}.get(indices.attrs.get("common_seeds"), "")
        notes.append(f"{in_total:.0%} of the sum of ST{seeds}")
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


def coefficient_bars(frame: pd.DataFrame, ax=None, title: str | None = None):
    """PRCC, SRRC (or their unranked forms) or extra-trees feature scores per parameter, with
    their intervals (or standard deviations over the trees), largest in magnitude first."""
    column = next(c for c in ("PRCC", "PCC", "SRRC", "SRC", "score") if c in frame)
    frame = frame.reindex(frame[column].abs().sort_values(ascending=False).index)
    ax = _axes(ax, figsize=(7, 0.5 * len(frame) + 1.5))
    values = frame[column].to_numpy(dtype=float)
    if f"{column}_low" in frame:
        error = np.vstack([values - frame[f"{column}_low"].to_numpy(dtype=float),
                           frame[f"{column}_high"].to_numpy(dtype=float) - values])
    elif "sd" in frame:
        error = frame["sd"].to_numpy(dtype=float)
    else:
        error = None
    colours = ["C0" if v >= 0 else "C3" for v in values]
    y = np.arange(len(frame))
    ax.barh(y, values, xerr=error, color=colours, capsize=3)
    ax.set_yticks(y, [str(n) for n in frame.index])
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.6)
    if column == "score":
        ax.set_xlim(0, 1)
        ax.set_xlabel("feature score (extra trees; bars: sd over trees)")
    else:
        ax.set_xlim(-1, 1)
        ax.set_xlabel({"PRCC": "partial rank correlation", "PCC": "partial correlation",
                       "SRRC": "standardised rank regression coefficient",
                       "SRC": "standardised regression coefficient"}[column])
    notes = []
    if "r2" in frame.attrs:
        notes.append(f"R^2 of the rank regression {frame.attrs['r2']:.2f}")
    if frame.attrs.get("left_out"):
        notes.append("left out (no order): " + ", ".join(frame.attrs["left_out"]))
    heading = title or frame.attrs.get("metric") or column
    ax.set_title(heading + ("\n" + "; ".join(notes) if notes else ""), fontsize=9)
    return ax


def sensitivity_bars(indices: pd.DataFrame, ax=None, title: str | None = None):
    """Sobol, Morris, PRCC, SRRC or feature-score bars, whichever ``indices`` holds."""
    if "S1" in indices:
        return sobol_bars(indices, ax, title)
    if "mu_star" in indices:
        return morris_bars(indices, ax, title)
    if any(c in indices for c in ("PRCC", "PCC", "SRRC", "SRC", "score")):
        return coefficient_bars(indices, ax, title)
    raise ValueError("expected Sobol indices (S1, ST), Morris statistics (mu, mu_star, sigma), "
                     "PRCC, SRRC or feature scores")


def sobol_convergence(frame: pd.DataFrame, ax=None, column: str = "ST", title: str | None = None):
    """Sobol indices (``column``: S1 or ST) against the number of base points N, one line a
    parameter with its interval as a band (icsim.sensitivity.sobol_convergence)."""
    ax = _axes(ax)
    for i, (name, group) in enumerate(frame.groupby(level="parameter", sort=False)):
        n = group.index.get_level_values("N").to_numpy()
        ax.plot(n, group[column].to_numpy(), marker="o", markersize=3, color=f"C{i}", label=name)
        if f"{column}_low" in group:
            ax.fill_between(n, group[f"{column}_low"].to_numpy(), group[f"{column}_high"].to_numpy(),
                            color=f"C{i}", alpha=0.15, linewidth=0)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("base points N")
    ax.set_ylabel(column)
    ax.set_title(title or f"{column} as N grows" + (f": {frame.attrs['metric']}"
                                                    if "metric" in frame.attrs else ""), fontsize=9)
    ax.legend(fontsize=7)
    return ax


# Lever effects and looking across runs -----------------------------------------------------------
def lever_effect(effect: pd.DataFrame, ax=None, parameter: str = "", metric: str = "",
                 units: str = "", upper: float | None = None):
    """A metric's mean at each value of a lever, with its confidence interval (a frame of
    icsim.effects.lever_effect / Sweep.lever_effect)."""
    ax = _axes(ax, figsize=(4, 3))
    values = effect["value"].to_numpy()
    numeric = values.dtype.kind in "iuf"
    x = values.astype(float) if numeric else np.arange(len(values))
    mean = effect["mean"].to_numpy(dtype=float)
    error = np.vstack([mean - effect["low"].to_numpy(dtype=float),
                       effect["high"].to_numpy(dtype=float) - mean])
    ax.errorbar(x, mean, yerr=np.nan_to_num(error), marker="o", capsize=3, linestyle="-" if numeric else "")
    if not numeric:
        ax.set_xticks(x, [str(v) for v in values], fontsize=7, rotation=20)
    ax.set_xlabel(parameter, fontsize=8)
    ax.set_ylabel(metric.replace("_", " ") + (f" ({units})" if units and units != "-" else ""), fontsize=8)
    honest_limits(ax, np.r_[mean, effect["low"], effect["high"]], units, upper)
    ax.tick_params(labelsize=7)
    return ax


def _scaled_columns(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, list[list[str]]]:
    """Each column on [0, 1] (categories by their sorted levels), with tick labels of each."""
    scaled, ticks = [], []
    for name in columns:
        column = frame[name]
        if column.dtype.kind in "iufb":
            values = column.to_numpy(dtype=float)
            low, high = np.nanmin(values), np.nanmax(values)
            scaled.append((values - low) / (high - low if high > low else 1))
            ticks.append([f"{low:.3g}", f"{high:.3g}"])
        else:
            levels = sorted(column.astype(str).unique())
            codes = column.astype(str).map({v: i for i, v in enumerate(levels)}).to_numpy(dtype=float)
            scaled.append(codes / max(len(levels) - 1, 1))
            ticks.append(levels)
    return np.column_stack(scaled), ticks


def parallel_coordinates(frame: pd.DataFrame, columns: list[str], colour: str, ax=None,
                         cmap: str = "viridis"):
    """One line a row (a run or a design point) across ``columns`` (levers and outcomes), each
    axis scaled to its range (labelled at both ends; categories at their levels), coloured by
    ``colour``."""
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize

    ax = _axes(ax, figsize=(1.6 * len(columns) + 2, 4))
    scaled, ticks = _scaled_columns(frame, columns)
    x = np.arange(len(columns))
    segments = [np.column_stack([x, row]) for row in scaled]
    values = frame[colour].to_numpy(dtype=float)
    norm = Normalize(np.nanmin(values), np.nanmax(values))
    lines = LineCollection(segments, cmap=cmap, norm=norm, linewidths=0.8, alpha=0.6)
    lines.set_array(values)
    ax.add_collection(lines)
    for i, labels in enumerate(ticks):
        ax.axvline(i, color="0.3", linewidth=0.8)
        positions = np.linspace(0, 1, len(labels)) if len(labels) > 2 else [0, 1]
        for position, label in zip(positions, labels):
            ax.annotate(label, (i, position), xytext=(3, 0), textcoords="offset points", fontsize=6,
                        va="center")
    ax.set_xlim(-0.2, len(columns) - 0.6)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xticks(x, [c.replace("policy.", "").replace("_", " ") for c in columns], fontsize=7,
                  rotation=15)
    ax.set_yticks([])
    ax.figure.colorbar(lines, ax=ax, label=colour.replace("_", " "), shrink=0.8)
    return ax


def pairs(frame: pd.DataFrame, columns: list[str], colour: str, figure=None):
    """A scatter-plot matrix of ``columns`` (histograms on the diagonal), points coloured by
    ``colour``; returns the array of Axes."""
    import matplotlib.pyplot as plt

    k = len(columns)
    if figure is None:
        figure = plt.figure(figsize=(2.2 * k + 1, 2.2 * k), layout="constrained")
    axes = np.asarray(figure.subplots(k, k, squeeze=False))
    values = frame[colour].to_numpy(dtype=float)
    encoded = {}
    for name in columns:
        column = frame[name]
        if column.dtype.kind in "iufb":
            encoded[name] = (column.to_numpy(dtype=float), None)
        else:
            levels = sorted(column.astype(str).unique())
            encoded[name] = (column.astype(str).map({v: i for i, v in enumerate(levels)}).to_numpy(float),
                             levels)
    scatter = None
    for i, row_name in enumerate(columns):
        for j, column_name in enumerate(columns):
            ax = axes[i, j]
            xv, xlevels = encoded[column_name]
            yv, ylevels = encoded[row_name]
            if i == j:
                ax.hist(xv[np.isfinite(xv)], bins=20 if xlevels is None else len(xlevels), color="0.6")
            else:
                scatter = ax.scatter(xv, yv, c=values, s=6, cmap="viridis", alpha=0.7)
            if xlevels is not None:
                ax.set_xticks(range(len(xlevels)), xlevels, fontsize=6, rotation=30)
            if ylevels is not None and i != j:
                ax.set_yticks(range(len(ylevels)), ylevels, fontsize=6)
            ax.tick_params(labelsize=6)
            if i == k - 1:
                ax.set_xlabel(column_name.replace("policy.", ""), fontsize=7)
            if j == 0:
                ax.set_ylabel(row_name.replace("policy.", ""), fontsize=7)
    if scatter is not None:
        figure.colorbar(scatter, ax=axes, label=colour.replace("_", " "), shrink=0.6)
    return axes


# Scenario discovery ------------------------------------------------------------------------------
def peeling_trajectory(result, ax=None):
    """PRIM's coverage-density trade-off: one point a box of the peeling trajectory, coloured by
    the number of parameters it restricts; the chosen box ringed."""
    ax = _axes(ax, figsize=(6, 4))
    t = result.trajectory
    points = ax.scatter(t["coverage"], t["density"], c=t["restricted"], cmap="viridis", s=18)
    chosen = t.loc[result.chosen]
    ax.scatter([chosen["coverage"]], [chosen["density"]], s=120, facecolors="none",
               edgecolors="red", linewidths=1.5, label=f"chosen box {result.chosen}")
    ax.set_xlabel("coverage (share of the cases of interest in the box)")
    ax.set_ylabel("density (share of the box that is of interest)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.figure.colorbar(points, ax=ax, label="parameters restricted")
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("PRIM peeling trajectory", fontsize=10)
    return ax


def prim_box(result, i=None, ax=None):
    """The restricted parameters of a PRIM box as bars over each parameter's whole range (numeric
    on [0, 1] of the range, with the limits written), categorical levels listed."""
    limits = result.limits(i)
    ax = _axes(ax, figsize=(6, 0.6 * max(len(limits), 1) + 1.5))
    for row, (name, limit) in enumerate(limits.iterrows()):
        whole = result.whole.limits[name]
        if isinstance(whole, frozenset):
            text = f"{limit['levels']}  (of {', '.join(sorted(map(str, whole)))})"
            ax.barh(row, 1, color="0.9")
            ax.annotate(text, (0.02, row), va="center", fontsize=7)
        else:
            span = whole[1] - whole[0] or 1
            start, stop = (limit["low"] - whole[0]) / span, (limit["high"] - whole[0]) / span
            ax.barh(row, 1, color="0.9")
            ax.barh(row, stop - start, left=start, color="C0")
            ax.annotate(f"{limit['low']:.3g}", (start, row), xytext=(-2, 0), textcoords="offset points",
                        ha="right", va="center", fontsize=7)
            ax.annotate(f"{limit['high']:.3g}", (stop, row), xytext=(2, 0), textcoords="offset points",
                        ha="left", va="center", fontsize=7)
    ax.set_yticks(range(len(limits)),
                  [f"{n} (qp {q:.1g})" for n, q in zip(limits.index, limits["quasi_p"])], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(-0.15, 1.15)
    ax.set_xticks([])
    stats = result.stats(i)
    ax.set_title(f"box: coverage {stats['coverage']:.2f}, density {stats['density']:.2f}, "
                 f"mass {stats['mass']:.2f}", fontsize=9)
    return ax
