"""Shared fixtures of the Python tests: the icsim binary (ICSIM_BINARY, set by CTest, or the
newest build) and one short default run, made once per test session in a temporary directory."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY / "output" / "python"))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import icsim  # noqa: E402


@pytest.fixture(scope="session")
def binary() -> str:
    try:
        return icsim.find_binary()
    except FileNotFoundError as error:
        pytest.fail(str(error))


def has_command(binary: str, command: str) -> bool:
    """Whether `icsim --help` lists the subcommand (sweep and sample arrive with the sweeps)."""
    done = subprocess.run([binary, "--help"], capture_output=True, text=True)
    listed = done.stdout.split("Subcommands:", 1)[-1].split()
    return command in listed


@pytest.fixture(scope="session")
def run_file(binary, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("run") / "default.h5"
    subprocess.run([binary, "run", "-o", str(path), "--years", "6", "--seed", "7"], check=True,
                   capture_output=True)
    return path


@pytest.fixture(scope="session")
def run(run_file):
    return icsim.open_run(run_file)


@pytest.fixture()
def workdir(tmp_path):
    os.chdir(tmp_path)
    return tmp_path


def pytest_configure(config):
    # Debian's numba/llvmlite, imported by xarray, warns about importlib on every import.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:llvmlite.*")
