"""Speed of spiking MNIST training in C++ standalone against the runtime target.

Both devices train the spiking network of `models.mnist` for two one-epoch
blocks on the same small subset, in the same run, so that a noisy machine
skews both alike. The first block includes code generation and compilation
of the C++ project or of the runtime target's Cython extensions. The second
block reuses them, so its wall time gives the simulated seconds per wall
second. Each trial is 0.2 s of simulated time.

Peak memory is the maximum resident set size from ``resource.getrusage``:
of this Python process (which contains the runtime simulation and the results)
and of its largest finished child process (the compiler or the standalone
binary).

Usage::

    python benchmarks/mnist_speed.py --train-size 40 --test-size 20
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.mnist import (  # noqa: E402
    HIDDEN_SIZE,
    INPUT_ACTIVITY,
    load_split,
    mnist_spec,
    mnist_task,
)
from models.tasks.encoding import ENCODINGS, encode_split  # noqa: E402
from models.training import train  # noqa: E402

#: Simulated time of one trial, in seconds (150 ms minus + 50 ms plus phase).
TRIAL_S = 0.2


def time_blocks(spec, task, device_name, work: Path) -> dict:
    """Train two one-epoch blocks; return the wall times of both and compile time."""
    out = work / device_name
    options = dict(
        seed=0,
        block_epochs=1,
        zero_stop=3,
        device_name=device_name,
        out=out,
        build_dir=work / f"{device_name}_build",
        progress=False,
    )
    start = time.perf_counter()
    first = train(spec, task, epochs=1, resume=False, **options)
    first_s = time.perf_counter() - start

    start = time.perf_counter()
    second = train(spec, task, epochs=2, resume=True, **options)
    second_s = time.perf_counter() - start
    return {
        "first_s": first_s,
        "second_s": second_s,
        "compile_s": first.timings.get("compile_s"),
        "binary_s": second.timings.get("binary_s"),
    }


def peak_memory_mib(usage_target: int) -> float:
    """Return the maximum resident set size in MiB (Linux reports it in KiB)."""
    return resource.getrusage(usage_target).ru_maxrss / 1024


def main(argv=None) -> int:
    """Time both devices and print the speeds, their ratio and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=40, help="training digits")
    parser.add_argument("--test-size", type=int, default=20, help="test digits")
    parser.add_argument("--hidden", type=int, default=HIDDEN_SIZE, help="hidden units")
    parser.add_argument("--encoding", choices=ENCODINGS, default="pixels")
    parser.add_argument(
        "--runtime-target",
        default="runtime",
        choices=("runtime", "cython", "numpy"),
        help="runtime target to compare with (default: runtime, Cython if it compiles)",
    )
    args = parser.parse_args(argv)

    split = load_split(train_size=args.train_size, test_size=args.test_size)
    x_train, x_test = encode_split(split, args.encoding)
    task = mnist_task(x_train, split.y_train, x_test, split.y_test)
    spec = mnist_spec(
        n_input=x_train.shape[1],
        hidden=args.hidden,
        input_activity=INPUT_ACTIVITY[args.encoding],
    )
    simulated_s = (split.n_train + split.n_test) * TRIAL_S

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        cpp = time_blocks(spec, task, "cpp_standalone", work)
        runtime = time_blocks(spec, task, args.runtime_target, work)

    print(
        f"mnist spiking, {args.encoding}, hidden {args.hidden}: one epoch = "
        f"{split.n_train} + {split.n_test} trials = {simulated_s:.1f} s simulated"
    )
    print(
        f"cpp_standalone: first block {cpp['first_s']:.1f} s wall (compile "
        f"{cpp['compile_s']:.1f} s), second block {cpp['second_s']:.1f} s wall, "
        f"binary {cpp['binary_s']:.1f} s"
    )
    print(
        f"{args.runtime_target}: first block {runtime['first_s']:.1f} s wall "
        "(includes Cython compilation), second block "
        f"{runtime['second_s']:.1f} s wall"
    )
    cpp_speed = simulated_s / cpp["second_s"]
    runtime_speed = simulated_s / runtime["second_s"]
    print(f"cpp_standalone: {cpp_speed:.2f} simulated s per wall s (second block)")
    print(
        f"{args.runtime_target}: {runtime_speed:.2f} simulated s per wall s "
        "(second block)"
    )
    print(
        f"ratio cpp_standalone / {args.runtime_target}: {cpp_speed / runtime_speed:.1f}"
    )
    print(
        f"peak memory: this process {peak_memory_mib(resource.RUSAGE_SELF):.0f} MiB, "
        f"largest child {peak_memory_mib(resource.RUSAGE_CHILDREN):.0f} MiB"
    )
    n_trials = split.n_train + split.n_test
    print(f"cpp_standalone: {cpp['second_s'] / n_trials:.3f} s wall per trial")
    return 0


if __name__ == "__main__":
    sys.exit(main())
