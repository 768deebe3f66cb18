#!/usr/bin/python3
"""Test helper for the shell tests (tests/mpi, tests/cluster): are two icsim files the same?

Compares what a reader sees, not bytes (which hold timestamps and layout): the same groups and
datasets; each dataset's type, shape, values (bit for bit) and dimension scales (by the name of
the scale, as object references differ between files); every attribute of every object. Root
attributes that record how and when a file was written, not what it holds, are left out:
PROVENANCE below. The C++ tests' counterpart is tests/output/h5_compare.hpp.

    /usr/bin/python3 tests/h5_compare.py A.h5 B.h5     exit 0 if the same, else 1 and the differences
"""
import sys

import h5py
import numpy as np

# created: when the file was written; command_line: the command that wrote it (`icsim merge ...`
# against `icsim sweep ...`, output paths); merged_from: the shard files a merge read (a single
# sweep has none). Everything else at the root (version, scenario, sweep, fingerprint, seed, ...)
# is compared.
PROVENANCE = {"created", "command_line", "merged_from"}
# Dimension scales are HDF5 object references (file addresses) in these attributes; they are
# compared as scale names instead (dims below).
SCALE_ATTRIBUTES = {"DIMENSION_LIST", "REFERENCE_LIST"}


def same_values(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "O":  # variable-length strings
        return a.tolist() == b.tolist()
    return a.tobytes() == b.tobytes()  # bit for bit: NaN == NaN, -0.0 != 0.0


def objects(f):
    found = {}
    f.visititems(lambda name, obj: found.__setitem__("/" + name, obj))
    found["/"] = f
    return found


def differences(path_a, path_b):
    out = []
    with h5py.File(path_a, "r") as fa, h5py.File(path_b, "r") as fb:
        oa, ob = objects(fa), objects(fb)
        for name in sorted(set(oa) ^ set(ob)):
            out.append(f"{name}: only in {path_a if name in oa else path_b}")
        compared = 0
        for name in sorted(set(oa) & set(ob)):
            a, b = oa[name], ob[name]
            if type(a) is not type(b):
                out.append(f"{name}: a {type(a).__name__} against a {type(b).__name__}")
                continue
            skip = SCALE_ATTRIBUTES | (PROVENANCE if name == "/" else set())
            keys_a, keys_b = set(a.attrs) - skip, set(b.attrs) - skip
            for key in sorted(keys_a ^ keys_b):
                out.append(f"{name}: attribute {key} in one file only")
            for key in sorted(keys_a & keys_b):
                if not same_values(a.attrs[key], b.attrs[key]):
                    out.append(f"{name}: attribute {key} differs")
            if isinstance(a, h5py.Dataset):
                compared += 1
                if a.dtype != b.dtype or a.shape != b.shape:
                    out.append(f"{name}: {a.dtype}{a.shape} against {b.dtype}{b.shape}")
                elif not same_values(a[()], b[()]):
                    out.append(f"{name}: values differ")
                scales = [[[s.name for s in d.values()] for d in x.dims] for x in (a, b)]
                if scales[0] != scales[1]:
                    out.append(f"{name}: dimension scales {scales[0]} against {scales[1]}")
    return out, compared


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, compared = differences(sys.argv[1], sys.argv[2])
    if out:
        print(f"{sys.argv[1]} and {sys.argv[2]} differ:", *out[:40], sep="\n  ")
        sys.exit(1)
    print(f"{sys.argv[1]} equals {sys.argv[2]}: {compared} datasets and every attribute "
          f"but {', '.join(sorted(PROVENANCE))}")


if __name__ == "__main__":
    main()
