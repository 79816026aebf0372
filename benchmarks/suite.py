"""Speed-and-scale benchmark suite: every target measured in one run.

The parts (``--parts``, all by default):

mnist
    The MNIST network (784-256-10, pixels, a small digit subset, one epoch
    and its test trials) runs on the numpy and Cython runtime targets, in C++
    standalone and, where a GPU is present, in CUDA standalone. Measured:
    simulated seconds per wall second, synaptic events per wall second,
    compile time, run time, peak memory, and the speed ratios between the
    targets. Targets: C++ standalone at least 10 times as fast as numpy, and
    its simulation loop at least 30 times faster than real time on one core
    (simulated seconds per CPU second of the loop, which leaves out the
    binary's start-up and the creation of its synapses).
sweep
    A learning network of the same neurons and XCAL synapses with sparse
    fixed fan-in 100, from about 10^2 to 3x10^4 neurons (``--full``: 10^5,
    or the sizes of ``--sweep-sizes``), in C++ standalone, and on the runtime
    targets at the small sizes under a time cap. A dense series with fan-in
    1,000 (3x10^3 to 3x10^4 neurons; ``--full``: 10^4 to 10^5, 9x10^7
    synapses and about 10 GB) carries the synapse count towards the memory
    limit. Each binary runs 2 times (``--full``: 3), in rounds over the
    sizes of its series, and the fastest run counts. Writes ``sweep.csv``
    and ``sweep.png`` (cost in wall seconds per simulated second against
    synapses, log-log) and fits the exponent of the three largest sizes of
    each series, and again to each round of runs alone (their spread shows
    how far one run's verdict can move). Target: at most 1.1.
compile
    Compile once: `models.training.train` on the MNIST network, then again
    with another seed and the same build directory in a new process (as a
    second command would) and in the same process. Target: under 2 s of wall
    time outside the binary (wall minus ``timings["binary_s"]``).
parallel
    ``python -m models.ra25 --seeds 2 --jobs 2`` against ``--seeds 1``, with
    compiled binaries in their build directories. Target: at most 1.2 times
    the wall time of one seed.
profile
    Brian2's ``profile=True`` in C++ standalone. For the MNIST network: the
    code objects with the largest share of the simulation time. For the
    sweep network at the smallest and largest size of the dense series' fit:
    the CPU time of each kind of code object (neuron update, spike
    propagation, learning, pool sums) at both sizes and its growth exponent,
    which shows the part of the cost that grows faster than the synapses.
precision
    C++ standalone in double and in single precision (float32 state, as in
    the reference implementation): the MNIST network and the fixed fan-in
    sweep network at the sizes its exponent is fitted to, every binary run
    in rounds over all of them. Prints the single / double ratios of wall
    time, loop CPU time and binary peak memory, and the sweep's exponent in
    each precision.

Every measurement runs in its own worker process (see `harness`). The
targets of one part are measured one after the other in the same command,
so a busy machine slows them alike, and their ratios are the numbers to
compare. Standalone projects are built in a fresh temporary directory, so
compile times are measured every run. The Cython cache is kept in
``OUT/runtime_build`` so that a later run does not compile it again; the
first run fills it (several minutes). Results: ``OUT/mnist.csv``,
``OUT/sweep.csv``, ``OUT/sweep.png``, ``OUT/profile.csv``,
``OUT/profile_sweep.csv``, ``OUT/precision.csv`` and ``OUT/targets.csv``
(one row per target: value, limit, met), all written atomically.

Usage::

    python benchmarks/suite.py                 # quick, about 20 min on 2 CPUs
    python benchmarks/suite.py --full          # larger sizes, longer runs
    python benchmarks/suite.py --parts sweep   # one part only
    python benchmarks/suite.py --full --parts sweep --sweep-sizes 3000,30000,300000
    python benchmarks/suite.py --parts sweep --no-dense --repeats 1
    python benchmarks/suite.py --parts sweep --precision single   # float32 state
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import (  # noqa: E402
    COLUMNS,
    fit_exponent,
    in_worker,
    keep_fastest,
    measure,
    profile_frame,
    profile_growth,
    rerun_binary,
    sparse_synapses,
)

from models.files import write_atomic, write_csv  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

PARTS = ("mnist", "sweep", "compile", "parallel", "profile", "precision")

#: The names of `models.devices.PRECISIONS`, written out so that this process
#: does not import Brian2: Linux counts its memory in the peak of every child.
PRECISIONS = ("double", "single")

#: Disk space of a compiled sweep project per synapse, in bytes: its static
#: arrays and the arrays Brian2 writes at the end of a run. An estimate, rounded
#: up from 2.7 GB read and 6.1 GB written at 9x10^7 synapses in double precision.
DISK_BYTES_PER_SYNAPSE = 100

#: Limits of the targets: name -> (limit, "min" or "max").
TARGETS = {
    "cpp_vs_numpy_speed": (10.0, "min"),
    "cpp_realtime_factor": (30.0, "min"),
    "sweep_exponent": (1.1, "max"),
    "sweep_exponent_dense": (1.1, "max"),
    "second_run_overhead_s": (2.0, "max"),
    "parallel_wall_ratio": (1.2, "max"),
}


@dataclasses.dataclass(frozen=True)
class Settings:
    """Sizes and durations of one suite run.

    Attributes
    ----------
    train_size, test_size : int
        MNIST digits of the one-epoch runs (one trial each).
    hidden : int
        Hidden units of the MNIST network.
    sweep_sizes : tuple of int
        Total neurons of the sweep network, in C++ standalone.
    runtime_max_neurons : int
        Largest sweep size also run on the numpy and Cython targets.
    runtime_cap_s : float
        Wall-clock cap of one runtime-target run; larger sizes of that
        target are skipped after it is hit.
    fan_in : int
        Synapses per receiving neuron of the sweep network.
    dense_sizes : tuple of int
        Total neurons of a second series of the sweep with ``dense_fan_in``,
        in C++ standalone, which carries the synapse count towards the memory
        limit (9x10^7 synapses, about 10 GB, at 10^5 neurons and fan-in
        1,000). Empty for none.
    dense_fan_in : int
        Synapses per receiving neuron of that series.
    repeats : int
        Runs of each compiled sweep binary, in rounds over the sizes of a
        series. The smallest times are kept.
    sweep_trials : int
        Trials of each sweep run, the same at every size, so that a setup
        cost of the binary (loading arrays, creating synapses) in proportion
        to the synapses adds the same share of cost at every size and leaves
        the fitted exponent unchanged.
    fit_points : int
        Largest C++ standalone sizes that the exponent is fitted to.
    ra25_epochs : int
        Epochs of each ra25 run of the parallel part (no early stop).
    precision : {"double", "single"}
        Storage of the floating-point state in the parts mnist, sweep and
        profile (`models.devices.PRECISIONS`). The parts compile and
        parallel train with the package's default, double, and the part
        precision measures both.
    """

    train_size: int = 20
    test_size: int = 10
    hidden: int = 256
    sweep_sizes: tuple[int, ...] = (100, 1000, 3000, 10_000, 30_000)
    runtime_max_neurons: int = 1000
    runtime_cap_s: float = 240.0
    fan_in: int = 100
    dense_sizes: tuple[int, ...] = (3000, 10_000, 30_000)
    dense_fan_in: int = 1000
    repeats: int = 2
    sweep_trials: int = 5
    fit_points: int = 3
    ra25_epochs: int = 30
    precision: str = "double"

    def __post_init__(self):
        integers = (
            "train_size",
            "test_size",
            "hidden",
            "fan_in",
            "dense_fan_in",
            "repeats",
            "sweep_trials",
        )
        for name in integers:
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Invalid {name} {value!r}: use an integer >= 1.")
        if len(self.sweep_sizes) < self.fit_points or self.fit_points < 2:
            raise ValueError(
                f"Invalid sweep: {len(self.sweep_sizes)} sizes for an exponent "
                f"fitted to the {self.fit_points} largest; give at least "
                "fit_points >= 2 sizes."
            )
        if self.dense_sizes and len(self.dense_sizes) < self.fit_points:
            raise ValueError(
                f"Invalid dense sweep: {len(self.dense_sizes)} sizes for an "
                f"exponent fitted to the {self.fit_points} largest; give at least "
                f"{self.fit_points} sizes, or none."
            )
        if self.dense_fan_in == self.fan_in:
            raise ValueError(
                f"Invalid dense_fan_in {self.dense_fan_in}: the dense series needs "
                f"another fan-in than fan_in ({self.fan_in})."
            )
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"Invalid precision {self.precision!r}: use one of "
                f"{', '.join(PRECISIONS)}."
            )
        smallest = min(self.sweep_sizes + self.dense_sizes)
        if smallest < 20:
            raise ValueError(f"Invalid sweep size {smallest}: use at least 20 neurons.")


QUICK = Settings()
FULL = Settings(
    train_size=100,
    test_size=50,
    sweep_sizes=(100, 300, 1000, 3000, 10_000, 30_000, 100_000),
    runtime_max_neurons=3000,
    runtime_cap_s=900.0,
    dense_sizes=(10_000, 30_000, 100_000),
    repeats=3,
    sweep_trials=10,
    fit_points=3,
    ra25_epochs=60,
)


def progress(message: str):
    """Print a progress line to stderr, with the time of day."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def row_frame(rows: list[dict]) -> pd.DataFrame:
    """Return measurement rows as a DataFrame with the `harness.COLUMNS`."""
    frame = pd.DataFrame(rows)
    for column in COLUMNS:
        if column not in frame:
            frame[column] = np.nan
    return frame[list(COLUMNS)]


