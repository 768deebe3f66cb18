#!/usr/bin/env bash
# Installs Debian's SLURM and munge for the cluster test (tests/cluster/slurm_test.sh, issue 17),
# only if missing; quiet when they are there. The test uses none of the services the packages may
# start under systemd (munge; slurmctld and slurmd wait for /etc/slurm/slurm.conf): it starts its
# own munged, slurmctld and slurmd with a private socket, ports and slurm.conf, and stops them.
exec "$(dirname "$0")/install-deps.sh" slurm-wlm munge hdf5-tools python3-h5py
