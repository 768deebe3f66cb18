"""The package installs as the README says, with Debian's pip and setuptools and no network:
`pip install --no-build-isolation --break-system-packages output/python` (here into a
temporary prefix, from a copy of the sources, so that neither the system nor the checkout
changes), and the installed copy imports and runs `python3 -m icsim`."""

import os
import shutil
import subprocess
import sys

import pytest
from conftest import REPOSITORY


def test_pip_installs_the_package_offline(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True)
    if done.returncode != 0:
        pytest.skip("pip is not installed (Debian's python3-pip)")
    source = tmp_path / "source"
    shutil.copytree(REPOSITORY / "output" / "python", source,
                    ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    prefix = tmp_path / "prefix"
    environment = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    environment.pop("PYTHONPATH", None)
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation",
                           "--break-system-packages", "--prefix", str(prefix), str(source)],
                          capture_output=True, text=True, env=environment)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    installed = list(prefix.rglob("icsim/__init__.py"))
    assert len(installed) == 1
    site = installed[0].parent.parent
    assert (site / "icsim" / "report.py").is_file() and (site / "icsim" / "discovery.py").is_file()
    environment["PYTHONPATH"] = str(site)
    done = subprocess.run([sys.executable, "-c", "import icsim; print(icsim.__file__, icsim.__version__)"],
                          capture_output=True, text=True, env=environment, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(site)), done.stdout
    done = subprocess.run([sys.executable, "-m", "icsim", "--help"], capture_output=True, text=True,
                          env=environment, cwd=tmp_path)
    assert done.returncode == 0 and "export" in done.stdout