def target_row(name: str, value: float | None, note: str = "") -> dict:
    """Return a row of ``targets.csv``: the value against the limit of `TARGETS`."""
    limit, kind = TARGETS[name]
    if value is None or not np.isfinite(value):
        met = None
    else:
        met = bool(value >= limit) if kind == "min" else bool(value <= limit)
    return {
        "target": name,
        "value": value,
        "limit": limit,
        "kind": kind,
        "met": met,
        "note": note,
    }


def verdict(row: dict) -> str:
    """Return 'met', 'NOT met' or 'not measured' for a `target_row`."""
    return {True: "met", False: "NOT met", None: "not measured"}[row["met"]]


# -- a. MNIST on every target -------------------------------------------------


def part_mnist(settings: Settings, work: Path, out: Path, runtime_dir: Path):
    """Measure the MNIST network on every target; return (rows, target rows)."""
    from models.devices import cuda_toolkit_status, gpu_available

    options = {
        "train_size": settings.train_size,
        "test_size": settings.test_size,
        "hidden": settings.hidden,
    }
    targets = ["numpy", "cython", "cpp_standalone"]
    if gpu_available():
        targets.append("cuda_standalone")
    else:
        progress("mnist: no GPU (nvidia-smi lists none), cuda_standalone skipped")
    rows = []
    for target in targets:
        standalone = target.endswith("standalone")
        build_dir = work / f"mnist_{target}" if standalone else runtime_dir
        progress(f"mnist: {target} ...")
        row = _measure_in_worker(settings, "mnist", target, build_dir, options)
        rows.append(row)
        progress(f"mnist: {target} {_summary(row)}")
    frame = row_frame(rows)
    write_csv(frame, out / "mnist.csv")

    speed = dict(zip(frame["target"], frame["speed"], strict=True))
    n = settings.train_size + settings.test_size
    print(
        f"\n== a. MNIST 784-{settings.hidden}-10, pixels, {settings.train_size} "
        f"training + {settings.test_size} test digits = {n} trials"
    )
    _print_rows(frame)
    pairs = [
        ("cpp_standalone", "numpy"),
        ("cpp_standalone", "cython"),
        ("cython", "numpy"),
        ("cuda_standalone", "cpp_standalone"),
    ]
    for fast, slow in pairs:
        if fast in speed and slow in speed:
            print(f"speed ratio {fast} / {slow}: {speed[fast] / speed[slow]:.2f}")
    if "cuda_standalone" not in speed:
        status = cuda_toolkit_status()
        toolkit = "nvcc present" if status.ready else status.reason
        print(f"cuda_standalone: not measured, no GPU here ({toolkit})")
    ratio = speed.get("cpp_standalone", np.nan) / speed.get("numpy", np.nan)
    target = target_row("cpp_vs_numpy_speed", float(ratio))
    print(f"target C++ standalone / numpy >= 10: {ratio:.1f}, {verdict(target)}")

    cpp = frame[frame["target"] == "cpp_standalone"]
    factor = (
        float((cpp["simulated_s"] / cpp["loop_cpu_s"]).iloc[0]) if len(cpp) else None
    )
    realtime = target_row("cpp_realtime_factor", factor, "simulated s per loop CPU s")
    shown = "nan" if factor is None else f"{factor:.1f}"
    print(
        f"target C++ standalone loop >= 30 x real time on one core: {shown}, "
        f"{verdict(realtime)}"
    )
    return rows, [target, realtime]


