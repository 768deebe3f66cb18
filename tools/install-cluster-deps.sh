#!/usr/bin/env bash
# Installs Debian's SLURM and munge for the cluster test (tests/cluster/slurm_test.sh, issue 17),
# only if missing; quiet when they are there. The packages do not start any daemon here: the test
# starts its own munged, slurmctld and slurmd with a private configuration and stops them.
exec "$(dirname "$0")/install-deps.sh" slurm-wlm munge hdf5-tools
