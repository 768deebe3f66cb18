#!/usr/bin/env bash
# Installs Debian's OpenMPI for the optional MPI build (-DICSIM_MPI=ON), only if missing; quiet
# when it is there. The default build does not need it (tools/install-deps.sh).
set -euo pipefail
packages=(libopenmpi-dev openmpi-bin hdf5-tools)
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
