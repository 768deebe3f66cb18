"""The notebooks in output/notebooks run from top to bottom under `jupyter nbconvert --execute`,
produce their figures and no errors, and are kept in the repository without outputs."""

import os
import subprocess
import sys
import time
from pathlib import Path

import icsim
import nbformat
import pytest
from conftest import REPOSITORY, has_command

NOTEBOOKS = REPOSITORY / "output" / "notebooks"
# Each notebook and the least number of figures it must draw.
FIGURES = {"01-one-run.ipynb": 4, "02-incentive-sweep.ipynb": 3, "03-sensitivity.ipynb": 6,
           "04-scenario-discovery.ipynb": 4}
NEEDS = {"02-incentive-sweep.ipynb": "sweep", "03-sensitivity.ipynb": "sweep",
         "04-scenario-discovery.ipynb": "sweep"}
NEEDS_MODULE = {"01-one-run.ipynb"}  # drives the model through icsim.Model


def test_every_notebook_is_checked():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(FIGURES)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_stored_without_outputs(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, \
                f"{name}: outputs are stripped in the repository"


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_runs_and_draws_its_figures(name, binary, tmp_path):
    if name in NEEDS and not has_command(binary, NEEDS[name]):
        pytest.skip(f"icsim {NEEDS[name]} is not built yet")
    if name in NEEDS_MODULE and not icsim.core_available():
        pytest.skip("the module icsim._core is not built (-DICSIM_PYTHON=OFF or no pybind11)")
    # TMPDIR: the notebook's own temporary directory goes where pytest cleans up.
    environment = dict(os.environ, ICSIM_BINARY=binary, PYDEVD_DISABLE_FILE_VALIDATION="1",
                       TMPDIR=str(tmp_path))
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(REPOSITORY / "output" / "python")] + [p for p in environment.get("PYTHONPATH", "").split(os.pathsep) if p])
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
         "--ExecutePreprocessor.timeout=300", "--output-dir", str(tmp_path), str(NOTEBOOKS / name)],
        capture_output=True, text=True, env=environment, cwd=tmp_path)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    executed = nbformat.read(tmp_path / name, as_version=4)
    figures, errors = 0, []
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                errors.append(f"{output.ename}: {output.evalue}")
            figures += "image/png" in output.get("data", {})
    assert not errors, errors
    assert figures >= FIGURES[name], f"{name} drew {figures} figures, expected {FIGURES[name]}"
    print(f"{name}: {figures} figures in {seconds:.1f} s")
    assert seconds < 300, f"{name} took {seconds:.0f} s: notebooks must run in a few minutes"
