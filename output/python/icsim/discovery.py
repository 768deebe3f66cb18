"""Scenario discovery: which combinations of levers give the outcomes of interest ("at least 30
systems meet their totals")? PRIM, the patient rule induction method of Friedman and Fisher
(1999, "Bump hunting in high-dimensional data", Statistics and Computing 9, 123-143), as the EMA
Workbench and Bryant and Lempert (2010) use it, and a CART alternative (a classification tree's
leaves as boxes, scikit-learn's DecisionTreeClassifier).

A box restricts some parameters: a numeric one to [low, high], a categorical one (text, choice,
flag) to a set of levels. Of a box: coverage = the share of all cases of interest that fall in
it, density = the share of the points in it that are cases of interest, mass = the share of
all points in it.

    result = discovery.prim(x, y)     # x: DataFrame of parameters, y: boolean, one row a point
    result.trajectory                 # coverage, density, mass, restricted of each peeled box
    result.limits()                   # the chosen box's limits with quasi-p-values
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Box:
    """Limits: {parameter: (low, high)} for numeric parameters, {parameter: frozenset(levels)} for
    categorical ones; a parameter not restricted keeps its limits over the whole data."""

    limits: dict = field(default_factory=dict)

    def contains(self, x: pd.DataFrame) -> np.ndarray:
        inside = np.ones(len(x), dtype=bool)
        for name, limit in self.limits.items():
            column = x[name]
            if isinstance(limit, frozenset):
                inside &= column.isin(limit).to_numpy()
            else:
                values = column.to_numpy(dtype=float)
                inside &= (values >= limit[0]) & (values <= limit[1])
        return inside

    def copy(self) -> "Box":
        return Box(dict(self.limits))


def _categorical(column: pd.Series) -> bool:
    return column.dtype.kind not in "iuf"


def _whole_box(x: pd.DataFrame) -> Box:
    limits = {}
    for name in x.columns:
        column = x[name]
        if _categorical(column):
            limits[name] = frozenset(column.unique().tolist())
        else:
            values = column.to_numpy(dtype=float)
            limits[name] = (float(values.min()), float(values.max()))
    return Box(limits)


def _stats(inside: np.ndarray, y: np.ndarray) -> tuple[float, float, float, int]:
    n = int(inside.sum())
    cases = int(y[inside].sum())
    total = int(y.sum())
    return (cases / total if total else np.nan, cases / n if n else np.nan, n / len(y), n)


def _restricted(box: Box, whole: Box) -> list[str]:
    return [name for name, limit in box.limits.items() if limit != whole.limits[name]]


def _peels(box: Box, x: pd.DataFrame, inside: np.ndarray, alpha: float):
    """Every candidate box one peel smaller: alpha of the box's points off either end of a
    numeric parameter (at least its lowest or highest value), or one level of a categorical."""
    for name, limit in box.limits.items():
        column = x.loc[inside, name]
        if isinstance(limit, frozenset):
            if len(limit) < 2:
                continue
            for level in limit:
                peeled = box.copy()
                peeled.limits[name] = limit - {level}
                yield peeled
            continue
        values = np.sort(column.to_numpy(dtype=float))
        if values[0] == values[-1]:
            continue
        lower = np.quantile(values, alpha, method="lower")
        kept = values[values > lower]
        if len(kept):
            peeled = box.copy()
            peeled.limits[name] = (0.5 * (lower + kept[0]), limit[1])
            yield peeled
        upper = np.quantile(values, 1 - alpha, method="higher")
        kept = values[values < upper]
        if len(kept):
            peeled = box.copy()
            peeled.limits[name] = (limit[0], 0.5 * (upper + kept[-1]))
            yield peeled


def _pastes(box: Box, whole: Box, x: pd.DataFrame, alpha: float, size: int):
    """Every candidate box one paste larger: about alpha of the box's size of the points just
    outside one numeric limit (those inside every other limit), or one level back in."""
    for name, limit in box.limits.items():
        full = whole.limits[name]
        others = box.copy()
        others.limits[name] = full
        near = others.contains(x)
        if isinstance(limit, frozenset):
            for level in full - limit:
                pasted = box.copy()
                pasted.limits[name] = limit | {level}
                yield pasted
            continue
        values = x.loc[near, name].to_numpy(dtype=float)
        step = max(1, int(np.ceil(alpha * size)))
        below = np.sort(values[values < limit[0]])[::-1]
        if len(below):
            pasted = box.copy()
            reach = below[min(step, len(below)) - 1]
            beyond = below[min(step, len(below))] if len(below) > step else full[0]
            pasted.limits[name] = (0.5 * (reach + beyond) if len(below) > step else full[0], limit[1])
            yield pasted
        above = np.sort(values[values > limit[1]])
        if len(above):
            pasted = box.copy()
            reach = above[min(step, len(above)) - 1]
            beyond = above[min(step, len(above))] if len(above) > step else full[1]
            pasted.limits[name] = (limit[0], 0.5 * (reach + beyond) if len(above) > step else full[1])
            yield pasted


class PrimResult:
    """The peeling trajectory of PRIM and the boxes on it. ``trajectory``: one row a box, from the
    whole space to the smallest, with coverage, density, mass and the number of parameters it
    restricts. ``chosen``: the box ``limits`` and ``stats`` describe unless told another."""

    def __init__(self, x: pd.DataFrame, y: np.ndarray, boxes: list[Box], whole: Box,
                 paste_alpha: float, min_density: float):
        self.x, self.y, self.boxes, self.whole = x, y, boxes, whole
        self.paste_alpha = paste_alpha
        rows = []
        for i, box in enumerate(boxes):
            coverage, density, mass, n = _stats(box.contains(x), y)
            rows.append({"box": i, "coverage": coverage, "density": density, "mass": mass,
                         "points": n, "restricted": len(_restricted(box, whole))})
        self.trajectory = pd.DataFrame(rows).set_index("box")
        self.attrs: dict = {}
        self.chosen = self.choose(min_density)

    def choose(self, min_density: float) -> int:
        """The box of highest coverage among those with at least ``min_density`` (the densest,
        if none reaches it)."""
        t = self.trajectory
        good = t[t["density"] >= min_density]
        if len(good) == 0:
            return int(t["density"].idxmax())
        return int(good.sort_values(["coverage", "density"], ascending=False).index[0])

    def box(self, i: int | None = None, paste: bool = True) -> Box:
        """Box ``i`` of the trajectory (default: the chosen one), pasted: each limit moved back
        out while that gains cases without lowering the density (Friedman and Fisher's pasting;
        a peel may take off more than the slice it aimed at)."""
        box = self.boxes[self.chosen if i is None else i].copy()
        if not paste:
            return box
        coverage, density, _, n = _stats(box.contains(self.x), self.y)
        while True:
            best, best_key = None, (density - 1e-12, coverage)
            for candidate in _pastes(box, self.whole, self.x, self.paste_alpha, n):
                c, d, _, m = _stats(candidate.contains(self.x), self.y)
                if c > coverage and (d, c) > best_key:
                    best, best_key = candidate, (d, c)
            if best is None:
                return box
            box, (density, coverage) = best, best_key
            n = int(box.contains(self.x).sum())

    def stats(self, i: int | None = None) -> dict:
        """Coverage, density, mass and points of box ``i`` (pasted)."""
        coverage, density, mass, n = _stats(self.box(i).contains(self.x), self.y)
        return {"coverage": coverage, "density": density, "mass": mass, "points": n}

    def limits(self, i: int | None = None) -> pd.DataFrame:
        """The restricted parameters of box ``i`` (pasted): low and high (numeric) or the levels
        kept (categorical), and the quasi-p-value of each restriction: the one-sided binomial
        probability of at least the box's cases among its points if the density were that of the
        box without this restriction (small: the restriction matters)."""
        from scipy.stats import binom

        box = self.box(i)
        inside = box.contains(self.x)
        cases, n = int(self.y[inside].sum()), int(inside.sum())
        rows = []
        for name in _restricted(box, self.whole):
            relaxed = box.copy()
            relaxed.limits[name] = self.whole.limits[name]
            around = relaxed.contains(self.x)
            p = self.y[around].sum() / max(around.sum(), 1)
            limit = box.limits[name]
            row = {"parameter": name, "quasi_p": float(binom.sf(cases - 1, n, p))}
            if isinstance(limit, frozenset):
                row.update(low=np.nan, high=np.nan, levels=", ".join(sorted(map(str, limit))))
            else:
                row.update(low=limit[0], high=limit[1], levels="")
            rows.append(row)
        frame = pd.DataFrame(rows, columns=["parameter", "low", "high", "levels", "quasi_p"])
        return frame.set_index("parameter")

    def __repr__(self) -> str:
        s = self.stats()
        return (f"<PRIM: {len(self.boxes)} boxes; chosen box {self.chosen}: coverage "
                f"{s['coverage']:.2f}, density {s['density']:.2f}, mass {s['mass']:.2f}>")


def _inputs(x, y) -> tuple[pd.DataFrame, np.ndarray]:
    x = pd.DataFrame(x).reset_index(drop=True)
    y = np.asarray(y)
    if y.dtype.kind != "b":
        raise ValueError("y must be boolean: True for a case of interest (e.g. metric >= threshold)")
    if len(x) != len(y):
        raise ValueError(f"{len(y)} outcomes for {len(x)} points")
    if not y.any():
        raise ValueError("no case of interest: lower the threshold")
    return x, y


def prim(x, y, peel_alpha: float = 0.05, paste_alpha: float = 0.05, mass_min: float = 0.05,
         min_density: float = 0.8) -> PrimResult:
    """PRIM on points ``x`` (one row a point, one column a parameter) and boolean outcomes ``y``.
    Peeling: from the whole space, repeatedly take off the slice (``peel_alpha`` of the box's
    points at one end of a numeric parameter, or one level of a categorical) whose removal
    raises the density most per point removed, until the box holds less than ``mass_min`` of
    the points or no slice raises the density. Every box on the way is kept (the trajectory, the
    coverage-density trade-off); the chosen one has the highest coverage with at least
    ``min_density``, and is pasted (see PrimResult.box)."""
    x, y = _inputs(x, y)
    whole = _whole_box(x)
    box = whole.copy()
    boxes = [box]
    inside = box.contains(x)
    while True:
        _, density, mass, n = _stats(inside, y)
        best, best_gain, best_inside = None, 0.0, None
        for candidate in _peels(box, x, inside, peel_alpha):
            kept = candidate.contains(x)
            m = int(kept.sum())
            if m == 0 or m == n or m / len(y) < mass_min:
                continue
            gain = (y[kept].mean() - density) / (n - m)
            if gain > best_gain:
                best, best_gain, best_inside = candidate, gain, kept
        if best is None:
            break
        box, inside = best, best_inside
        boxes.append(box)
    return PrimResult(x, y, boxes, whole, paste_alpha, min_density)


def cart(x, y, min_samples_leaf: int | float = 0.02, max_depth: int = 6, seed: int = 0
         ) -> pd.DataFrame:
    """The CART alternative to PRIM: a classification tree on ``x`` (categorical parameters one-hot)
    and boolean ``y``; each leaf is a box. One row a leaf, densest first: coverage, density, mass,
    points and the box in words; ``attrs["boxes"]`` the leaves' Box objects by row."""
    from sklearn.tree import DecisionTreeClassifier

    x, y = _inputs(x, y)
    encoded = pd.get_dummies(x, prefix_sep="=", dtype=float)
    if isinstance(min_samples_leaf, float):
        min_samples_leaf = max(1, int(np.ceil(min_samples_leaf * len(y))))
    tree = DecisionTreeClassifier(min_samples_leaf=min_samples_leaf, max_depth=max_depth,
                                  random_state=seed).fit(encoded.to_numpy(), y.astype(int))
    structure = tree.tree_
    whole = _whole_box(x)
    rows, boxes = [], []

    def visit(node: int, box: Box, words: list[str]) -> None:
        if structure.children_left[node] == -1:
            coverage, density, mass, n = _stats(box.contains(x), y)
            rows.append({"coverage": coverage, "density": density, "mass": mass, "points": n,
                         "box": " and ".join(words) or "everything"})
            boxes.append(box)
            return
        feature, threshold = encoded.columns[structure.feature[node]], structure.threshold[node]
        left, right = box.copy(), box.copy()
        if feature in x.columns:  # numeric: x <= threshold goes left
            low, high = box.limits[feature]
            left.limits[feature] = (low, min(high, threshold))
            right.limits[feature] = (max(low, np.nextafter(threshold, np.inf)), high)
            visit(structure.children_left[node], left, words + [f"{feature} <= {threshold:.4g}"])
            visit(structure.children_right[node], right, words + [f"{feature} > {threshold:.4g}"])
            return
        name, level = feature.split("=", 1)
        levels = box.limits[name]
        match = {v for v in levels if str(v) == level}
        left.limits[name] = frozenset(levels - match)
        right.limits[name] = frozenset(match)
        visit(structure.children_left[node], left, words + [f"{name} != {level}"])
        visit(structure.children_right[node], right, words + [f"{name} = {level}"])

    visit(0, whole, [])
    frame = pd.DataFrame(rows)
    order = frame.sort_values(["density", "coverage"], ascending=False).index
    frame = frame.loc[order].reset_index(drop=True)
    frame.attrs["boxes"] = [boxes[i] for i in order]
    frame.attrs["accuracy"] = float(tree.score(encoded.to_numpy(), y.astype(int)))
    return frame