def _measure_in_worker(
    settings: Settings, network: str, target: str, build_dir: Path, options: dict
) -> dict:
    """Measure one network on one target in a worker process; return its row.

    Runtime targets get a wall-clock cap of ``settings.runtime_cap_s``, counted
    once the network is prepared. A row from a failed or stopped worker still
    names its target and network.
    """
    standalone = target.endswith("standalone")
    row = in_worker(
        measure,
        timeout_s=None if standalone else settings.runtime_cap_s,
        cap_after_prepare=True,
        network_kind=network,
        target=target,
        build_dir=str(build_dir),
        options=options,
        precision=settings.precision,
    )
    row.setdefault("target", target)
    row.setdefault("network", network)
    return row


def _summary(row: dict) -> str:
    """Return a short progress summary of one measurement row."""
    if row.get("status") != "ok":
        return row.get("status", "?")
    return (
        f"{row['speed']:.3g} simulated s per wall s, run {row['run_s']:.1f} s, "
        f"prepare {row['prepare_s']:.1f} s"
    )


def _print_rows(frame: pd.DataFrame):
    """Print the main columns of measurement rows as a table."""
    shown = frame[
        [
            "target",
            "neurons",
            "synapses",
            "fan_in",
            "simulated_s",
            "speed",
            "events_per_s",
            "prepare_s",
            "compile_s",
            "run_s",
            "run_s_max",
            "loop_cpu_s",
            "binary_cpu_s",
            "peak_rss_mib",
            "peak_child_rss_mib",
            "binary_rss_mib",
            "status",
        ]
    ]
    with pd.option_context("display.width", 220, "display.max_columns", 20):
        print(shown.to_string(index=False, float_format=lambda x: f"{x:.3g}"))


# -- b. size sweep ------------------------------------------------------------


