"""Brief MNIST training on CUDA standalone against C++ standalone.

Both devices train the spiking MNIST network (`models.mnist.mnist_spec`,
pixels) with `models.training.train` on the same digit subset, seed and trial
order, each in its own worker process. The script prints their real-time
factors (simulated seconds per second of binary run time, and per second of
wall time including compilation) and their training and test accuracies.

The accuracies are taken to agree when the test accuracies differ by at most
two standard errors of the difference of two binomial estimates,
``2 sqrt(2 p (1 - p) / n)``, with ``p`` their mean and ``n`` the number of
test digits (0.14 for p = 0.5 and n = 100). The two devices do not give the
same spikes: brian2cuda sums the receivers' inputs with atomic additions in
a varying order, so rounding differs and spike times drift apart within a
trial. The two runs are then no closer than two trainings of nearly the same
network, which is what the binomial tolerance allows for.

Without a GPU (``nvidia-smi`` lists none) nothing is trained. The script
prints why and, when nvcc and cuRAND are found, still generates and compiles
the CUDA project of the same training run and prints the compile time.

Usage::

    python benchmarks/cuda_mnist.py --train-size 200 --test-size 100
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import TRIAL_S, in_worker, mnist_setup  # noqa: E402

from models import devices  # noqa: E402


def train_on(device_name: str, options: dict, build_dir: str, out: str) -> dict:
    """Train on one device in this process; return timings and accuracies."""
    from models.mnist import accuracy_table
    from models.training import train

    spec, task, labels = mnist_setup(
        options["train_size"], options["test_size"], options["hidden"]
    )
    start = time.perf_counter()
    result = train(
        spec,
        task,
        seed=1,
        epochs=options["epochs"],
        block_epochs=options["epochs"],
        zero_stop=None,
        device_name=device_name,
        out=out,
        build_dir=build_dir,
        resume=False,
        progress=False,
    )
    wall = time.perf_counter() - start
    accuracy = accuracy_table(result.trials, labels).iloc[-1]
    return {
        "wall_s": wall,
        "binary_s": result.timings["binary_s"],
        "compile_s": result.timings["compile_s"],
        "train_acc": float(accuracy["train_acc"]),
        "test_acc": float(accuracy["test_acc"]),
    }


def compile_cuda(options: dict, build_dir: str) -> dict:
    """Generate and compile the CUDA project of the training run; do not run it.

    The project is the one `models.training.train` builds for the first
    block: the network of the spec on the block's schedule, run for the
    block's duration.
    """
    from brian2 import defaultclock, ms
    from brian2 import seed as seed_noise

    from models.network import LayeredNetwork, initial_state
    from models.schedule import Schedule
    from models.training import NOISE_SEED

    spec, task, _ = mnist_setup(
        options["train_size"], options["test_size"], options["hidden"]
    )
    devices.select_device("cuda_standalone", build_dir)
    defaultclock.dt = 1 * ms
    seed_noise(NOISE_SEED)
    plan = [task.epoch_trials(e, 1) for e in range(1, options["epochs"] + 1)]
    patterns = [p for pattern, _ in plan for p in pattern]
    flags = [f for _, flag in plan for f in flag]
    schedule = Schedule(task.inputs, task.targets, patterns, flags)
    network = LayeredNetwork(spec, schedule, initial_state(spec, 1))
    start = time.perf_counter()
    network.network.run(schedule.duration)
    compiled = devices.build_cached(build_dir)
    return {
        "generate_and_compile_s": time.perf_counter() - start,
        "compile_s": compiled["compile_s"],
        "binary": str(Path(build_dir) / "main"),
    }


def agreement_tolerance(acc_a: float, acc_b: float, n_test: int) -> float:
    """Return two standard errors of the difference of two binomial accuracies.

    Raises
    ------
    ValueError
        For a number of test digits below 1.
    """
    if n_test < 1:
        raise ValueError(f"Invalid number of test digits {n_test}: use at least 1.")
    p = 0.5 * (acc_a + acc_b)
    return 2 * math.sqrt(2 * p * (1 - p) / n_test)


def main(argv=None) -> int:
    """Train on both devices, or compile only without a GPU; print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--train-size", type=int, default=200, help="training digits (default 200)"
    )
    parser.add_argument(
        "--test-size", type=int, default=100, help="test digits (default 100)"
    )
    parser.add_argument(
        "--hidden", type=int, default=256, help="hidden units (default 256)"
    )
    parser.add_argument(
        "--epochs", type=int, default=1, help="epochs, run as one block (default 1)"
    )
    args = parser.parse_args(argv)
    for name in ("train_size", "test_size", "hidden", "epochs"):
        value = getattr(args, name)
        if value < 1:
            option = "--" + name.replace("_", "-")
            parser.error(f"invalid {option} {value}: use 1 or more")
    options = vars(args)
    simulated_s = args.epochs * (args.train_size + args.test_size) * TRIAL_S

    print(
        f"MNIST 784-{args.hidden}-10, {args.train_size} training + {args.test_size} "
        f"test digits, {args.epochs} epoch(s) = {simulated_s:.0f} s simulated"
    )
    with tempfile.TemporaryDirectory(prefix="cuda_mnist_") as scratch:
        work = Path(scratch)
        if not devices.gpu_available():
            print("skipped training: no GPU here (nvidia-smi lists none)")
            status = devices.cuda_toolkit_status()
            if not status.ready:
                print(f"CUDA project not compiled: {status.reason}")
                return 0
            print(f"compiling the CUDA project with {status.nvcc} ...", flush=True)
            result = in_worker(
                compile_cuda, options=options, build_dir=str(work / "cuda")
            )
            if result["status"] != "ok":
                print(f"CUDA compile failed: {result['status']}")
                return 1
            print(
                f"cuda_standalone: generated and compiled in "
                f"{result['generate_and_compile_s']:.1f} s (make "
                f"{result['compile_s']:.1f} s), peak memory of the compiler "
                f"{result['peak_child_rss_mib']:.0f} MiB"
            )
            return 0

        results = {}
        for device_name in ("cuda_standalone", "cpp_standalone"):
            print(f"training on {device_name} ...", flush=True)
            results[device_name] = in_worker(
                train_on,
                device_name=device_name,
                options=options,
                build_dir=str(work / f"{device_name}_build"),
                out=str(work / device_name),
            )

    failed = [name for name, r in results.items() if r["status"] != "ok"]
    for name in failed:
        print(f"{name} failed: {results[name]['status']}")
    if failed:
        return 1
    for name, r in results.items():
        print(
            f"{name}: {simulated_s / r['binary_s']:.1f} x real time (binary "
            f"{r['binary_s']:.1f} s), {simulated_s / r['wall_s']:.2f} x real time "
            f"with compilation (wall {r['wall_s']:.1f} s, compile "
            f"{r['compile_s']:.1f} s); train accuracy {r['train_acc']:.3f}, test "
            f"accuracy {r['test_acc']:.3f}"
        )
    cuda, cpp = results["cuda_standalone"], results["cpp_standalone"]
    print(f"binary speed ratio cuda / cpp: {cpp['binary_s'] / cuda['binary_s']:.2f}")
    difference = abs(cuda["test_acc"] - cpp["test_acc"])
    tolerance = agreement_tolerance(cuda["test_acc"], cpp["test_acc"], args.test_size)
    agree = "agree" if difference <= tolerance else "DISAGREE"
    print(
        f"test accuracies {agree}: difference {difference:.3f}, tolerance "
        f"{tolerance:.3f} (two binomial standard errors of a difference, "
        f"{args.test_size} test digits)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
