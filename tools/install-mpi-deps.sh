#!/usr/bin/env bash
# Installs Debian's OpenMPI for the optional MPI build (-DICSIM_MPI=ON), only if missing; quiet
# when it is there. The default build does not need it (tools/install-deps.sh).
exec "$(dirname "$0")/install-deps.sh" libopenmpi-dev openmpi-bin hdf5-tools
