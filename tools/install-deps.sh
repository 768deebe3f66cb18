#!/usr/bin/env bash
# Installs the Debian 12 packages icsim needs, only those missing; quiet when none are.
# With arguments, installs those packages instead (tools/install-mpi-deps.sh uses this).
set -euo pipefail
default_packages=(build-essential cmake ninja-build pkg-config ccache
  libboost-graph-dev libtbb-dev libhdf5-dev zlib1g-dev hdf5-tools catch2 libcli11-dev libtomlplusplus-dev
  clang-format-14 pybind11-dev python3-dev clang-14 libclang-rt-14-dev
  python3-h5py python3-pandas python3-xarray python3-h5netcdf python3-matplotlib python3-scipy
  python3-pytest jupyter-nbconvert python3-ipykernel python3-nbformat
  python3-sklearn python3-tqdm python3-pip python3-setuptools
  chromium)  # chromium: the report test renders the HTML reports headless (124 MB download)
if (($#)); then packages=("$@"); else packages=("${default_packages[@]}"); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
