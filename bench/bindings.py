"""Speed of the Python bindings (issue 16) against the same work without them, timed in
alternation so that other load on the machine skews both sides alike; medians of per-round
ratios. Not a test (speed never is): bench/README.md keeps the latest figures.

    ICSIM_CORE_DIR=build/release/python/icsim PYTHONPATH=output/python \\
        /usr/bin/python3 bench/bindings.py [--rounds 15] [--binary build/release/icsim]

1. Model alone: `Model(record=False).run(10)` against `simulate` on the same world in C++ (what
   `icsim run` and icsim-bench item 1 run), England default, 1 thread.
2. Recording: `Model(...); run(10); save(path)` against `icsim run -o path` (a process: parsing
   the scenario, building the world, simulating, recording, writing), 1 thread; and the same
   with 1 year taken off both sides, which leaves 9 years of simulation and recording.
3. step() overhead: 10 x `step()` against `run(10)` (one call), with and without recording, per
   year; and 10 x `step()` against C++ `simulate` of 10 years, per year.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import icsim
from icsim import _loader

SCENARIO = "england-2019"


def wall(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def model_run(seed, years, record, threads=1):
    m = icsim.Model(SCENARIO, seed=seed, years=years, threads=threads, record=record)
    return m, wall(lambda: m.run(years))


def model_steps(seed, years, record, threads=1):
    m = icsim.Model(SCENARIO, seed=seed, years=years, threads=threads, record=record)

    def steps():
        for _ in range(years):
            m.step()

    return wall(steps)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--binary", default=None)
    arguments = parser.parse_args()
    core = _loader.core()
    binary = arguments.binary or icsim.find_binary()
    scratch = Path(tempfile.mkdtemp(prefix="icsim-bench-bindings-"))
    settings = lambda seed, years: [("seed", f"run.seed={seed}"), ("years", f"run.years={years}")]
    print(f"icsim bindings bench: {core.__file__}\n  binary {binary}, {arguments.rounds} rounds",
          file=sys.stderr)
    # Warm-up: England's structure is built once per process; the first world pays for it.
    model_run(1, 1, False)
    core._simulate_seconds(SCENARIO, settings(1, 1), 1)

    alone, recording, recording9 = [], [], []
    step_overhead = {True: [], False: []}
    beyond_native = []
    times = {k: [] for k in ("native", "model", "cli", "python", "cli1", "python1")}
    for round_ in range(arguments.rounds):
        seed = 100 + round_
        # 1: model alone, the two sides in turn (order alternating between rounds).
        pair = []
        for side in (("native", "model") if round_ % 2 == 0 else ("model", "native")):
            if side == "native":
                t = core._simulate_seconds(SCENARIO, settings(seed, 10), 1)
            else:
                t = model_run(seed, 10, False)[1]
            times[side].append(t)
            pair.append((side, t))
        d = dict(pair)
        alone.append(d["model"] / d["native"])

        # 2: recording, a process against the module in this process.
        def cli(years, path):
            command = [binary, "run", SCENARIO, "--seed", str(seed), "--years", str(years),
                       "--threads", "1", "-q", "-o", str(path)]
            return wall(lambda: subprocess.run(command, check=True))

        def python(years, path):
            def work():
                m = icsim.Model(SCENARIO, seed=seed, years=years, threads=1)
                m.run()
                m.save(path)

            return wall(work)

        d = {}
        order = ("cli", "python") if round_ % 2 == 0 else ("python", "cli")
        for side in order:
            for years, key in ((10, side), (1, side + "1")):
                d[key] = (cli if side == "cli" else python)(years, scratch / f"{key}.h5")
                times[key].append(d[key])
        recording.append(d["python"] / d["cli"])
        recording9.append((d["python"] - d["python1"]) / (d["cli"] - d["cli1"]))

        # 3: step() overhead per year.
        for record in (False, True):
            stepped = model_steps(seed, 10, record)
            ran = model_run(seed, 10, record)[1]
            step_overhead[record].append((stepped - ran) / 10)
        stepped = model_steps(seed, 10, False)
        native = core._simulate_seconds(SCENARIO, settings(seed, 10), 1)
        beyond_native.append((stepped - native) / 10)
        print(f"  round {round_ + 1}: alone {alone[-1]:.3f}, recording {recording[-1]:.3f} "
              f"(9 years {recording9[-1]:.3f}), step overhead {step_overhead[False][-1] * 1e6:.1f} us",
              file=sys.stderr)

    med = statistics.median
    ms = lambda key: f"{med(times[key]) * 1e3:.2f} ms"
    print("| # | measure | value | target | met |")
    print("|---|---|---|---|---|")
    print(f"| 1 | England 10 years, model alone, 1 thread: Model.run / C++ simulate | "
          f"{med(alone):.3f} ({ms('model')} vs {ms('native')}) | <= 1.05 | "
          f"{'yes' if med(alone) <= 1.05 else 'no'} |")
    print(f"| 2 | England 10 years recorded, 1 thread: Model(); run(10); save() / `icsim run -o` | "
          f"{med(recording):.3f} ({ms('python')} vs {ms('cli')}) | <= 1.05 | "
          f"{'yes' if med(recording) <= 1.05 else 'no'} |")
    print(f"| 2 | the same, 9 years' simulation and recording (10 years less 1 on both sides) | "
          f"{med(recording9):.3f} | <= 1.05 | {'yes' if med(recording9) <= 1.05 else 'no'} |")
    for record in (False, True):
        value = med(step_overhead[record]) * 1e6
        print(f"| 3 | step() overhead per year over run(10), recording {'on' if record else 'off'} | "
              f"{value:.1f} us | < 50 us | {'yes' if value < 50 else 'no'} |")
    value = med(beyond_native) * 1e6
    print(f"| 3 | step() x 10 over C++ simulate of 10 years, per year (recording off) | "
          f"{value:.1f} us | < 50 us | {'yes' if value < 50 else 'no'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
