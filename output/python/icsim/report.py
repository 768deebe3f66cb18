"""A self-contained HTML report of a run or a sweep (plots embedded as PNG), for readers who do not
code. What it leads with comes from the file: the metrics whose role is `headline` in icsim's
metric registry, whatever they are called.

A run report says it is one seed and shows the policy settings in words at the top. A sweep
report shows what each lever does to each headline outcome (means with 95% confidence intervals,
the other levers at their base values where the design allows), each point's difference to the
baseline, the time series by lever value, the design points across levers and outcomes, and the
sensitivity analysis the design supports; a sweep of replications alone (an ensemble) shows
bands across replications."""

from __future__ import annotations

import base64
import datetime
import html
import io
import os
import warnings

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from . import files, plots
from .run import Run
from .sweep import Sweep

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; overflow-wrap: anywhere; }
h2 { border-bottom: 1px solid #ddd; margin-top: 2em; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.clear { font-weight: 600; }
figure { margin: 1em 0; } figcaption { font-size: 0.85em; color: #555; }
img { max-width: 100%; height: auto; }
pre { background: #f7f7f7; padding: 0.8em; white-space: pre-wrap; overflow-wrap: anywhere;
      font-size: 0.8em; }
.key { display: flex; flex-wrap: wrap; gap: 0.8em; }
.key div { border: 1px solid #ddd; border-radius: 6px; padding: 0.5em 0.9em; min-width: 10em;
           max-width: 100%; box-sizing: border-box; }
.key b { display: block; font-size: 1.3em; } .key span { font-size: 0.8em; color: #555; }
.note { color: #555; font-size: 0.9em; }
.warning { background: #fff4e5; border-left: 4px solid #e69500; padding: 0.6em 1em; }
td, th, p, li, figcaption { overflow-wrap: anywhere; }
"""
#: Panels of one lever figure, fans and sensitivity analyses: enough to read, few enough to make
#: a report in seconds.
MAX_PANELS, MAX_FANS, MAX_SENSITIVITY, MAX_POINT_ROWS = 8, 3, 3, 60


# HTML pieces ------------------------------------------------------------------------------------
def png(figure: Figure, dpi: int = 100) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(figsize=(7.5, 4)) -> Figure:
    return Figure(figsize=figsize, layout="constrained")


def _img(figure: Figure, caption: str) -> str:
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{png(figure)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _table(rows: dict) -> str:
    body = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in rows.items())
    return f'<div class="scroll"><table>{body}</table></div>'


def _frame(frame: pd.DataFrame, digits: int = 3) -> str:
    text = frame.to_html(float_format=lambda v: f"{v:.{digits}g}", border=0, na_rep="-")
    return f'<div class="scroll">{text}</div>'


def _key(figures: list[tuple[str, str]]) -> str:
    cells = "".join(f"<div><b>{html.escape(value)}</b><span>{html.escape(label)}</span></div>"
                    for label, value in figures)
    return f'<div class="key">{cells}</div>'


def _note(text: str, kind: str = "note") -> str:
    return f'<p class="{kind}">{html.escape(text)}</p>'


def _number(value, units: str = "") -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    value = float(value)
    if not np.isfinite(value):
        return "-"
    if units in ("fraction", "fraction of systems") and abs(value) <= 1:
        return f"{value:.1%}"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{text} {units}".strip() if units and units not in ("-", "0-1", "fraction") else text


def _page(title: str, sections: list[str]) -> str:
    made = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>" + "\n".join(sections) +
            f'<p class="note">Report made {made} by the icsim Python package.</p></body></html>\n')


def _guarded(make, what: str) -> str:
    """A section that may not apply to this file: its failure is a visible note, not a crash."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return make()
    except (ValueError, KeyError, np.linalg.LinAlgError) as error:
        return _note(f"{what}: not shown ({str(error).splitlines()[0]})")


def _headlines(dataset) -> list[str]:
    """The variables of a Dataset whose role is headline (all of them in a file without roles)."""
    names = list(dataset.data_vars)
    roles = {n: dataset[n].attrs.get("role", "") for n in names}
    if not any(roles.values()):
        return names
    return [n for n in names if roles[n] == "headline"]


def _upper(run_or_sweep, units: str):
    """The largest value of a count whose maximum the file knows (systems)."""
    return float(len(run_or_sweep.systems)) if units == "systems" else None


def _describe(attrs: dict, name: str) -> str:
    return str(attrs.get("description") or name.replace("_", " "))


# Run --------------------------------------------------------------------------------------------
def _showcase_system(run: Run) -> str:
    systems = run.systems
    dorset = systems.index[systems["name"].str.contains("Dorset", case=False, na=False)]
    if len(dorset):
        return dorset[0]
    members = systems["members"].sort_values()
    return members.index[len(members) // 2]


def policy_settings(output) -> pd.DataFrame:
    """The policy levers of a run or a sweep's base scenario in words: what each means, its
    value and unit, the parameter's name."""
    parameters = output.parameters
    policy = parameters[parameters.index.str.startswith("policy.")]
    rows = []
    for name, row in policy.iterrows():
        meaning = str(row["meaning"] or name)
        value = row["value"]
        unit = row["unit"] if row["unit"] not in ("-", "") else ""
        if isinstance(value, bool):
            shown = "yes" if value else "no"
        elif isinstance(value, float):
            shown = f"{value:g} {unit}".strip()
        else:
            shown = f"{value} {unit}".strip() if value is not None else "-"
        rows.append({"setting": meaning[:1].upper() + meaning[1:], "value": shown, "parameter": name})
    return pd.DataFrame(rows, columns=["setting", "value", "parameter"])


def _settings_table(frame: pd.DataFrame) -> str:
    body = "".join(f"<tr><td>{html.escape(r.setting)}</td><td class='num'>{html.escape(r.value)}</td>"
                   f"<td><code>{html.escape(r.parameter)}</code></td></tr>"
                   for r in frame.itertuples())
    return ('<div class="scroll"><table><tr><th>setting</th><th>value</th><th>parameter</th></tr>'
            f"{body}</table></div>")


def run_key_figures(run: Run) -> list[tuple[str, str]]:
    """(label, value) of each headline national metric in the last year, the first year's value
    in the label."""
    national = run.national
    years = run.years
    first, last = int(years[0]), int(years[-1])
    key = []
    for metric in _headlines(national):
        attrs = national[metric].attrs
        units = attrs.get("units", "")
        values = national[metric].to_numpy()
        text = _number(values[-1], units)
        if units == "systems":
            text = f"{values[-1]:.0f} of {len(run.systems)}"
        key.append((f"{_describe(attrs, metric)}, {last} ({first}: {_number(values[0], units)})", text))
    return key


def run_sections(run: Run) -> list[str]:
    national, system = run.national, run.system
    years = run.years
    first, last = int(years[0]), int(years[-1])
    sections = [_note(
        f"One run with one seed ({run.seed}): a single draw of the model's randomness, not a "
        "forecast. Another seed gives other numbers; differences of a few systems or a few "
        "percent may be chance. For intervals, sweep this scenario with replications (a sweep "
        "file with replications = 20 and no axes) and read that report.", "warning"),
        "<h2>Policy settings</h2>",
        f"<p>Scenario {html.escape(run.scenario_source or '?')}, {len(years)} planning years "
        f"{first} to {last}.</p>", _settings_table(policy_settings(run))]

    headline = _headlines(national)
    sections += [f"<h2>Headline outcomes, {last}</h2>", _key(run_key_figures(run))]
    if headline:
        rows = int(np.ceil(len(headline) / 3))
        figure = _figure((10.5, 2.8 * rows))
        axes = figure.subplots(rows, 3, squeeze=False)
        plots.national_timeseries(national, headline, axes=axes,
                                  upper={m: _upper(run, national[m].attrs.get("units", ""))
                                         for m in headline})
        sections.append(_img(figure, "Headline national outcomes by planning year. Shares are drawn "
                                     "on 0 to 1, counts from 0 to their maximum, other axes include "
                                     "0, so that year-to-year noise is not magnified."))

    showcase = _showcase_system(run)
    showcase_name = str(run.systems.loc[showcase, "name"])
    system_headline = _headlines(system)
    if system_headline:
        sections.append("<h2>Systems</h2>")
    for metric in system_headline:
        figure = _figure()
        ax = figure.subplots()
        plots.system_timeseries(system, metric, highlight=[showcase], ax=ax, label_systems=2)
        plots.honest_limits(ax, system[metric].to_numpy(), system[metric].attrs.get("units", ""))
        sections.append(_img(figure, f"{_describe(system[metric].attrs, metric)}: one grey line a "
                                     f"system, the median in black, {showcase_name} in colour."))

    recorded = run.edge_trust(last).name == f"trust {last}"
    figure = _figure((8.5, 6.5))
    plots.relationship_graph(run, showcase, year=last, ax=figure.subplots())
    when = (f"trust in {last}, the last year" if recorded else
            "trust at the start of the run (this file does not record edge trust over time)")
    sections += [f"<h2>Relationships in {html.escape(showcase_name)}</h2>",
                 _img(figure, f"Organisations (colour: kind; size: own planned cost) and their relationships "
                              f"(colour: {when}; width: flow).")]

    detail = [m for m in national.data_vars if m not in headline]
    if detail:
        rows = int(np.ceil(len(detail) / 4))
        figure = _figure((11, 2.5 * rows))
        plots.national_timeseries(national, detail, axes=figure.subplots(rows, 4, squeeze=False),
                                  upper={m: _upper(run, national[m].attrs.get("units", ""))
                                         for m in detail})
        sections += ["<h2>Other national metrics</h2>",
                     _img(figure, "Every other national metric, one panel each, on the same honest "
                                  "axes.")]
    table = system.isel(year=-1).to_dataframe().drop(columns=["year"], errors="ignore")
    columns = [c for c in ["name", "region"] + system_headline if c in table]
    sections += [f"<details><summary>Every system in {last}</summary>", _frame(table[columns]),
                 "</details>",
                 "<details><summary>What the file records</summary>",
                 _frame(run.metrics().reset_index()), "</details>",
                 "<h2>Provenance</h2>", _table({"file": os.path.abspath(run.path), **run.provenance}),
                 f"<details><summary>Resolved scenario ({len(run.scenario)} parameters)</summary>"
                 f"<pre>{html.escape(run.scenario_text)}</pre></details>"]
    return sections


# Sweep ------------------------------------------------------------------------------------------
def _axis_text(sweep: Sweep, parameter: str) -> str:
    bound = sweep.bounds(parameter)
    values = sweep.runs[parameter]
    if isinstance(bound, tuple):
        if values.nunique() <= 8:
            return ", ".join(f"{v:g}" for v in sorted(values.unique()))
        return f"{bound[0]:g} to {bound[1]:g}"
    return ", ".join(map(str, bound))


def _design_section(sweep: Sweep) -> list[str]:
    runs = sweep.runs
    points = runs["point"].nunique() if "point" in runs else len(runs)
    replications = int(sweep.attrs.get("replications", runs["replication"].nunique()
                                       if "replication" in runs else 1))
    seeds = ("common seeds: the points of a seed block share their seeds" if sweep.common_seeds
             else "each run with its own seed")
    text = (f"{sweep.design} design over {len(sweep.varied)} parameters: {points} points, "
            f"{replications} replications each ({seeds}).")
    description = sweep.attrs.get("sweep_description", "")
    rows = [{"parameter": p, "values": _axis_text(sweep, p),
             "base value": str(sweep.base_values.get(p, "-"))} for p in sweep.varied]
    parts = ["<h2>Design</h2>"]
    if description:
        parts.append(f"<p>{html.escape(str(description))}</p>")
    parts.append(f"<p>{html.escape(text)}</p>")
    if rows:
        parts.append(_frame(pd.DataFrame(rows).set_index("parameter")))
    return parts


def _partial_note(sweep: Sweep) -> str:
    finished, total = sweep.complete_share()
    failed = int((~sweep.finished).sum())
    if finished >= total and not failed:
        return ""
    parts = [f"Partial sweep: {finished} of the sweep's {total} runs are finished in this file"]
    if failed:
        parts.append(f"{failed} of its rows did not finish (failed or cut short)")
    parts.append("means, intervals and sensitivity indices below use the finished runs only, and a "
                 "Sobol or Morris analysis only the base points or trajectories held whole")
    return _note("; ".join(parts) + ".", "warning")


def _lever_figures(sweep: Sweep, metrics: list[str]) -> list[str]:
    info = sweep.summary_info
    parts = ["<h2>What the levers do</h2>",
             _note("Each panel: the mean of a headline outcome at each value of one lever, with its "
                   "95% confidence interval over the replications.")]
    for parameter in sweep.varied:
        shown = metrics[:MAX_PANELS]
        columns = min(len(shown), 4)
        rows = int(np.ceil(len(shown) / columns))
        figure = _figure((3.0 * columns, 2.7 * rows))
        axes = np.asarray(figure.subplots(rows, columns, squeeze=False)).ravel()
        how = ""
        for ax, metric in zip(axes, shown):
            effect = sweep.lever_effect(metric, parameter)
            how = effect.attrs["how"]
            units = info.loc[metric, "units"] if metric in info.index else ""
            plots.lever_effect(effect, ax=ax, parameter=parameter, metric=metric, units=units,
                               upper=_upper(sweep, units))
        for ax in axes[len(shown):]:
            ax.set_visible(False)
        parts.append(_img(figure, f"{parameter}: headline outcomes at each value, {how}."))
    return parts


def _interval_cell(mean, low, high, units="") -> str:
    clear = np.isfinite(low) and np.isfinite(high) and (low > 0 or high < 0)
    text = f"{mean:+.3g} [{low:+.3g}, {high:+.3g}]" if np.isfinite(low) else f"{mean:+.3g}"
    return f"<td class='num{' clear' if clear else ''}'>{html.escape(text)}</td>"


def _points_table(sweep: Sweep, metrics: list[str]) -> list[str]:
    points = sweep.effects(metrics[0])
    if len(points) > MAX_POINT_ROWS:
        return [_note(f"{len(points)} design points: too many for a table; the parallel coordinates "
                      "below show them all.")]
    header = "".join(f"<th>{html.escape(p)}</th>" for p in sweep.varied) + "".join(
        f"<th>{html.escape(m)}</th>" for m in metrics)
    means = {m: sweep.effects(m) for m in metrics}
    body = []
    for point in points.index:
        cells = "".join(f"<td>{html.escape(plots._fmt(points.loc[point, p]))}</td>" for p in sweep.varied)
        for m in metrics:
            row = means[m].loc[point]
            low, high = row["low"], row["high"]
            text = (f"{row['mean']:.3g} [{low:.3g}, {high:.3g}]" if np.isfinite(low)
                    else f"{row['mean']:.3g}")
            cells += f"<td class='num'>{html.escape(text)}</td>"
        body.append(f"<tr>{cells}</tr>")
    return ["<h2>Means per design point</h2>",
            _note("Mean over each point's finished replications, with its 95% confidence interval."),
            f'<div class="scroll"><table><tr>{header}</tr>{"".join(body)}</table></div>']


def _baseline_table(sweep: Sweep, metrics: list[str]) -> list[str]:
    baseline = sweep.baseline()
    if baseline is None:
        return ["<h2>Difference to the baseline</h2>",
                _note("No design point has every varied parameter at its base value, so there is no "
                      "baseline to compare with.")]
    table = sweep.baseline_differences(metrics, baseline)
    if len(table) > MAX_POINT_ROWS:
        return [_note(f"{len(table)} design points: too many for a difference table.")]
    base = ", ".join(f"{p} = {plots._fmt(v)}" for p, v in sweep.base_values.items())
    paired = ("paired over replications (common seeds)" if table.attrs["paired"] else
              "Welch intervals (each run its own seed)")
    header = "".join(f"<th>{html.escape(p)}</th>" for p in sweep.varied) + "".join(
        f"<th>{html.escape(m)}</th>" for m in metrics)
    body = []
    for point, row in table.iterrows():
        cells = "".join(f"<td>{html.escape(plots._fmt(row[p]))}</td>" for p in sweep.varied)
        if point == baseline:
            cells += "".join("<td class='num'>baseline</td>" for _ in metrics)
        else:
            cells += "".join(_interval_cell(row[m], row[f"{m} low"], row[f"{m} high"]) for m in metrics)
        body.append(f"<tr>{cells}</tr>")
    return ["<h2>Difference to the baseline</h2>",
            _note(f"Each design point's mean minus the baseline's ({base}), with 95% intervals, "
                  f"{paired}; bold where the interval excludes 0."),
            f'<div class="scroll"><table><tr>{header}</tr>{"".join(body)}</table></div>']


def _fan_figure(sweep: Sweep, data, by: str | None, caption: str) -> str:
    """A fan chart (one fan a value of ``by``) on honest axes."""
    figure = _figure()
    ax = figure.subplots()
    plots.fan_chart(data, by=by, ax=ax)
    units = data.attrs.get("units", "")
    plots.honest_limits(ax, plots.drawn_values(ax), units, _upper(sweep, units))
    return _img(figure, caption)


def _fans(sweep: Sweep) -> list[str]:
    level = next((lv for lv in ("national", "system") if lv in sweep._levels), None)
    if level is None:
        return []
    data = sweep.timeseries(level)
    metrics = _headlines(data)[:MAX_FANS]
    levers = [p for p in sweep.varied if sweep.runs[p].nunique() <= 6]
    parts = [f"<h2>Over the years ({level} series)</h2>"]
    reduced = "" if level == "national" else ", mean over systems"
    if not levers:
        for metric in metrics:
            parts.append(_fan_figure(sweep, data[metric], None,
                                     f"{metric}: quantiles across every run{reduced} (the levers vary "
                                     "continuously, so runs are pooled over them)."))
        return parts
    base = sweep.base_values
    for lever in levers[:2]:
        others = [p for p in sweep.varied if p != lever]
        keep = np.ones(data.sizes["run"], dtype=bool)
        held = bool(others) and all(o in base for o in others)
        if held:
            for o in others:
                values = data[o].to_numpy()
                keep &= (values.astype(str) == str(base[o])) if values.dtype.kind not in "iuf" else \
                    np.isclose(values.astype(float), float(base[o]))
            held = bool(keep.any()) and set(data[lever].to_numpy()[keep]) == set(data[lever].to_numpy())
        subset = data.isel(run=np.flatnonzero(keep)) if held else data
        how = ("the other levers at their base values (" + ", ".join(
            f"{o} = {base[o]}" for o in others) + ")") if held and others else (
            "pooled over the other levers' values" if others else "")
        for metric in metrics:
            parts.append(_fan_figure(sweep, subset[metric], lever,
                                     f"{metric} by {lever}{reduced}: median and bands across "
                                     f"replications" + (f", {how}" if how else "") + "."))
    return parts


def _across(sweep: Sweep, metrics: list[str]) -> list[str]:
    points = sweep.effects(metrics[0])[sweep.varied].copy()
    for m in metrics:
        points[m] = sweep.effects(m)["mean"]
    points = points.dropna()
    if len(points) < 3:
        return []
    shown = metrics[:4]
    figure = _figure((min(1.5 * (len(sweep.varied) + len(shown)) + 3, 11), 4.2))
    plots.parallel_coordinates(points, sweep.varied + shown, metrics[0], ax=figure.subplots())
    parts = ["<h2>Looking across runs</h2>",
             _img(figure, f"Parallel coordinates: one line a design point (its mean over replications), "
                          f"across the levers and headline outcomes, coloured by {metrics[0]}.")]
    columns = sweep.varied[:4] + shown[:2]
    if 2 <= len(columns) <= 6:
        size = 1.8 * len(columns) + 1
        figure = _figure((min(size, 11), min(size, 11) - 1))
        plots.pairs(points, columns, metrics[0], figure=figure)
        parts.append(_img(figure, f"Pairs: every two of the levers and outcomes, one dot a design point, "
                                  f"coloured by {metrics[0]}."))
    return parts


def _sensitivity(sweep: Sweep, metrics: list[str]) -> list[str]:
    parts = ["<h2>Sensitivity</h2>"]
    design = sweep.design
    if design == "sobol":
        parts.append(_note("Sobol indices: S1 the share of the variance a lever explains alone, ST "
                           "with its interactions; bootstrap 95% intervals. ST_noise is the part of "
                           "ST that is noise between replications (small under common_seeds)."))
    elif design == "morris":
        parts.append(_note("Morris screening: mu* ranks the levers, sigma flags non-linearity or "
                           "interactions."))
    else:
        parts.append(_note("Partial rank correlation (PRCC: a monotone effect, the others held) "
                           "and extra-trees feature scores (any effect, categories and interactions "
                           "included), on the design points' means."))
    for metric in metrics[:MAX_SENSITIVITY]:
        def one(metric=metric) -> str:
            if design == "sobol":
                indices = sweep.sobol(metric, n_bootstrap=300)
                figure = _figure((7.5, 0.55 * len(indices) + 1.8))
                plots.sensitivity_bars(indices, ax=figure.subplots(), title=metric)
                notes = []
                if np.isfinite(indices.attrs.get("st_noise_share", np.nan)):
                    notes.append(f"noise is {indices.attrs['st_noise_share']:.0%} of the sum of ST "
                                 f"({'common' if sweep.common_seeds else 'independent'} seeds)")
                columns = [c for c in ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high",
                                       "ST_noise") if c in indices]
                return (_img(figure, f"Sobol indices of {metric}" +
                             (f"; {'; '.join(notes)}" if notes else "") + ".")
                        + _frame(indices[columns]))
            if design == "morris":
                statistics = sweep.morris(metric, n_bootstrap=300)
                figure = _figure((7.5, 0.55 * len(statistics) + 1.8))
                plots.sensitivity_bars(statistics, ax=figure.subplots(), title=metric)
                return _img(figure, f"Morris statistics of {metric}.") + _frame(statistics)
            if sweep.runs["point"].nunique() < 10 if "point" in sweep.runs else len(sweep.runs) < 10:
                raise ValueError("fewer than 10 design points")
            figure = _figure((11, 0.5 * len(sweep.varied) + 2))
            left, right = figure.subplots(1, 2)
            try:
                plots.sensitivity_bars(sweep.prcc(metric), ax=left, title=f"{metric}: PRCC")
            except ValueError as error:  # no numeric lever: feature scores alone
                left.set_axis_off()
                left.set_title(f"PRCC: {error}", fontsize=8)
            plots.sensitivity_bars(sweep.feature_scores(metric, n_estimators=100), ax=right,
                                   title=f"{metric}: feature scores")
            return _img(figure, f"Sensitivity of {metric}: partial rank correlations with 95% "
                                "intervals, and extra-trees feature scores.")
        parts.append(_guarded(one, f"sensitivity of {metric}"))
    if design == "sobol" and metrics:
        def convergence() -> str:
            frame = sweep.sobol_convergence(metrics[0], n_bootstrap=200)
            figure = _figure((7.5, 3.6))
            plots.sobol_convergence(frame, ax=figure.subplots())
            return _img(figure, f"ST of {metrics[0]} from the first N base points: where the lines "
                                "settle and the bands stop narrowing, N is large enough.")
        parts.append(_guarded(convergence, "convergence with N"))
    return parts


def _ensemble(sweep: Sweep, metrics: list[str]) -> list[str]:
    results = sweep.results[sweep.finished]
    rows = []
    info = sweep.summary_info
    for m in metrics:
        values = results[m].dropna()
        units = info.loc[m, "units"] if m in info.index else ""
        mean = values.mean()
        from .effects import _interval

        low, high = _interval(mean, values.std(ddof=1), len(values), 0.95)
        rows.append((f"{_describe(info.loc[m] if m in info.index else {}, m)} "
                     f"(95% interval of the mean [{_number(low, units)}, {_number(high, units)}]; "
                     f"5-95% of runs {_number(values.quantile(0.05), units)} to "
                     f"{_number(values.quantile(0.95), units)})", _number(mean, units)))
    parts = ["<h2>Headline outcomes across replications</h2>",
             _note(f"An ensemble: {len(results)} replications of one scenario, each with its own "
                   "seed. The mean of each outcome, its 95% confidence interval and the spread of "
                   "the runs."), _key(rows)]
    level = next((lv for lv in ("national", "system") if lv in sweep._levels), None)
    if level:
        data = sweep.timeseries(level)
        for metric in _headlines(data)[:6]:
            parts.append(_fan_figure(sweep, data[metric], None,
                                     f"{metric}: median and bands across replications"
                                     + (", mean over systems" if level == "system" else "") + "."))
    return parts


def sweep_sections(sweep: Sweep) -> list[str]:
    sections = [_partial_note(sweep)] + _design_section(sweep)
    metrics = sweep.headlines()
    if not metrics:
        sections.append(_note("This file has no summaries (record = [] or no summary): only the "
                              "design and provenance are shown."))
    elif not sweep.varied:
        sections += _ensemble(sweep, metrics)
    else:
        sections += _lever_figures(sweep, metrics)
        sections.append(_guarded(lambda: "".join(_baseline_table(sweep, metrics)),
                                 "difference to the baseline"))
        sections.append(_guarded(lambda: "".join(_points_table(sweep, metrics)),
                                 "means per design point"))
        sections.append(_guarded(lambda: "".join(_fans(sweep)), "time series"))
        sections.append(_guarded(lambda: "".join(_across(sweep, metrics)), "looking across runs"))
        sections += _sensitivity(sweep, metrics)
    sections += ["<h2>Policy settings of the base scenario</h2>",
                 _note("The levers the sweep does not vary keep these values."),
                 _settings_table(policy_settings(sweep)),
                 "<h2>Provenance</h2>",
                 _table({"file": os.path.abspath(sweep.path), **sweep.provenance}),
                 f"<details><summary>Sweep file</summary><pre>{html.escape(sweep.sweep_text)}</pre>"
                 "</details>"]
    if "scenario" in sweep.attrs:
        sections.append(f"<details><summary>Resolved scenario</summary><pre>"
                        f"{html.escape(str(sweep.attrs['scenario']))}</pre></details>")
    return [s for s in sections if s]


# Entry point ------------------------------------------------------------------------------------
def build(path: str | os.PathLike) -> str:
    """The report of a run or sweep file as one HTML page."""
    if files.file_kind(path) == "calibration":  # icsim calibrate's posterior: calibration.py
        from .calibration import report_page
        return report_page(path)
    kind = files.file_kind(path)
    name = os.path.basename(os.fspath(path))
    if kind == "sweep":
        sweep = Sweep(path)
        label = "ensemble" if not sweep.varied else "sweep"
        return _page(f"icsim {label}: {name}", sweep_sections(sweep))
    run = Run(path)
    return _page(f"icsim run: {name} ({run.scenario_source}, one seed: {run.seed})", run_sections(run))


def write(path: str | os.PathLike, output: str | os.PathLike) -> str:
    text = build(path)
    with open(output, "w", encoding="utf-8") as handle:
        handle.write(text)
    return os.fspath(output)
