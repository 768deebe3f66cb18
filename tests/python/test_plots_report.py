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
    """A run file records edge trust per year (/timeseries/edge/trust [year, edge]): the graph
    shows that year's trust (here overwritten in a copy with 0 in the first year, 1 in the last)."""
    import shutil

    import h5py

    copy = tmp_path / "with_edge_trust.h5"
    shutil.copy(run_file, copy)
    with h5py.File(copy, "r+") as f:
        years = f["timeseries/edge/year"][()]
        trust = f["timeseries/edge/trust"]
        assert trust.shape == (len(years), f["edges/edge"].shape[0])
        assert list(years) == list(f["timeseries/national/year"][()])
        trust[...] = np.linspace(0, 1, len(years))[:, None] * np.ones((1, trust.shape[1]))
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
    for text in ("One run with one seed (7)", "one seed: 7", "Policy settings", "Headline outcomes",
                 "Relationships in Dorset", "england-2019", "[policy]", "Provenance", "schema_version",
                 "colour: trust in 2024, the last year"):
        assert text in page, text
    # The policy settings, in words, come before any outcome.
    assert page.index("Policy settings") < page.index("Headline outcomes")
    meaning = icsim.open_run(run_file).parameters.loc["policy.system_tied_share", "meaning"]
    assert meaning[1:] in page


def test_run_report_leads_with_the_files_headlines(run_file, tmp_path):
    """The key figures are the national metrics whose role in the file is headline: change the
    roles in a copy and the figures follow, whatever the metrics are called."""
    import shutil

    import h5py

    copy = tmp_path / "roles.h5"
    shutil.copy(run_file, copy)
    run = icsim.open_run(run_file)
    national = run.national
    headline = [m for m in national.data_vars if national[m].attrs["role"] == "headline"]
    assert "systems_met" in headline

    def described(path):
        return {label.rsplit(", ", 1)[0] for label, _ in report.run_key_figures(icsim.open_run(path))}

    assert described(run_file) == {national[m].attrs["description"] for m in headline}
    with h5py.File(copy, "r+") as f:
        f["timeseries/national/systems_met"].attrs["role"] = "detail"
        f["timeseries/national/collaboratives"].attrs["role"] = "headline"
    figures = described(copy)
    assert national["collaboratives"].attrs["description"] in figures
    assert national["systems_met"].attrs["description"] not in figures
    value = dict(report.run_key_figures(run))
    met = [v for k, v in value.items() if k.startswith(national["systems_met"].attrs["description"])]
    assert met == [f"{national['systems_met'].values[-1]:.0f} of {len(run.systems)}"]


def test_honest_axes_and_whole_years():
    """Shares on [0, 1], counts from 0 to their maximum, a flat zero as flat, years as integers."""
    ax = axes()
    ax.plot([2019, 2020, 2021], [0.98, 0.99, 0.985])
    plots.honest_limits(ax, [0.98, 0.99, 0.985], "fraction")
    assert ax.get_ylim() == (-0.02, 1.02)
    ax = axes()
    plots.honest_limits(ax, np.zeros(5), "GBP m")
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= 1
    ax = axes()
    plots.honest_limits(ax, [3, 5, 4], "systems", upper=42)
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= 42
    ax = axes()
    plots.honest_limits(ax, [-700, -200], "GBP m")
    low, high = ax.get_ylim()
    assert low < -700 and high >= 0
    ax = axes()
    ax.plot(np.arange(2019, 2023), np.arange(4))
    plots.integer_years(ax)
    ax.figure.canvas.draw() if hasattr(ax.figure, "canvas") and ax.figure.canvas else None
    ticks = ax.xaxis.get_major_locator().tick_values(2019, 2022)
    assert np.allclose(ticks, np.round(ticks))


def test_lever_effect_parallel_coordinates_and_pairs():
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"share": rng.random(30), "rule": rng.choice(["a", "b", "c"], 30)})
    frame["outcome"] = frame["share"] * 2
    ax = plots.parallel_coordinates(frame, ["share", "rule", "outcome"], "outcome", ax=axes())
    lines = ax.collections[0]
    assert len(lines.get_segments()) == 30
    np.testing.assert_allclose(lines.get_array(), frame["outcome"])
    segment = lines.get_segments()[int(np.argmax(frame["share"]))]
    assert segment[0, 1] == pytest.approx(1.0) and segment[2, 1] == pytest.approx(1.0)
    grid = plots.pairs(frame, ["share", "rule", "outcome"], "outcome", figure=Figure())
    assert grid.shape == (3, 3)
    np.testing.assert_allclose(grid[2, 0].collections[0].get_offsets()[:, 0], frame["share"])
    effect = pd.DataFrame({"value": [0.0, 0.5, 1.0], "mean": [1.0, 2.0, 3.0], "low": [0.5, 1.5, 2.5],
                           "high": [1.5, 2.5, 3.5]})
    ax = plots.lever_effect(effect, ax=axes(), parameter="share", metric="m", units="systems", upper=42)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [1, 2, 3])
    assert ax.get_ylim()[1] >= 42


