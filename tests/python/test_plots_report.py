"""Plots draw what they say, and the HTML report is one self-contained page."""

import base64
import re

import numpy as np
import pytest
import xarray as xr
from matplotlib.figure import Figure
from test_sweep_reader import write_layout_sweep, write_sobol_sweep

import icsim
from icsim import plots, report, sensitivity


def axes():
    return Figure(figsize=(6, 4)).subplots()


def test_system_timeseries(run):
    ax = plots.system_timeseries(run, "mean_trust", highlight=["Dorset"], ax=axes(), label_systems=1)
    lines = ax.get_lines()
    assert len(lines) == len(run.systems) + 2  # every system, the median, Dorset
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["median over systems", "Dorset"]
    np.testing.assert_allclose(lines[-1].get_ydata(),
                               run.system["mean_trust"].sel(system=run.system_code("Dorset")).values)
    assert "0-1" in ax.get_ylabel()


def test_national_small_multiples(run):
    panels = plots.national_timeseries(run, ["systems_met", "mean_trust"],
                                       axes=Figure().subplots(1, 3))
    assert panels[0].get_title() == "systems met" and not panels[2].get_visible()


def test_fan_chart_quantiles():
    rng = np.random.default_rng(1)
    values = rng.normal(size=(200, 5, 3)) + np.arange(5)[None, :, None]
    data = xr.DataArray(values, dims=("run", "year", "system"), name="surplus",
                        coords={"run": np.arange(200), "year": 2019 + np.arange(5),
                                "lever": ("run", np.repeat(["low", "high"], 100))},
                        attrs={"units": "GBP m", "description": "surplus"})
    ax = plots.fan_chart(data, ax=axes())
    median = ax.get_lines()[0].get_ydata()
    np.testing.assert_allclose(median, np.median(values.mean(axis=2), axis=0))
    assert len(ax.collections) == 2  # 5-95% and 25-75% bands
    grouped = plots.fan_chart(data, by="lever", ax=axes())
    assert [t.get_text() for t in grouped.get_legend().get_texts()] == ["lever = high", "lever = low"]
    pooled = plots.fan_chart(data, reduce="pool", ax=axes())
    np.testing.assert_allclose(pooled.get_lines()[0].get_ydata(),
                               np.median(values.transpose(1, 0, 2).reshape(5, -1), axis=1))
    with pytest.raises(ValueError, match="run and year"):
        plots.fan_chart(data.isel(run=0), ax=axes())


def test_relationship_graph(run):
    ax = plots.relationship_graph(run, "Dorset", ax=axes())
    nodes, edges = run.graph("Dorset")
    lines = ax.collections[0]
    assert len(lines.get_segments()) == len(edges) > 0
    np.testing.assert_allclose(lines.get_array(), edges["trust"].values)
    assert len(ax.collections[1].get_offsets()) == len(nodes)
    assert "trust at the start of the run" in ax.get_title()
    assert (nodes["system_code"] == run.system_code("Dorset")).all()


def test_relationship_graph_uses_edge_trust_over_time(run_file, tmp_path):
    """When the file records edge trust per year (/timeseries/edge/trust [year, edge]), the graph
    shows that year's trust."""
    import shutil

    import h5py

    copy = tmp_path / "with_edge_trust.h5"
    shutil.copy(run_file, copy)
    with h5py.File(copy, "r+") as f:
        years = f["timeseries/national/year"][()]
        edges = f["edges/edge"]
        group = f.create_group("timeseries/edge")
        year = group.create_dataset("year", data=years)
        year.make_scale("year")
        edge = group.create_dataset("edge", data=edges[()], dtype=edges.dtype)
        edge.make_scale("edge")
        values = np.linspace(0, 1, len(years))[:, None] * np.ones((1, edges.shape[0]))
        trust = group.create_dataset("trust", data=values)
        trust.attrs.update(units="0-1", description="trust on the relationship")
        trust.dims[0].attach_scale(year)
        trust.dims[1].attach_scale(edge)
    run = icsim.open_run(copy)
    ax = plots.relationship_graph(run, "Dorset", year=int(years[-1]), ax=axes())
    assert f"trust in {years[-1]}" in ax.get_title()
    np.testing.assert_allclose(ax.collections[0].get_array(), 1.0)
    ax = plots.relationship_graph(run, "Dorset", year=int(years[0]), ax=axes())
    np.testing.assert_allclose(ax.collections[0].get_array(), 0.0)


def test_spring_layout_is_deterministic_and_pulls_neighbours_together():
    source, target = np.array([0, 1, 2, 3]), np.array([1, 2, 0, 4])
    one = plots.spring_layout(6, source, target, seed=3)
    np.testing.assert_array_equal(one, plots.spring_layout(6, source, target, seed=3))
    assert one.min() >= 0 and one.max() <= 1
    linked = np.linalg.norm(one[0] - one[1])
    isolated = np.linalg.norm(one[0] - one[5])
    assert linked < isolated


def test_sensitivity_bars():
    design = sensitivity.saltelli_design({"a": (0, 1), "b": (0, 1)}, 256)
    y = design["a"] + 2 * design["b"]
    indices = sensitivity.sobol(design, y.to_numpy(), n_bootstrap=100)
    ax = plots.sensitivity_bars(indices, ax=axes())
    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(widths, list(indices["S1"]) + list(indices["ST"]))
    design = sensitivity.morris_design({"a": (0, 1), "b": (0, 1)}, 10)
    stats = sensitivity.morris(design, (design["a"] - 2 * design["b"]).to_numpy())
    ax = plots.sensitivity_bars(stats, ax=axes())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "a"]  # sorted by mu*
    with pytest.raises(ValueError):
        plots.sensitivity_bars(stats[["effects"]], ax=axes())


def images(page):
    found = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    for data in found:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    return found


def self_contained(page):
    assert not re.search(r'(src|href)="(?!data:)', page), "the page links to something outside it"
    assert "<script" not in page


def test_run_report(run_file, tmp_path):
    from icsim.__main__ import main

    out = tmp_path / "run.html"
    assert main(["report", str(run_file), "-o", str(out)]) == 0
    page = out.read_text()
    self_contained(page)
    assert len(images(page)) >= 5
    for text in ("Provenance", "schema_version", "Key figures", "Relationships in Dorset",
                 "england-2019", "[policy]"):
        assert text in page, text


def test_sweep_report(tmp_path):
    page = report.build(write_layout_sweep(tmp_path / "s.h5"))
    self_contained(page)
    assert len(images(page)) >= 2  # levers and a fan chart
    for text in ("full_factorial", "abc123", "final_mean_trust", "policy.redistribution",
                 "12 of 12"):
        assert text in page, text


def test_sobol_sweep_report(tmp_path):
    """A Sobol sweep's report has the sensitivity section, with the indices of the summaries."""
    write_sobol_sweep(tmp_path / "sobol.h5")
    sweep = icsim.open_sweep(tmp_path / "sobol.h5")
    indices = sweep.sobol("final_mean_trust", n_bootstrap=50)
    assert indices["ST"].idxmax() == "trust.initial"
    page = report.build(tmp_path / "sobol.h5")
    self_contained(page)
    assert "Sensitivity" in page and "S1" in page
    with pytest.raises(ValueError, match="morris design"):
        sweep.morris("final_mean_trust")
