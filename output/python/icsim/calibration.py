"""A calibration (`icsim calibrate CALIBRATION.toml -o POSTERIOR.h5`): the posterior as a DataFrame,
its summary against the priors, the fit table, every ABC-SMC generation, the posterior predictive
runs, plots of marginals and pairs against the priors, predictive checks, and the HTML report.

    cal = icsim.open_calibration("post.h5")
    cal.posterior            # one row a particle: its weight, distance and parameter values
    cal.summary()            # per parameter: prior and posterior mean, sd, 90% interval
    cal.fit                  # per target: observed, predicted median and 90% interval,
                             # implausibility, the median's error in stated uncertainties
    cal.plot_marginals()     # weighted posterior histograms over the prior densities
"""

from __future__ import annotations

import html
import os

import h5py
import numpy as np
import pandas as pd
import xarray as xr

from . import files


def weighted_quantile(values, weights, q: float) -> float:
    """The q-quantile of a weighted sample: the smallest value whose cumulative weight reaches q
    (the definition icsim uses for the fit table)."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    keep = np.isfinite(values)
    values, weights = values[keep], weights[keep]
    if not len(values):
        return float("nan")
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    at = np.searchsorted(cumulative, q * cumulative[-1] * (1 - 1e-12))
    return float(values[order][min(at, len(values) - 1)])


class Calibration:
    """An icsim calibration file. Read whole when opened (it is small); not held open."""

    kind = "calibration"

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        with files.open_h5(self.path, expected_kind=self.kind) as handle:
            self.attrs = files.root_attributes(handle)
            self.priors = files.read_table(handle["priors"])
            self.targets = files.read_table(handle["targets"])
            self._generations = None
            self._posterior = None
            self._predictive = None
            if "generations" in handle:
                self._generations = files.read_series_group(handle["generations"])
            if "posterior" in handle:
                group = handle["posterior"]
                self._posterior = pd.DataFrame(
                    {name: files.read_values(item) for name, item in group.items()
                     if isinstance(item, h5py.Dataset) and item.ndim == 1
                     and name not in ("particle", "target")})
                self._posterior.index = pd.Index(files.read_values(group["particle"]),
                                                 name="particle")
            if "predictive" in handle:
                self._predictive = files.read_series_group(handle["predictive"])["statistics"]

    def __repr__(self) -> str:
        state = "complete" if self.complete else "incomplete"
        return (f"<icsim.Calibration {os.path.basename(self.path)}: {state}, "
                f"{len(self.parameters)} parameters, {len(self.targets)} targets, "
                f"{self.attrs.get('generations', 0)} generations>")

    # Provenance -----------------------------------------------------------------------------
    @property
    def complete(self) -> bool:
        """Whether the calibration finished (its posterior predictive runs are in the file)."""
        return int(self.attrs.get("complete", 0)) == 1

    @property
    def stopped(self) -> str:
        """Why ABC-SMC stopped, in words."""
        return str(self.attrs.get("stopped", ""))

    @property
    def calibration_text(self) -> str:
        """The calibration file (TOML) as written."""
        return str(self.attrs.get("calibration", ""))

    @property
    def scenario_text(self) -> str:
        """The resolved scenario the runs started from (TOML)."""
        return str(self.attrs.get("scenario", ""))

    @property
    def provenance(self) -> dict:
        """Who made this file, when, how: every root attribute but the long texts."""
        return {k: v for k, v in self.attrs.items() if not (isinstance(v, str) and "\n" in v)}

    @property
    def parameters(self) -> list[str]:
        return list(self.priors.index)

    # The posterior --------------------------------------------------------------------------
    def _require(self, what, name: str):
        if what is None:
            raise files.IcsimFileError(f"{self.path}: no {name} yet: the calibration has not "
                                       "finished its first generation")
        return what

    @property
    def posterior(self) -> pd.DataFrame:
        """The final generation: one row a particle, with its weight (summing to 1), its distance
        and its parameter values (one column a parameter)."""
        return self._require(self._posterior, "posterior").copy()

    @property
    def generations(self) -> pd.DataFrame:
        """One row a generation: tolerance, acceptance rate, effective sample size, attempts and
        runs."""
        data = self._require(self._generations, "generation")
        columns = ["tolerance", "acceptance_rate", "ess", "attempts", "runs"]
        frame = pd.DataFrame({c: data[c].to_numpy() for c in columns},
                             index=pd.Index(data["generation"].to_numpy(), name="generation"))
        return frame

    def particles(self, generation: int = -1) -> pd.DataFrame:
        """The particles of one generation (-1: the last): weight, distance and parameters."""
        data = self._require(self._generations, "generation").isel(generation=generation)
        frame = pd.DataFrame(data["particles"].to_numpy(), columns=list(data["parameter"].values))
        frame.insert(0, "weight", data["weights"].to_numpy())
        frame.insert(1, "distance", data["distances"].to_numpy())
        frame.index.name = "particle"
        return frame

    def summary(self) -> pd.DataFrame:
        """Per parameter: the prior's bounds and sd, the posterior's weighted mean, sd, median and
        90% interval, and the posterior sd as a share of the prior's (how much the targets
        narrowed it: near 1, the targets say little about the parameter)."""
        post = self.posterior
        weights = post["weight"].to_numpy()
        rows = {}
        for name in self.parameters:
            x = post[name].to_numpy(dtype=float)
            mean = float(np.sum(weights * x))
            sd = float(np.sqrt(np.sum(weights * (x - mean) ** 2)))
            prior = self.priors.loc[name]
            rows[name] = {
                "distribution": prior["distribution"], "prior_lower": prior["lower"],
                "prior_upper": prior["upper"], "prior_sd": prior["sd"], "mean": mean, "sd": sd,
                "median": weighted_quantile(x, weights, 0.5),
                "low": weighted_quantile(x, weights, 0.05),
                "high": weighted_quantile(x, weights, 0.95),
                "sd_over_prior": sd / prior["sd"] if prior["sd"] > 0 else np.nan,
                "unit": prior["unit"]}
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "parameter"
        return frame

    def sample(self, n: int, seed: int = 0) -> pd.DataFrame:
        """n parameter sets drawn from the posterior by weight (with replacement)."""
        post = self.posterior
        rng = np.random.default_rng(seed)
        chosen = rng.choice(len(post), size=n, replace=True, p=post["weight"].to_numpy())
        return post.iloc[chosen][self.parameters].reset_index()

    # The fit ----------------------------------------------------------------------------------
    @property
    def fit(self) -> pd.DataFrame:
        """The fit table: per target, observed, its sd, the posterior predictive median and 90%
        interval, the implausibility |observed - predicted mean| / sqrt(sd^2 + model variance),
        and `median_error_sd`, (predicted median - observed) / sd: how many of its stated
        uncertainties the median lies from the observation, and on which side."""
        columns = ["observed", "sd", "predicted_median", "predicted_low", "predicted_high",
                   "implausibility", "unit", "first_year", "last_year", "id"]
        table = self.targets[[c for c in columns if c in self.targets]].copy()
        if "predicted_median" in table:
            position = list(table.columns).index("implausibility") + 1
            table.insert(position, "median_error_sd",
                         (table["predicted_median"] - table["observed"]) / table["sd"])
        return table

    def metrics(self) -> pd.DataFrame:
        """What `python3 -m icsim info` prints: the fit table."""
        return self.fit

    @property
    def predictive(self) -> xr.DataArray:
        """The posterior predictive runs: each target's value [particle, replication, target]."""
        return self._require(self._predictive, "posterior predictive run")

    def predictive_checks(self) -> pd.DataFrame:
        """Per target: where the observation falls in the posterior predictive distribution (its
        weighted quantile, near 0 or 1 a misfit), whether it lies in the 90% interval, and the
        implausibility (above 3 conventionally implausible)."""
        runs = self.predictive
        weights = self.posterior["weight"].to_numpy()
        reps = runs.sizes["replication"]
        rows = {}
        for target in runs["target"].values:
            values = runs.sel(target=target).to_numpy().reshape(-1)
            w = np.repeat(weights / reps, reps)
            keep = np.isfinite(values)
            observed = float(self.targets.loc[target, "observed"])
            share_below = float(np.sum(w[keep][values[keep] < observed]) / np.sum(w[keep]))
            low = self.targets.loc[target, "predicted_low"]
            high = self.targets.loc[target, "predicted_high"]
            rows[target] = {"observed": observed, "quantile_of_observed": share_below,
                            "inside_90": bool(low <= observed <= high),
                            "implausibility": float(self.targets.loc[target, "implausibility"]),
                            "failed_runs": int(np.sum(~keep))}
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "target"
        return frame

    # Plots ------------------------------------------------------------------------------------
    def plot_marginals(self, axes=None, bins: int = 30):
        """One panel a parameter: the posterior (weighted histogram) over the prior's density
        (a log axis for a log-uniform prior), the 90% interval marked. Returns the axes."""
        import matplotlib.pyplot as plt

        names = self.parameters
        if axes is None:
            _, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3.2),
                                   layout="constrained", squeeze=False)
            axes = axes[0]
        post = self.posterior
        summary = self.summary()
        for ax, name in zip(axes, names):
            prior = self.priors.loc[name]
            lower, upper = float(prior["lower"]), float(prior["upper"])
            log = prior["distribution"] == "log_uniform"
            edges = (np.geomspace(lower, upper, bins + 1) if log
                     else np.linspace(lower, upper, bins + 1))
            ax.hist(post[name], bins=edges, weights=post["weight"], density=True,
                    color="#1f77b4", alpha=0.75, label="posterior")
            grid = np.geomspace(lower, upper, 200) if log else np.linspace(lower, upper, 200)
            density = (1 / (grid * np.log(upper / lower)) if log
                       else np.full_like(grid, 1 / (upper - lower)))
            ax.plot(grid, density, color="0.3", linestyle="--", label="prior")
            for edge in ("low", "high"):
                ax.axvline(summary.loc[name, edge], color="#d62728", linewidth=0.8)
            if log:
                ax.set_xscale("log")
            ax.set_xlabel(f"{name} ({prior['unit']})")
            ax.set_yticks([])
        axes[0].legend(fontsize="small")
        return axes

    def plot_pairs(self, figure=None):
        """The posterior's pairs of parameters (particles sized by weight), marginals on the
        diagonal, each axis spanning its prior. Returns the figure."""
        import matplotlib.pyplot as plt

        names = self.parameters
        k = len(names)
        if figure is None:
            figure = plt.figure(figsize=(2.6 * k + 0.6, 2.6 * k + 0.4), layout="constrained")
        grid = figure.subplots(k, k, squeeze=False)
        post = self.posterior
        size = 4 + 200 * post["weight"] / post["weight"].max()
        for i, yname in enumerate(names):
            for j, xname in enumerate(names):
                ax = grid[i][j]
                xprior = self.priors.loc[xname]
                if i == j:
                    ax.hist(post[xname], bins=25, weights=post["weight"], color="#1f77b4")
                    ax.set_yticks([])
                elif i > j:
                    ax.scatter(post[xname], post[yname], s=size / k, alpha=0.5, color="#1f77b4")
                    yprior = self.priors.loc[yname]
                    ax.set_ylim(yprior["lower"], yprior["upper"])
                else:
                    ax.axis("off")
                    continue
                ax.set_xlim(xprior["lower"], xprior["upper"])
                if i == k - 1:
                    ax.set_xlabel(xname, fontsize="small")
                if j == 0 and i > 0:
                    ax.set_ylabel(yname, fontsize="small")
        return figure

    def plot_predictive(self, axes=None):
        """One panel a target: the posterior predictive distribution (weighted histogram of the
        predictive runs) with the observation and its sd. Returns the axes."""
        import matplotlib.pyplot as plt

        runs = self.predictive
        targets = list(runs["target"].values)
        if axes is None:
            _, axes = plt.subplots(1, len(targets), figsize=(4 * len(targets), 3.2),
                                   layout="constrained", squeeze=False)
            axes = axes[0]
        weights = self.posterior["weight"].to_numpy()
        reps = runs.sizes["replication"]
        for ax, target in zip(axes, targets):
            values = runs.sel(target=target).to_numpy().reshape(-1)
            w = np.repeat(weights / reps, reps)
            keep = np.isfinite(values)
            ax.hist(values[keep], bins=30, weights=w[keep], density=True, color="#2ca02c",
                    alpha=0.7, label="posterior predictive")
            observed = float(self.targets.loc[target, "observed"])
            sd = float(self.targets.loc[target, "sd"])
            ax.axvline(observed, color="black", linewidth=1.5, label="observed")
            ax.axvspan(observed - sd, observed + sd, color="0.6", alpha=0.3, label="observed ± sd")
            ax.set_xlabel(f"{target} ({self.targets.loc[target, 'unit']})")
            ax.set_yticks([])
        axes[0].legend(fontsize="small")
        return axes

    def plot_generations(self, ax=None):
        """Tolerance and acceptance rate by generation. Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            ax = plt.subplots(figsize=(6, 3.2), layout="constrained")[1]
        g = self.generations
        finite = np.isfinite(g["tolerance"])
        ax.plot(g.index[finite], g["tolerance"][finite], marker="o", label="tolerance")
        ax.set_xlabel("generation")
        ax.set_ylabel("tolerance (distance)")
        ax.set_yscale("log")
        other = ax.twinx()
        other.plot(g.index, g["acceptance_rate"], marker="s", color="#ff7f0e",
                   label="acceptance rate")
        other.set_ylabel("acceptance rate")
        other.set_ylim(0, 1.05)
        return ax


# The HTML report ------------------------------------------------------------------------------
def report_sections(calibration: Calibration) -> list[str]:
    """The sections of a calibration's report (report.py assembles the page)."""
    from matplotlib.figure import Figure

    from .report import _frame, _img, _table

    c = calibration
    sections = ["<h2>Calibration</h2>",
                _table({"file": os.path.abspath(c.path), "state": "complete" if c.complete
                        else "incomplete (resume it with icsim calibrate --resume)",
                        "stopped": c.stopped or "-", **c.provenance})]
    if c._generations is None:
        return sections
    sections += ["<h2>Generations</h2>", _frame(c.generations)]
    figure = Figure(figsize=(6.5, 3.2), layout="constrained")
    c.plot_generations(figure.subplots())
    sections.append(_img(figure, "Tolerance (log scale) and acceptance rate by generation."))
    sections += ["<h2>Posterior against the priors</h2>", _frame(c.summary())]
    figure = Figure(figsize=(4 * len(c.parameters), 3.2), layout="constrained")
    c.plot_marginals(figure.subplots(1, len(c.parameters), squeeze=False)[0])
    sections.append(_img(figure, "Posterior (weighted histogram) over the prior (dashed); red "
                                 "lines: 90% credible interval."))
    if len(c.parameters) > 1:
        figure = Figure(figsize=(2.6 * len(c.parameters) + 0.6, 2.6 * len(c.parameters) + 0.4),
                        layout="constrained")
        c.plot_pairs(figure)
        sections.append(_img(figure, "Pairs of parameters in the posterior, each axis its prior."))
    if c.complete:
        sections += ["<h2>Fit</h2>", _frame(c.fit), _frame(c.predictive_checks())]
        figure = Figure(figsize=(4 * len(c.targets), 3.2), layout="constrained")
        c.plot_predictive(figure.subplots(1, len(c.targets), squeeze=False)[0])
        sections.append(_img(figure, "Posterior predictive distribution of each target, with "
                                     "the observation and its uncertainty."))
    sections.append(f"<details><summary>Calibration file</summary><pre>"
                    f"{html.escape(c.calibration_text)}</pre></details>")
    return sections


def report_page(path: str | os.PathLike) -> str:
    """A calibration file's report as one HTML page."""
    from .report import _page

    calibration = Calibration(path)
    return _page(f"icsim calibration: {os.path.basename(os.fspath(path))}",
                 report_sections(calibration))


def open_calibration(path: str | os.PathLike) -> Calibration:
    """An icsim calibration file (`icsim calibrate CALIBRATION.toml -o PATH`)."""
    return Calibration(path)
