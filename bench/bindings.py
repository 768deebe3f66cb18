"""Speed of the Python bindings (issue 16) against the same work without them. The two sides of
each measure are timed in alternation (their order swapped every round), so that other load on
the machine skews both alike; the figures are medians of per-round ratios or differences. Not a
test (speed never is): bench/README.md keeps the latest figures.

    ICSIM_CORE_DIR=build/release/python/icsim PYTHONPATH=output/python \\
        /usr/bin/python3 bench/bindings.py [--rounds 31] [--binary build/release/icsim]

1. Model alone: `Model(record=False).run(10)` against `simulate` of the same world in C++ (what
   `icsim run` runs; icsim-bench item 1). England default, 1 thread, world built beforehand (not
   timed); and the same over 100 years, where the first years' colder caches (Model() writes
   the static tables to memory after building the world) weigh less.
2. Recording against recording: `Model(...); run(10); save(path)` against `run_scenario` with an
   output (what `icsim run -o path` does after reading its arguments: build the world, simulate,
   record, write), in the same process; and against the `icsim run` process itself.
3. step() overhead: on two models of the same seed, blocks of 10 x `step()` on one against
   `run(10)` (one call) on the other, block by block (the same years each time), recording off
   and on; and 100 x `step()` on a fresh model against C++ `simulate` of the same 100 years.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import icsim
from icsim import _loader

SCENARIO = "england-2019"
median = statistics.median


def wall(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def in_turn(round_, **sides):
    """Times each side (a function returning its seconds) in an order swapped every round."""
    names = list(sides) if round_ % 2 == 0 else list(reversed(list(sides)))
    return {name: sides[name]() for name in names}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--pairs", type=int, default=8, help="10-year pairs a round (item 1)")
    parser.add_argument("--blocks", type=int, default=10, help="step/run blocks a round (item 3)")
    parser.add_argument("--binary", default=None)
    arguments = parser.parse_args()
    core = _loader.core()
    binary = arguments.binary or icsim.find_binary()
    scratch = Path(tempfile.mkdtemp(prefix="icsim-bench-bindings-"))
    print(f"{core.__file__}\n{binary}, {arguments.rounds} rounds", file=sys.stderr)

    def settings(seed, years=10):
        return [("seed", f"run.seed={seed}"), ("years", f"run.years={years}")]

    def fresh(seed, record, years=10):
        return icsim.Model(SCENARIO, seed=seed, years=years, threads=1, record=record)

    # Warm-up: England's structure is built once a process and copied after that.
    fresh(1, True).run()
    core._reference_seconds(SCENARIO, settings(1), 1, "")

    results = {k: [] for k in ("alone", "alone100", "recording", "process", "step_off", "step_on",
                               "native")}
    seconds = {k: [] for k in ("model", "simulate", "python", "run_scenario", "cli")}
    for round_ in range(arguments.rounds):
        seed = 100 + round_
        # 1. The model alone (10-year runs take 3 ms: several pairs a round).
        for pair in range(arguments.pairs):
            model = fresh(seed + 1000 * pair, False)
            t = in_turn(round_ + pair,
                        simulate=lambda: core._reference_seconds(
                            SCENARIO, settings(seed + 1000 * pair), 1, ""),
                        model=lambda: wall(lambda: model.run(10)))
            results["alone"].append(t["model"] / t["simulate"])
            for k in ("model", "simulate"):
                seconds[k].append(t[k])
        model = fresh(seed, False, 100)
        t = in_turn(round_,
                    simulate=lambda: core._reference_seconds(SCENARIO, settings(seed, 100), 1, ""),
                    model=lambda: wall(lambda: model.run(100)))
        results["alone100"].append(t["model"] / t["simulate"])

        # 2. Recording: build, simulate 10 years, record, write the file.
        def python():
            def work():
                m = fresh(seed, True)
                m.run()
                m.save(scratch / "python.h5")
            return wall(work)

        t = in_turn(round_, python=python,
                    run_scenario=lambda: core._reference_seconds(SCENARIO, settings(seed), 1,
                                                                 str(scratch / "cpp.h5")),
                    cli=lambda: wall(lambda: subprocess.run(
                        [binary, "run", SCENARIO, "--seed", str(seed), "--years", "10",
                         "--threads", "1", "-q", "-o", str(scratch / "cli.h5")], check=True)))
        results["recording"].append(t["python"] / t["run_scenario"])
        results["process"].append(t["python"] / t["cli"])
        for k in ("python", "run_scenario", "cli"):
            seconds[k].append(t[k])

        # 3. step() against run(): the same years on two models of one seed, block by block.
        for record, key in ((False, "step_off"), (True, "step_on")):
            stepped, ran = fresh(seed, record, 1000), fresh(seed, record, 1000)

            def steps():
                return wall(lambda: [stepped.step() for _ in range(10)])

            for block in range(arguments.blocks):
                t = in_turn(round_ + block, steps=steps, run=lambda: wall(lambda: ran.run(10)))
                results[key].append((t["steps"] - t["run"]) / 10)
        stepped = fresh(seed, False, 100)
        t = in_turn(round_, steps=lambda: wall(lambda: [stepped.step() for _ in range(100)]),
                    simulate=lambda: core._reference_seconds(SCENARIO, settings(seed, 100), 1, ""))
        results["native"].append((t["steps"] - t["simulate"]) / 100)
        print(f"  round {round_ + 1}: alone {results['alone'][-1]:.3f}, recording "
              f"{results['recording'][-1]:.3f}, step-run {median(results['step_off'][-10:]) * 1e6:.1f} us",
              file=sys.stderr)

    ms = lambda key: f"{median(seconds[key]) * 1e3:.2f} ms"
    decile = lambda key: statistics.quantiles(seconds[key], n=10)[0]  # a run not preempted
    quartiles = lambda key: "[{:.3f}, {:.3f}]".format(*statistics.quantiles(results[key], n=4)[::2])
    us = lambda key: median(results[key]) * 1e6
    met = lambda ok: "yes" if ok else "**no**"
    rows = [
        ("England 10 years, model alone, 1 thread: `Model.run(10)` / C++ `simulate`",
         f"{median(results['alone']):.3f} (quartiles {quartiles('alone')}; fastest tenths "
         f"{decile('model') / decile('simulate'):.3f}; {ms('model')} vs {ms('simulate')}; "
         f"{len(results['alone'])} pairs)", "<= 1.05",
         met(median(results["alone"]) <= 1.05)),
        ("England 100 years, model alone, 1 thread: `Model.run(100)` / C++ `simulate`",
         f"{median(results['alone100']):.3f} (quartiles {quartiles('alone100')})", "", ""),
        ("England 10 years recorded, 1 thread: `Model(); run(10); save()` / `run_scenario` with "
         "an output (in process)",
         f"{median(results['recording']):.3f} (quartiles {quartiles('recording')}; {ms('python')} "
         f"vs {ms('run_scenario')})", "<= 1.05",
         met(median(results["recording"]) <= 1.05)),
        ("the same / the `icsim run -o` process",
         f"{median(results['process']):.3f} (vs {ms('cli')})", "", ""),
        ("`step()` overhead per year over `run(10)`, recording off",
         f"{us('step_off'):.1f} us", "< 50 us", met(us("step_off") < 50)),
        ("`step()` overhead per year over `run(10)`, recording on",
         f"{us('step_on'):.1f} us", "< 50 us", met(us("step_on") < 50)),
        ("100 x `step()` over C++ `simulate` of the same 100 years, per year (recording off)",
         f"{us('native'):.1f} us", "< 50 us", met(us("native") < 50)),
    ]
    print("| measure | value | target | met |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
