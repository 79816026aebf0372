"""Wall time of ra25 training in C++ standalone against the runtime target.

Measured in one run, so that the ratio is not skewed by a noisy machine:

1. C++ standalone, fresh build directory: code generation, compilation and
   the training run;
2. C++ standalone again, another seed, same build directory: the compiled
   binary should be reused (compile time 0);
3. the runtime target (Cython when it compiles), same epochs, twice: the
   first run fills the Cython cache, the second measures the simulation.

Usage::

    python benchmarks/ra25_speed.py --epochs 3
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.ra25 import ra25_spec, ra25_task  # noqa: E402
from models.training import train  # noqa: E402


def timed_run(device_name, seed, epochs, work, build_dir=None):
    """Train ra25 without the stop rule; return (wall s, timings)."""
    start = time.perf_counter()
    result = train(
        ra25_spec(),
        ra25_task(),
        seed=seed,
        epochs=epochs,
        block_epochs=epochs,
        zero_stop=epochs + 1,
        device_name=device_name,
        out=work / f"{device_name}_{seed}",
        build_dir=build_dir,
        resume=False,
        progress=False,
    )
    return time.perf_counter() - start, result.timings


def main(argv=None) -> int:
    """Run the three measurements and print the times and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run")
    args = parser.parse_args(argv)
    simulated_s = args.epochs * 25 * 0.2

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        build = work / "build"
        cpp_wall, cpp = timed_run("cpp_standalone", 1, args.epochs, work, build)
        again_wall, again = timed_run("cpp_standalone", 2, args.epochs, work, build)
        cython = work / "runtime_build"
        first_runtime_wall, _ = timed_run("runtime", 1, args.epochs, work, cython)
        runtime_wall, _ = timed_run("runtime", 2, args.epochs, work, cython)

    cpp_sim = again["binary_s"]
    print(f"ra25, {args.epochs} epochs = {simulated_s:.0f} s of simulated time")
    print(
        f"cpp_standalone first run: {cpp_wall:.1f} s wall, compile {cpp['compile_s']:.1f} s"
    )
    print(
        f"cpp_standalone second run (seed 2): {again_wall:.1f} s wall, compile "
        f"{again['compile_s']:.1f} s, binary reused: {again['reused_binary']}"
    )
    print(f"runtime target, first run: {first_runtime_wall:.1f} s wall (with Cython)")
    print(f"runtime target, second run (seed 2): {runtime_wall:.1f} s wall")
    print(
        f"ratio runtime / cpp_standalone, second runs: {runtime_wall / again_wall:.1f}"
    )
    print(
        f"cpp_standalone binary: {cpp_sim:.2f} s, "
        f"{simulated_s / cpp_sim:.1f} x faster than real time"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
