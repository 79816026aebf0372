"""Independent simulations in parallel worker processes, one per core.

Brian2 has one active device and one standalone project per process, so parallel
simulations need separate processes. `run_in_workers` splits a list of
independent work items into ``jobs`` fixed chunks (items ``k, k + jobs, ...``
go to worker ``k``). Each worker runs its chunk in turn with its own build
directory, ``BUILD/worker_<k>``, so that workers never write to the same
project or Cython cache, and each worker compiles a network once and reuses
the binary for its later items.

Workers start with ``fork`` where the platform has it, so they share the
parent's imported modules instead of importing Brian2 again (about 1.5 s of
CPU time per worker on the 2-core machines of the benchmarks). Every worker
function selects its device with `models.devices.select_device`, which resets
Brian2's devices and preferences, so no Brian2 state of the parent reaches
the simulations. Elsewhere workers start with ``spawn``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

__all__ = ["run_in_workers", "run_seeds", "worker_build_dirs"]


def worker_build_dirs(build_dir, jobs: int) -> list[Path]:
    """Return the build directory of each of ``jobs`` workers.

    With one job the directory itself, so that serial runs keep their builds.
    """
    build_dir = Path(build_dir)
    if jobs == 1:
        return [build_dir]
    return [build_dir / f"worker_{k}" for k in range(jobs)]


def run_in_workers(function: Callable, items: Sequence, jobs: int, build_dir) -> list:
    """Return ``[function(item, build) for item in items]``, in ``jobs`` processes.

    Parameters
    ----------
    function : callable
        A module-level function (workers import it by name) of a work item and
        the worker's build directory.
    items : sequence
        Independent work items; each must be picklable.
    jobs : int
        Worker processes (at most ``len(items)`` are started). With 1, the
        items run in this process, with ``build_dir`` itself.
    build_dir : path
        Parent of the workers' build directories (`worker_build_dirs`).

    Raises
    ------
    ValueError
        If ``jobs`` is below 1.
    """
    if jobs < 1:
        raise ValueError(f"Invalid jobs={jobs}: expected at least 1 worker process.")
    items = list(items)
    jobs = max(1, min(jobs, len(items)))
    builds = worker_build_dirs(build_dir, jobs)
    if jobs == 1:
        return [function(item, builds[0]) for item in items]

    chunks = [items[k::jobs] for k in range(jobs)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        parts = list(pool.map(_run_chunk, [function] * jobs, chunks, builds))

    # Undo the round-robin split: item i is entry i // jobs of chunk i % jobs.
    return [parts[i % jobs][i // jobs] for i in range(len(items))]


def _run_chunk(function: Callable, chunk: list, build_dir: Path) -> list:
    """Run one worker's items in turn."""
    return [function(item, build_dir) for item in chunk]


def run_seeds(
    function: Callable, options, seeds: Sequence[int], out, jobs: int, build_dir=None
) -> list:
    """Return ``function((options, seed, seed_out), build)`` for each seed.

    One seed runs in this process, writes to ``out`` and builds in
    ``build_dir`` (None leaves the choice to ``function``). Several seeds
    write to ``out/seed_<k>`` and run in ``jobs`` workers under ``build_dir``
    (default ``out/build``), so each worker compiles once for its seeds.
    """
    out = Path(out)
    if len(seeds) == 1:
        return [function((options, seeds[0], out), build_dir)]
    items = [(options, seed, out / f"seed_{seed}") for seed in seeds]
    return run_in_workers(function, items, jobs, Path(build_dir or out / "build"))
