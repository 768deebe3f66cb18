"""A one-page, self-contained HTML report of a run or sweep (plots embedded as PNG), for readers
who do not code: where the file came from, the key figures, the plots."""

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

KEY_NATIONAL = ("systems_met", "mean_trust", "stake_share", "aggregate_surplus", "support_paid",
                "support_returned", "collaboratives", "trusts_in_deficit")
KEY_SYSTEM = ("stake_share", "mean_trust", "surplus", "integration_index")
SUMMARY_HINTS = ("trust", "systems_met", "surplus", "stake", "support_returned", "integration")

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; } figcaption { font-size: 0.85em; color: #555; }
img { max-width: 100%; } pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.8em; }
.key { display: flex; flex-wrap: wrap; gap: 0.8em; }
.key div { border: 1px solid #ddd; border-radius: 6px; padding: 0.5em 0.9em; min-width: 10em; }
.key b { display: block; font-size: 1.3em; } .key span { font-size: 0.8em; color: #555; }
.note { color: #555; font-size: 0.9em; }
"""


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
    return f"<table>{body}</table>"


def _frame(frame: pd.DataFrame, digits: int = 3) -> str:
    return frame.to_html(float_format=lambda v: f"{v:.{digits}g}", border=0, na_rep="-")


def _key(figures: list[tuple[str, str]]) -> str:
    cells = "".join(f"<div><b>{html.escape(value)}</b><span>{html.escape(label)}</span></div>"
                    for label, value in figures)
    return f'<div class="key">{cells}</div>'


def _number(value, units: str = "") -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    value = float(value)
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    if units in ("fraction",) and abs(value) <= 1:
        return f"{value:.1%}"
    return f"{text} {units}".strip() if units and units not in ("-", "0-1", "fraction") else text


def _page(title: str, sections: list[str]) -> str:
    made = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>" + "\n".join(sections) +
            f'<p class="note">Report made {made} by the icsim Python package.</p></body></html>\n')


# Run ------------------------------------------------------------------------------------------
def _showcase_system(run: Run) -> str:
    systems = run.systems
    dorset = systems.index[systems["name"].str.contains("Dorset", case=False, na=False)]
    if len(dorset):
        return dorset[0]
    members = systems["members"].sort_values()
    return members.index[len(members) // 2]


def run_sections(run: Run) -> list[str]:
    national = run.national
    final = national.isel(year=-1)
    last = int(final["year"])
    sections = ["<h2>Provenance</h2>",
                _table({"file": os.path.abspath(run.path), **run.provenance}),
                f"<details><summary>Resolved scenario ({len(run.scenario)} parameters)</summary>"
                f"<pre>{html.escape(run.scenario_text)}</pre></details>"]
    key = []
    for metric in KEY_NATIONAL:
        if metric in national:
            units = national[metric].attrs.get("units", "")
            value = final[metric].item()
            if metric == "systems_met":
                text = f"{value:.0f} / {run.systems.shape[0]}"
            else:
                text = _number(value, units)
            key.append((f"{national[metric].attrs.get('description', metric)} ({last})", text))
    sections += [f"<h2>Key figures, {last}</h2>", _key(key)]

    figure = _figure((11, 2.6 * int(np.ceil(len(national.data_vars) / 4))))
    axes = figure.subplots(int(np.ceil(len(national.data_vars) / 4)), 4, squeeze=False)
    plots.national_timeseries(national, axes=axes)
    sections += ["<h2>England over the run</h2>",
                 _img(figure, "National metrics, one panel each, by planning year.")]

    system = run.system
    showcase = _showcase_system(run)
    sections.append("<h2>Systems</h2>")
    for metric in KEY_SYSTEM:
        if metric in system:
            figure = _figure()
            plots.system_timeseries(system, metric, highlight=[showcase], ax=figure.subplots(),
                                    label_systems=2)
            sections.append(_img(figure, f"{system[metric].attrs.get('description', metric)}: one "
                                         "grey line a system, the median in black."))
    figure = _figure((8.5, 6.5))
    plots.relationship_graph(run, showcase, year=int(run.years[-1]), ax=figure.subplots())
    sections += [f"<h2>Relationships in {html.escape(str(run.systems.loc[showcase, 'name']))}</h2>",
                 _img(figure, "Organisations (colour: kind; size: income) and their relationships "
                              "(colour: trust; width: flow).")]
    table = system.isel(year=-1).to_dataframe().drop(columns=["year"], errors="ignore")
    columns = [c for c in ("name", "region", "met_control_total", "stake_share", "mean_trust",
                           "surplus", "integration_index", "collaboratives") if c in table]
    sections += [f"<details><summary>Every system in {last}</summary>",
                 _frame(table[columns]), "</details>",
                 "<h2>What the file records</h2>", _frame(run.metrics().reset_index())]
    return sections


# Sweep ----------------------------------------------------------------------------------------
def key_summaries(sweep: Sweep, limit: int = 4) -> list[str]:
    names = list(sweep.summary.columns)
    chosen = [n for hint in SUMMARY_HINTS for n in names if hint in n]
    chosen = list(dict.fromkeys(chosen + names))
    return [n for n in chosen if sweep.summary[n].dtype.kind in "iufb"][:limit]


def sweep_sections(sweep: Sweep) -> list[str]:
    runs = sweep.runs
    finished = sweep.finished
    sections = ["<h2>Provenance</h2>",
                _table({"file": os.path.abspath(sweep.path), **sweep.provenance,
                        "runs finished": f"{int(finished.sum())} of {len(runs)} in the file"
                        + (f", {sweep.attrs['runs_expected']} in the sweep"
                           if "runs_expected" in sweep.attrs else "")}),
                f"<details><summary>Sweep file</summary><pre>{html.escape(sweep.sweep_text)}</pre>"
                "</details>"]
    if "scenario" in sweep.attrs:
        sections.append(f"<details><summary>Resolved scenario</summary><pre>"
                        f"{html.escape(str(sweep.attrs['scenario']))}</pre></details>")
    axes_rows = {p: sweep.bounds(p) for p in sweep.varied}
    sections += ["<h2>Design</h2>",
                 f"<p>{html.escape(sweep.design)} design over {len(sweep.varied)} parameters, "
                 f"{runs['point'].nunique() if 'point' in runs else len(runs)} points, "
                 f"{int(runs['replication'].nunique()) if 'replication' in runs else 1} "
                 "replications each.</p>",
                 _table({p: (f"{b[0]:g} to {b[1]:g}" if isinstance(b, tuple) else ", ".join(map(str, b)))
                         for p, b in axes_rows.items()})]
    metrics = key_summaries(sweep)
    results = sweep.results[finished]
    if metrics:
        sections += ["<h2>Key figures across runs</h2>",
                     _frame(results[metrics].describe(percentiles=[0.05, 0.5, 0.95]).T)]
        for metric in metrics[:2]:
            sections.append(_levers(sweep, results, metric))
    if sweep.design in ("sobol", "morris") and metrics:
        sections.append("<h2>Sensitivity</h2>")
        for metric in metrics[:3]:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    indices = (sweep.sobol(metric, n_bootstrap=500) if sweep.design == "sobol"
                               else sweep.morris(metric, n_bootstrap=500))
            except ValueError as error:
                sections.append(f"<p class='note'>{html.escape(metric)}: {html.escape(str(error))}</p>")
                continue
            figure = _figure((7.5, 0.55 * len(indices) + 1.8))
            plots.sensitivity_bars(indices, ax=figure.subplots(), title=metric)
            sections += [_img(figure, f"Sensitivity of {metric}."), _frame(indices)]
    for level in ("system",):
        if level in sweep._levels:
            sections.append(_fans(sweep, level))
    return sections


def _categorical(sweep: Sweep, limit: int = 6) -> str | None:
    for parameter in sweep.varied:
        values = sweep.runs[parameter]
        if values.nunique() <= limit:
            return parameter
    return None


def _levers(sweep: Sweep, results: pd.DataFrame, metric: str) -> str:
    """The metric against each varied parameter: what the levers do."""
    parameters = sweep.varied[:6]
    if not parameters:
        return ""
    figure = _figure((3.4 * min(len(parameters), 3), 2.8 * int(np.ceil(len(parameters) / 3))))
    axes = np.asarray(figure.subplots(int(np.ceil(len(parameters) / 3)), min(len(parameters), 3),
                                      squeeze=False)).ravel()
    for ax, parameter in zip(axes, parameters):
        values = results[parameter]
        if values.dtype.kind in "iuf" and values.nunique() > 6:
            ax.scatter(values, results[metric], s=6, alpha=0.5)
        else:
            levels = sorted(values.unique(), key=str)
            ax.boxplot([results.loc[values == v, metric].dropna() for v in levels],
                       labels=[str(v) for v in levels])
        ax.set_xlabel(parameter, fontsize=8)
        ax.set_ylabel(metric, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(parameters):]:
        ax.set_visible(False)
    return _img(figure, f"{metric} against each varied parameter (one dot a run).")


def _fans(sweep: Sweep, level: str) -> str:
    data = sweep.timeseries(level)
    parts = [f"<h2>{level.capitalize()} time series across runs</h2>"]
    by = _categorical(sweep)
    for metric in [m for m in KEY_SYSTEM if m in data][:3]:
        figure = _figure()
        plots.fan_chart(data[metric], by=by, ax=figure.subplots())
        parts.append(_img(figure, f"{metric}: mean over systems, quantiles across runs"
                          + (f", by {by}" if by else "") + "."))
    return "\n".join(parts)


# Entry point ----------------------------------------------------------------------------------
def build(path: str | os.PathLike) -> str:
    """The report of a run or sweep file as one HTML page."""
    if files.file_kind(path) == "calibration":  # icsim calibrate's posterior: calibration.py
        from .calibration import report_page
        return report_page(path)
    kind = files.file_kind(path)
    name = os.path.basename(os.fspath(path))
    if kind == "sweep":
        sweep = Sweep(path)
        return _page(f"icsim sweep: {name}", sweep_sections(sweep))
    run = Run(path)
    return _page(f"icsim run: {name} ({run.scenario_source}, seed {run.seed})", run_sections(run))


def write(path: str | os.PathLike, output: str | os.PathLike) -> str:
    text = build(path)
    with open(output, "w", encoding="utf-8") as handle:
        handle.write(text)
    return os.fspath(output)