def test_sensitivity_and_discovery_plots():
    import pandas as pd

    from icsim import discovery

    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.random((400, 3)), columns=["a", "b", "c"])
    y = x["a"] + 0.5 * x["b"]
    bars = plots.sensitivity_bars(sensitivity.prcc(x, y), ax=axes())
    assert [t.get_text() for t in bars.get_yticklabels()] == ["a", "b", "c"]
    bars = plots.sensitivity_bars(sensitivity.feature_scores(x, y, n_estimators=20), ax=axes())
    assert bars.get_xlim() == (0, 1)
    design = sensitivity.saltelli_design({"a": (0, 1), "b": (0, 1)}, 64)
    steps = sensitivity.sobol_convergence(design, (design["a"] + 2 * design["b"]).to_numpy(),
                                          n_bootstrap=20)
    ax = plots.sobol_convergence(steps, ax=axes())
    assert len(ax.get_lines()) == 2 and list(ax.get_lines()[0].get_xdata()) == [8, 16, 32, 64]
    result = discovery.prim(x, ((x["a"] > 0.5) & (x["b"] < 0.5)).to_numpy())
    ax = plots.peeling_trajectory(result, ax=axes())
    assert len(ax.collections[0].get_offsets()) == len(result.trajectory)
    ax = plots.prim_box(result, ax=axes())
    assert [t.get_text().split(" ")[0] for t in ax.get_yticklabels()] == list(result.limits().index)


def test_sweep_report(tmp_path):
    page = report.build(write_layout_sweep(tmp_path / "s.h5"))
    self_contained(page)
    assert len(images(page)) >= 3  # one figure a lever, and a fan chart
    for text in ("full_factorial", "abc123", "final_mean_trust", "policy.redistribution",
                 "What the levers do", "95% confidence interval", "averaged over the other",
                 "no baseline"):
        assert text in page, text
    assert "Partial sweep" not in page


def test_partial_sweep_says_so(tmp_path):
    finished = np.ones(12, bool)
    finished[[3, 10]] = False
    page = report.build(write_layout_sweep(tmp_path / "s.h5", finished=finished))
    assert "Partial sweep: 10 of the sweep" in page


@pytest.fixture(scope="module")
def lever_sweep(binary, tmp_path_factory):
    """A real factorial sweep whose design holds the base scenario's point (0.5, leader)."""
    from conftest import has_command

    if not has_command(binary, "sweep"):
        pytest.skip("icsim sweep is not built yet")
    folder = tmp_path_factory.mktemp("levers")
    spec = icsim.write_sweep_file(folder / "levers.toml",
                                  {"policy.system_tied_share": {"values": [0.0, 0.5]},
                                   "policy.redistribution": ["pro_rata", "leader"]},
                                  scenario="england-2020", years=3, replications=3, seed=9,
                                  record=["summary", "national"])
    return icsim.run_sweep(spec, folder / "levers.h5", binary=binary, progress=False)


def test_sweep_report_of_levers_with_a_baseline(lever_sweep):
    page = report.build(lever_sweep.path)
    self_contained(page)
    headlines = lever_sweep.headlines()
    assert "final_systems_met" in headlines and "final_support_pot" not in headlines
    levers = page.split("What the levers do", 1)[1].split("Difference to the baseline", 1)[0]
    for metric in headlines:
        assert metric in page
    assert "the other parameters at their base values (policy.redistribution = leader)" in levers
    table = page.split("Difference to the baseline", 1)[1].split("</table>", 1)[0]
    assert table.count("<td class='num'>baseline</td>") == len(headlines)
    assert "Welch" in page and "final_support_pot" not in table
    assert "Over the years" in page and "Looking across runs" in page


def test_ensemble_report_shows_bands(binary, tmp_path):
    from conftest import has_command

    if not has_command(binary, "sweep"):
        pytest.skip("icsim sweep is not built yet")
    spec = icsim.write_sweep_file(tmp_path / "ensemble.toml", {}, scenario="england-2020", years=3,
                                  replications=6, seed=2, record=["summary", "national"])
    sweep = icsim.run_sweep(spec, tmp_path / "ensemble.h5", binary=binary, progress=False)
    assert sweep.varied == []
    page = report.build(sweep.path)
    assert page.count("<title>icsim ensemble") == 1
    assert "6 replications of one scenario" in page and "95% interval of the mean" in page
    assert len(images(page)) >= 3


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