def part_sweep(settings: Settings, work: Path, out: Path, runtime_dir: Path):
    """Run the size sweep; write sweep.csv and sweep.png; return (rows, targets).

    Two series: fan-in ``settings.fan_in`` over ``settings.sweep_sizes`` (C++
    standalone, and the runtime targets at the small sizes), and fan-in
    ``settings.dense_fan_in`` over ``settings.dense_sizes`` (C++ standalone).
    """
    rows = []
    rounds = {}
    capped = set()
    series = [(settings.fan_in, settings.sweep_sizes)]
    if settings.dense_sizes:
        series.append((settings.dense_fan_in, settings.dense_sizes))
    for fan_in, sizes in series:
        binaries = {}
        shortage = disk_shortage(work, sizes, fan_in)
        if shortage:
            progress(f"sweep: fan-in {fan_in} skipped: {shortage}")
            rows += [
                {
                    "target": "cpp_standalone",
                    "network": "sparse",
                    "neurons": neurons,
                    "fan_in": fan_in,
                    "status": f"skipped: {shortage}",
                }
                for neurons in sizes
            ]
            write_csv(row_frame(rows), out / "sweep.csv")
            continue
        for neurons in sizes:
            options = {
                "total": neurons,
                "fan_in": fan_in,
                "n_trials": settings.sweep_trials,
            }
            targets = ["cpp_standalone"]
            runtime = fan_in == settings.fan_in
            if runtime and neurons <= settings.runtime_max_neurons:
                targets += [t for t in ("numpy", "cython") if t not in capped]
            for target in targets:
                standalone = target == "cpp_standalone"
                label = f"sweep: {target}, {neurons} neurons, fan-in {fan_in}"
                build_dir = (
                    work / f"sweep_{neurons}_{fan_in}" if standalone else runtime_dir
                )
                progress(f"{label} ...")
                row = _measure_in_worker(settings, "sparse", target, build_dir, options)
                row.setdefault("neurons", neurons)
                row.setdefault("fan_in", fan_in)
                rows.append(row)
                progress(f"{label}: {_summary(row)}")
                if row["status"] != "ok" and not standalone:
                    capped.add(target)
                if standalone and row["status"] == "ok":
                    binaries[len(rows) - 1] = build_dir
            write_csv(row_frame(rows), out / "sweep.csv")
        label = f"sweep: fan-in {fan_in}"
        every_run = _repeat_binaries(rows, binaries, settings.repeats, label)
        rounds[fan_in] = round_exponents(rows, every_run, settings.fit_points)
        write_csv(row_frame(rows), out / "sweep.csv")

    frame = row_frame(rows)
    print(
        "\n== b. size sweep, cost = wall s per simulated s (C++ standalone: "
        f"the fastest of {settings.repeats} runs of each binary, in rounds; "
        f"{settings.precision} precision)"
    )
    _print_rows(frame)
    fits = {}
    target_rows = []
    names = {settings.fan_in: "sweep_exponent"}
    if settings.dense_sizes:
        names[settings.dense_fan_in] = "sweep_exponent_dense"
    for fan_in, name in names.items():
        exponent, fitted = sweep_exponent(frame, settings.fit_points, fan_in)
        note = (
            f"C++ standalone, fan-in {fan_in}, the {settings.fit_points} largest sizes"
        )
        target = target_row(name, exponent, note)
        target_rows.append(target)
        if exponent is None:
            print(f"fan-in {fan_in}: exponent not measured (too few successful sizes)")
            continue
        fits[fan_in] = (exponent, fitted)
        sizes = ", ".join(f"{n:g}" for n in fitted["synapses"])
        cpu = fit_exponent(fitted["synapses"], fitted["cpu_cost"])
        print(
            f"fan-in {fan_in}: fitted exponent of cost against synapses ({sizes} "
            f"synapses): {exponent:.4f}, target <= 1.1 {verdict(target)}; the same "
            f"fit to the CPU time of the simulation loop: {cpu:.4f}"
        )
        if len(rounds.get(fan_in, [])) > 1:
            listed = ", ".join(f"{value:.4f}" for value in rounds[fan_in])
            print(f"fan-in {fan_in}: the same fit to each round of runs: {listed}")
            target["note"] += (
                f"; rounds {min(rounds[fan_in]):.3f} to {max(rounds[fan_in]):.3f}"
            )
    ok = frame[frame["status"] == "ok"]
    for target_name, group in ok.groupby("target"):
        if group["neurons"].nunique() > 1 and target_name != "cpp_standalone":
            slope = fit_exponent(group["synapses"], group["cost"])
            print(f"{target_name}: exponent over its sizes {slope:.2f}")
    plot_sweep(frame, fits, out / "sweep.png")
    return rows, target_rows


def _repeat_binaries(rows: list, binaries: dict, repeats: int, label: str):
    """Run the compiled binaries of one series again, in rounds over the sizes.

    ``binaries`` maps an index of ``rows`` to its build directory; ``label``
    starts the progress lines. Each round runs every binary once, so that a
    slow spell of the shared machine falls on all sizes alike. Each row then
    keeps its fastest run (`harness.keep_fastest`). The build directories are
    removed afterwards, because their arrays take about
    `DISK_BYTES_PER_SYNAPSE` bytes per synapse on disk.

    Returns
    -------
    dict
        Index of ``rows`` -> every run of that binary in order, the first run
        (the row as measured) included, for `round_exponents`.
    """
    runs = {index: [] for index in binaries}
    failed = set()
    for round_number in range(2, repeats + 1):
        progress(f"{label}, run {round_number} of {repeats} ...")
        for index, build_dir in binaries.items():
            if index in failed:
                continue
            try:
                runs[index].append(rerun_binary(build_dir))
            except (OSError, subprocess.CalledProcessError) as error:
                # The first run succeeded, so its row stays valid.
                failed.add(index)
                progress(f"{label}: run again of {build_dir} failed ({error})")
    every_run = {}
    for index, build_dir in binaries.items():
        every_run[index] = [rows[index]] + runs[index]
        rows[index] = keep_fastest(rows[index], runs[index])
        shutil.rmtree(build_dir, ignore_errors=True)
    return every_run


def disk_shortage(work: Path, sizes, fan_in: int, copies: int = 1) -> str | None:
    """Return why the projects of a sweep series would not fit on disk, or None.

    A series keeps its compiled projects in ``work`` until its rounds are
    done, ``copies`` of each size (`DISK_BYTES_PER_SYNAPSE` per synapse).
    """
    synapses = sum(sparse_synapses(neurons, fan_in) for neurons in sizes)
    needed = copies * synapses * DISK_BYTES_PER_SYNAPSE
    free = shutil.disk_usage(work).free
    if needed <= free:
        return None
    return (
        f"its projects need about {needed / 1e9:.1f} GB but {work} has "
        f"{free / 1e9:.1f} GB free; set TMPDIR to a larger disk, or choose "
        "smaller sizes (--sweep-sizes, --dense-sizes, --no-dense)"
    )


def round_exponents(rows: list, every_run: dict, points: int) -> list[float]:
    """Fit the cost exponent to each round of runs of the largest sizes.

    ``every_run`` is the result of `_repeat_binaries`. Round r takes the r-th
    run of each of the ``points`` rows with the most synapses. The spread of
    these exponents shows how much one run's verdict can be trusted on a
    noisy machine. Returns an empty list when fewer than two sizes ran.
    """
    largest = sorted(every_run, key=lambda index: rows[index]["synapses"])[-points:]
    if len(largest) < 2:
        return []
    synapses = [rows[index]["synapses"] for index in largest]
    n_rounds = min(len(every_run[index]) for index in largest)
    exponents = []
    for round_index in range(n_rounds):
        cost = [
            every_run[index][round_index]["run_s"] / rows[index]["simulated_s"]
            for index in largest
        ]
        exponents.append(fit_exponent(synapses, cost))
    return exponents


def sweep_exponent(frame: pd.DataFrame, points: int, fan_in: int | None = None):
    """Fit the cost exponent of the largest C++ standalone sizes.

    ``fan_in`` selects one series of the sweep (all rows when None).

    Returns
    -------
    exponent : float or None
        None when fewer than two sizes succeeded.
    fitted : pandas.DataFrame
        The rows the fit used.
    """
    ok = frame[(frame["target"] == "cpp_standalone") & (frame["status"] == "ok")]
    if fan_in is not None:
        ok = ok[ok["fan_in"] == fan_in]
    fitted = ok.sort_values("synapses").tail(points)
    if len(fitted) < 2:
        return None, fitted
    return fit_exponent(fitted["synapses"], fitted["cost"]), fitted


def plot_sweep(frame: pd.DataFrame, fits: dict, path: Path):
    """Draw cost against synapses (log-log) per target and fan-in, with fits.

    ``fits`` maps a fan-in to the ``(exponent, fitted rows)`` of
    `sweep_exponent`.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4.5))
    ok = frame[frame["status"] == "ok"]
    for (target, fan_in), group in ok.groupby(["target", "fan_in"]):
        group = group.sort_values("synapses")
        label = f"{target}, fan-in {fan_in:g}"
        axes.plot(group["synapses"], group["cost"], "o-", label=label)
    for exponent, fitted in fits.values():
        x = fitted["synapses"].to_numpy(float)
        y = fitted["cost"].to_numpy(float)
        # The line through the geometric mean of the fitted points.
        x0, y0 = np.exp(np.log(x).mean()), np.exp(np.log(y).mean())
        line = y0 * (x / x0) ** exponent
        axes.plot(x, line, "k--", linewidth=1)
        axes.annotate(
            f"{exponent:.3f}",
            (x[-1], line[-1]),
            textcoords="offset points",
            xytext=(4, -10),
            fontsize=8,
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("synapses")
    axes.set_ylabel("cost (wall s per simulated s)")
    axes.set_title("Sparse XCAL network; dashed: fitted power law, exponent")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize=8)
    figure.tight_layout()
    write_atomic(path, lambda handle: figure.savefig(handle, format="png"), binary=True)
    plt.close(figure)


# -- c. compile once ----------------------------------------------------------


def train_mnist(settings: dict, seeds: list, build_dir: str, out: str) -> dict:
    """Train the MNIST network once per seed in this process; return timings.

    Meant for a worker. Each run is one epoch in one block, as
    `models.mnist` trains, with the same build directory.
    """
    from models.mnist import INPUT_ACTIVITY, load_split, mnist_spec, mnist_task
    from models.tasks.encoding import encode_split
    from models.training import train

    split = load_split(
        train_size=settings["train_size"], test_size=settings["test_size"]
    )
    x_train, x_test = encode_split(split, "pixels")
    task = mnist_task(x_train, split.y_train, x_test, split.y_test)
    spec = mnist_spec(
        n_input=x_train.shape[1],
        hidden=settings["hidden"],
        input_activity=INPUT_ACTIVITY["pixels"],
    )
    runs = []
    for seed in seeds:
        start = time.perf_counter()
        result = train(
            spec,
            task,
            seed=seed,
            epochs=1,
            block_epochs=1,
            zero_stop=None,
            device_name="cpp_standalone",
            out=Path(out) / f"seed_{seed}",
            build_dir=build_dir,
            resume=False,
            progress=False,
        )
        wall = time.perf_counter() - start
        timings = result.timings
        runs.append(
            {
                "seed": seed,
                "wall_s": wall,
                "binary_s": timings["binary_s"],
                "outside_binary_s": wall - timings["binary_s"],
                "compile_s": timings["compile_s"],
                "reused_binary": timings.get("reused_binary"),
            }
        )
    return {"runs": runs}


def part_compile(settings: Settings, work: Path, out: Path):
    """Measure the second training run of an unchanged network; return targets."""
    options = {
        "train_size": settings.train_size,
        "test_size": settings.test_size,
        "hidden": settings.hidden,
    }
    build_dir = str(work / "compile_once")
    results = str(work / "compile_once_results")
    progress("compile: first training run (compiles) ...")
    first = in_worker(
        train_mnist, settings=options, seeds=[1], build_dir=build_dir, out=results
    )

    progress("compile: second and third runs, new process, same build directory ...")
    second = in_worker(
        train_mnist, settings=options, seeds=[2, 3], build_dir=build_dir, out=results
    )
    print("\n== c. compile once: models.training.train, MNIST network, one epoch")
    if first["status"] != "ok" or second["status"] != "ok":
        print(f"not measured: {first['status']}; {second['status']}")
        return [target_row("second_run_overhead_s", None, "a run failed")]

    runs = first["runs"] + second["runs"]
    labels = ["first run (new process)", "second run (new process)", "third run"]
    for label, run in zip(labels, runs, strict=True):
        print(
            f"{label}, seed {run['seed']}: wall {run['wall_s']:.2f} s, binary "
            f"{run['binary_s']:.2f} s, outside the binary "
            f"{run['outside_binary_s']:.2f} s, compile {run['compile_s']:.1f} s, "
            f"binary reused: {run['reused_binary']}"
        )
    overhead = runs[1]["outside_binary_s"]
    target = target_row(
        "second_run_overhead_s", overhead, "new process, same build directory"
    )
    print(
        f"target second run < 2 s outside the binary: {overhead:.2f} s, "
        f"{verdict(target)}"
    )
    return [target]


# -- d. parallel seeds --------------------------------------------------------


def run_ra25(arguments: list[str]) -> tuple[float, float]:
    """Run ``python -m models.ra25`` with ``arguments``.

    Returns
    -------
    wall_s : float
        Wall time of the command.
    cpu_s : float
        User plus system CPU time of the command and all its descendants
        (workers, compilers, binaries), which the command waits for.

    Raises
    ------
    RuntimeError
        With the command's output when it fails.
    """
    command = [sys.executable, "-m", "models.ra25", *arguments]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    finished = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if finished.returncode != 0:
        raise RuntimeError(
            f"'{' '.join(command)}' failed with exit code {finished.returncode}:\n"
            f"{finished.stdout[-2000:]}{finished.stderr[-2000:]}"
        )
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu


def part_parallel(settings: Settings, work: Path):
    """Time ra25 with two seeds on two workers against one seed; return targets."""
    epochs = settings.ra25_epochs
    common = [
        "--epochs",
        str(epochs),
        "--zero-stop",
        str(epochs + 1),
        "--fresh",
        "--quiet",
    ]
    one_build = work / "ra25_one"
    two_build = work / "ra25_two"

    def one():
        return run_ra25(
            [
                *common,
                "--seeds",
                "1",
                "--out",
                str(work / "ra25_out1"),
                "--build-dir",
                str(one_build),
            ]
        )

    def two():
        return run_ra25(
            [
                *common,
                *("--seeds", "2", "--jobs", "2"),
                *("--out", str(work / "ra25_out2"), "--build-dir", str(two_build)),
            ]
        )

    # Only the first run compiles. Both workers of the parallel run get a copy
    # of its build directory, which contains a binary of the same sources.
    progress("parallel: compiling ra25 ...")
    compile_wall = one()
    for worker in ("worker_0", "worker_1"):
        shutil.copytree(one_build, two_build / worker, symlinks=True)
    progress("parallel: warm-up of the two-worker run ...")
    warm_two = two()

    walls = {"one": [], "two": []}
    cpus = {"one": [], "two": []}
    loads = [os.getloadavg()[0]]
    for repeat in range(2):
        progress(f"parallel: timed runs, repeat {repeat + 1} of 2 ...")
        for name, command in (("one", one), ("two", two)):
            wall, cpu = command()
            walls[name].append(wall)
            cpus[name].append(cpu)
        loads.append(os.getloadavg()[0])
    ratio = np.mean(walls["two"]) / np.mean(walls["one"])

    simulated = epochs * 25 * 0.2
    print(
        f"\n== d. parallel seeds: ra25, {epochs} epochs ({simulated:.0f} s simulated "
        "per seed), no early stop"
    )
    print(
        f"first run (compiles): {compile_wall[0]:.1f} s; two-worker warm-up "
        f"{warm_two[0]:.1f} s"
    )
    for name, label in (("one", "--seeds 1"), ("two", "--seeds 2 --jobs 2")):
        print(
            f"{label}: wall {', '.join(f'{w:.1f}' for w in walls[name])} s, CPU "
            f"{', '.join(f'{c:.1f}' for c in cpus[name])} s"
        )
    cpu_ratio = np.mean(cpus["two"]) / np.mean(cpus["one"])
    print(
        f"CPU time ratio two seeds / one: {cpu_ratio:.2f} (2 when the seeds cost "
        "the same); 1-minute load average during the "
        f"timed runs: {', '.join(f'{load:.1f}' for load in loads)} on "
        f"{os.cpu_count()} CPUs"
    )
    target = target_row("parallel_wall_ratio", float(ratio), "means of two repeats")
    print(f"target wall ratio two seeds / one <= 1.2: {ratio:.2f}, {verdict(target)}")
    return [target]


# -- e. profile ---------------------------------------------------------------


def part_profile(settings: Settings, work: Path, out: Path, top: int = 12):
    """Profile the MNIST network and the sweep network in C++ standalone.

    Writes ``profile.csv`` (MNIST network: code objects by share of time) and
    ``profile_sweep.csv`` (sweep network at two sizes: code objects with
    their kind) and prints how each kind of code object grows with size.
    """
    options = {
        "train_size": settings.train_size,
        "test_size": settings.test_size,
        "hidden": settings.hidden,
    }
    progress("profile: MNIST network, C++ standalone with profile=True ...")
    result = in_worker(
        measure,
        network_kind="mnist",
        target="cpp_standalone",
        build_dir=str(work / "profile"),
        options=options,
        profile=True,
        precision=settings.precision,
    )
    print("\n== e. profile: MNIST network, C++ standalone, profile=True")
    if result["status"] != "ok":
        print(f"not measured: {result['status']}")
    else:
        frame = pd.DataFrame(result["profile"], columns=["code_object", "seconds"])
        frame = frame.sort_values("seconds", ascending=False, ignore_index=True)
        frame["share"] = frame["seconds"] / frame["seconds"].sum()
        write_csv(frame, out / "profile.csv")
        total = frame["seconds"].sum()
        print(
            f"{len(frame)} code objects, {total:.2f} s in code objects of "
            f"{result['run_s']:.2f} s binary run time ({result['simulated_s']:.1f} s "
            "simulated)"
        )
        for row in frame.head(top).itertuples():
            print(f"{row.share:7.1%}  {row.seconds:8.3f} s  {row.code_object}")
    profile_sweep(settings, work, out)


def profile_sweep(settings: Settings, work: Path, out: Path):
    """Profile the sweep network at the ends of its fitted range; print growth.

    The sizes are the smallest and the largest of the sizes that the
    exponent of the dense series is fitted to (of the fixed fan-in series
    when there is no dense series). The growth of each kind of code object
    (`harness.profile_growth`) shows which part of the simulation grows
    faster than the synapses.
    """
    if settings.dense_sizes:
        fan_in, sizes = settings.dense_fan_in, settings.dense_sizes
    else:
        fan_in, sizes = settings.fan_in, settings.sweep_sizes
    fitted = sorted(sizes)[-settings.fit_points :]
    rows = []
    for neurons in (fitted[0], fitted[-1]):
        label = f"profile: sweep network, {neurons} neurons, fan-in {fan_in}"
        progress(f"{label} ...")
        row = in_worker(
            measure,
            network_kind="sparse",
            target="cpp_standalone",
            build_dir=str(work / f"profile_{neurons}_{fan_in}"),
            options={
                "total": neurons,
                "fan_in": fan_in,
                "n_trials": settings.sweep_trials,
            },
            profile=True,
            precision=settings.precision,
        )
        shutil.rmtree(work / f"profile_{neurons}_{fan_in}", ignore_errors=True)
        if row["status"] != "ok":
            print(f"\n{label}: not measured: {row['status']}")
            return
        rows.append(row)

    frames = [
        profile_frame(row).assign(neurons=row["neurons"], synapses=row["synapses"])
        for row in rows
    ]
    write_csv(pd.concat(frames, ignore_index=True), out / "profile_sweep.csv")

    small, large = rows
    growth = profile_growth(small, large)
    print(
        f"\n== e. profile: sweep network, fan-in {fan_in}, {small['neurons']} "
        f"and {large['neurons']} neurons ({small['synapses']:.3g} and "
        f"{large['synapses']:.3g} synapses), CPU s in the code objects"
    )
    with pd.option_context("display.width", 120):
        print(growth.to_string(index=False, float_format=lambda x: f"{x:.3g}"))


# -- f. single against double precision ----------------------------------------


def part_precision(settings: Settings, work: Path, out: Path):
    """Measure C++ standalone in both precisions; write precision.csv.

    The MNIST network and the fixed fan-in sweep network at the sizes its
    exponent is fitted to, each compiled once per precision of `PRECISIONS`.
    Every binary then runs ``settings.repeats`` times in rounds over all of
    them, so that a slow spell of the machine falls on both precisions alike,
    and the fastest run counts. The sweep network is left out when its
    projects would not fit on disk (`disk_shortage`). Prints the single /
    double ratios of each network and the sweep's exponent in each
    precision. Returns the rows.
    """
    cases = [
        (
            "mnist",
            {
                "train_size": settings.train_size,
                "test_size": settings.test_size,
                "hidden": settings.hidden,
            },
        )
    ]
    fitted = sorted(settings.sweep_sizes)[-settings.fit_points :]
    shortage = disk_shortage(work, fitted, settings.fan_in, copies=len(PRECISIONS))
    if shortage:
        progress(f"precision: sweep network skipped: {shortage}")
        fitted = []
    for neurons in fitted:
        options = {
            "total": neurons,
            "fan_in": settings.fan_in,
            "n_trials": settings.sweep_trials,
        }
        cases.append(("sparse", options))

    rows = []
    binaries = {}
    for network, options in cases:
        if network == "sparse":
            size = f"{options['total']} neurons"
        else:
            size = f"hidden {settings.hidden}"
        for precision in PRECISIONS:
            label = f"precision: {network} network, {size}, {precision}"
            progress(f"{label} ...")
            build_dir = work / f"precision_{len(rows)}_{precision}"
            row = in_worker(
                measure,
                network_kind=network,
                target="cpp_standalone",
                build_dir=str(build_dir),
                options=options,
                precision=precision,
            )
            row.setdefault("network", network)
            row.setdefault("precision", precision)
            rows.append(row)
            progress(f"{label}: {_summary(row)}")
            if row["status"] == "ok":
                binaries[len(rows) - 1] = build_dir
    every_run = _repeat_binaries(rows, binaries, settings.repeats, "precision")
    frame = row_frame(rows)
    write_csv(frame, out / "precision.csv")

    print(
        "\n== f. single against double precision, C++ standalone (the fastest of "
        f"{settings.repeats} runs of each binary, in rounds)"
    )
    table = precision_ratios(frame)
    with pd.option_context("display.width", 160):
        print(table.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    sweep = frame[(frame["network"] == "sparse") & (frame["status"] == "ok")]
    for precision, group in sweep.groupby("precision"):
        if len(group) >= 2:
            exponent = fit_exponent(group["synapses"], group["cost"])
            cpu = fit_exponent(group["synapses"], group["cpu_cost"])
            print(
                f"sweep exponent, fan-in {settings.fan_in}, {precision}: "
                f"{exponent:.4f} (loop CPU time {cpu:.4f})"
            )
        runs = {index: every_run[index] for index in group.index if index in every_run}
        by_round = round_exponents(rows, runs, settings.fit_points)
        if len(by_round) > 1:
            listed = ", ".join(f"{value:.4f}" for value in by_round)
            print(f"sweep exponent, {precision}, each round of runs: {listed}")
    return rows


def precision_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """Return single / double ratios of each network and size in ``frame``.

    One row per network and neuron count measured in both precisions: the
    ratio of wall time (``run_s``), of the simulation loop's CPU time and of
    the binary's peak memory. A ratio below 1 means single precision is
    cheaper.
    """
    ok = frame[frame["status"] == "ok"]
    columns = {"run_s": "run", "loop_cpu_s": "loop_cpu", "binary_rss_mib": "memory"}
    rows = []
    for (network, neurons), group in ok.groupby(["network", "neurons"], sort=False):
        by_precision = group.set_index("precision")
        if not {"single", "double"} <= set(by_precision.index):
            continue
        row = {"network": network, "neurons": neurons}
        for column, name in columns.items():
            single = by_precision.loc["single", column]
            double = by_precision.loc["double", column]
            row[f"{name}_single"] = single
            row[f"{name}_double"] = double
            row[f"{name}_ratio"] = single / double
        rows.append(row)
    return pd.DataFrame(rows)


# -- command line ---------------------------------------------------------------


def parse_parts(text: str) -> list[str]:
    """Return the parts named in a comma-separated list, in suite order.

    Raises
    ------
    argparse.ArgumentTypeError
        Naming the unknown part and the valid ones.
    """
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in PARTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"invalid part {', '.join(unknown) or repr(text)}: use a comma-separated "
            f"list of {', '.join(PARTS)}"
        )
    return [name for name in PARTS if name in names]


def parse_sizes(text: str) -> tuple[int, ...]:
    """Parse ``--sweep-sizes``: comma-separated total neurons, sorted and unique.

    `Settings` checks the values (at least 20 neurons, enough sizes to fit).
    """
    try:
        sizes = tuple(int(item) for item in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes:
        raise argparse.ArgumentTypeError(
            f"invalid sweep sizes {text!r}: use comma-separated integers, for "
            "example 1000,10000,100000"
        )
    return tuple(sorted(set(sizes)))


def main(argv=None) -> int:
    """Run the selected parts and print every target's value and verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full", action="store_true", help="larger sizes and longer runs"
    )
    parser.add_argument(
        "--parts",
        type=parse_parts,
        default=list(PARTS),
        help=f"comma-separated parts to run (default all: {','.join(PARTS)})",
    )
    parser.add_argument(
        "--sweep-sizes",
        type=parse_sizes,
        help="total neurons of the sweep, comma-separated (replaces the "
        "default sizes, for example to go on to the memory limit)",
    )
    parser.add_argument(
        "--dense-sizes",
        type=parse_sizes,
        help="total neurons of the sweep's dense series (fan-in 1,000), "
        "comma-separated (replaces the default sizes)",
    )
    parser.add_argument(
        "--no-dense",
        action="store_true",
        help="leave out the sweep's dense series",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        help="runs of each compiled sweep binary, the fastest kept "
        "(default 2; --full: 3)",
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="double",
        help="storage of the floating-point state in the parts mnist, sweep "
        "and profile (default double; single as the reference implementation)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "results" / "benchmarks",
        help="results directory",
    )
    args = parser.parse_args(argv)
    settings = FULL if args.full else QUICK
    changes = {}
    if args.sweep_sizes:
        changes["sweep_sizes"] = args.sweep_sizes
    if args.dense_sizes:
        changes["dense_sizes"] = args.dense_sizes
    if args.no_dense:
        changes["dense_sizes"] = ()
    if args.repeats is not None:
        changes["repeats"] = args.repeats
    changes["precision"] = args.precision
    try:
        settings = dataclasses.replace(settings, **changes)
    except ValueError as error:
        parser.error(str(error))

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    runtime_dir = out / "runtime_build"
    targets = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="benchmarks_") as scratch:
        work = Path(scratch)
        if "mnist" in args.parts:
            targets += part_mnist(settings, work, out, runtime_dir)[1]
        if "sweep" in args.parts:
            targets += part_sweep(settings, work, out, runtime_dir)[1]
        if "compile" in args.parts:
            targets += part_compile(settings, work, out)
        if "parallel" in args.parts:
            targets += part_parallel(settings, work)
        if "profile" in args.parts:
            part_profile(settings, work, out)
        if "precision" in args.parts:
            part_precision(settings, work, out)

    print(f"\n== targets ({time.perf_counter() - start:.0f} s for the suite)")
    for row in targets:
        value = "-" if row["value"] is None else f"{row['value']:#.5g}"
        bound = ">=" if row["kind"] == "min" else "<="
        print(f"{row['target']}: {value} ({bound} {row['limit']:g}) {verdict(row)}")
    if targets:
        write_csv(pd.DataFrame(targets), out / "targets.csv")
    print(f"results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
