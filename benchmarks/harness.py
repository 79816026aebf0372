"""Shared parts of the benchmarks: worker processes, networks and their measures.

Every measurement runs in a fresh worker process (``spawn``), so that

* Brian2 starts from a clean state for each device and network;
* ``resource.getrusage`` gives the peak memory of that measurement alone: of
  the worker (Python objects and, on the runtime targets, the simulation) and
  of its largest child (the compiler or the standalone binary);
* a run that exceeds its time cap can be stopped without losing the others.

Two networks are measured:

* the MNIST network of `models.mnist.mnist_spec` (input 784 pixels, hidden
  256, output 10, dense projections), built with `models.network.
  LayeredNetwork` on a `models.schedule.Schedule` of one training epoch and
  its test trials, as `models.training` builds it;
* a scalable network of the same neurons and XCAL synapses with sparse fixed
  fan-in connectivity (`sparse_network`), for the size sweep.

Synaptic events are counted as sender spikes times the sender's number of
outgoing synapses, summed over the spike-driven projections. The
pool-input synapses of the layers (summed every step, not driven by spikes)
are not counted.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import subprocess
import sys
import time
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: Simulated time of one trial in seconds (150 ms minus + 50 ms plus phase).
TRIAL_S = 0.2

#: Columns of a measurement row, in the order the CSV files use.
COLUMNS = (
    "network",
    "target",
    "neurons",
    "synapses",
    "fan_in",
    "precision",
    "trials",
    "repeats",
    "simulated_s",
    "build_s",
    "prepare_s",
    "compile_s",
    "run_s",
    "run_s_max",
    "loop_cpu_s",
    "binary_cpu_s",
    "cost",
    "cpu_cost",
    "speed",
    "events",
    "events_per_s",
    "rate_input_hz",
    "rate_hidden_hz",
    "rate_output_hz",
    "peak_rss_mib",
    "peak_child_rss_mib",
    "binary_rss_mib",
    "status",
)

#: Layer names of both benchmark networks, in creation order.
LAYERS = ("input", "hidden", "output")


def peak_memory_mib() -> tuple[float, float]:
    """Return the peak resident set size of this process and of its largest child.

    Linux reports ``ru_maxrss`` in KiB; the values are in MiB.
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


# The worker's end of the pipe to the parent, set in the worker process only.
_connection = None


def notify_prepared():
    """Tell the parent that preparation is over, so that its time cap starts now.

    Does nothing outside a worker of `in_worker`.
    """
    if _connection is not None:
        _connection.send(("prepared", None))


def _worker_main(connection, function, kwargs):
    """Run ``function(**kwargs)`` in the worker and send back its result."""
    global _connection
    _connection = connection
    try:
        result = function(**kwargs)
        own, child = peak_memory_mib()
        result.setdefault("peak_rss_mib", own)
        result.setdefault("peak_child_rss_mib", child)
        connection.send(("ok", result))
    except BaseException as error:  # noqa: BLE001 - reported to the parent
        connection.send(("error", f"{error!r}\n{traceback.format_exc()}"))
    finally:
        connection.close()


def in_worker(
    function, timeout_s: float | None = None, cap_after_prepare=False, **kwargs
) -> dict:
    """Call ``function(**kwargs)`` in a fresh ``spawn`` process.

    Parameters
    ----------
    function : callable
        A module-level function that returns a dict.
    timeout_s : float, optional
        Wall-clock cap; the worker is terminated when it runs longer.
    cap_after_prepare : bool
        Count the cap from the worker's `notify_prepared` call, with no cap
        before it, so that filling a cold Cython cache is not cut short.
        Otherwise the cap counts from the start.
    **kwargs
        Arguments of ``function`` (they must pickle).

    Returns
    -------
    dict
        The function's result with ``peak_rss_mib`` and ``peak_child_rss_mib``
        added, and ``status`` "ok"; or ``{"status": "timeout after N s"}`` or
        ``{"status": "error: ..."}``.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_worker_main, args=(sender, function, kwargs))
    process.start()
    sender.close()
    capped = timeout_s is not None and not cap_after_prepare
    cap_start = time.perf_counter()
    message = None
    while True:
        elapsed = time.perf_counter() - cap_start
        remaining = max(timeout_s - elapsed, 0) if capped else None
        if not receiver.poll(remaining):
            # SIGTERM reaches the worker only, not a compiler or binary that
            # it started. The suite caps runtime targets only, whose workers
            # run the simulation in their own process.
            process.terminate()
            process.join(10)
            return {"status": f"timeout after {timeout_s:.0f} s"}
        try:
            message = receiver.recv()
        except EOFError:
            message = None
            break
        if message[0] != "prepared":
            break
        capped = timeout_s is not None
        cap_start = time.perf_counter()
    process.join()
    if message is None:
        return {"status": f"error: worker exited with code {process.exitcode}"}
    kind, payload = message
    if kind == "error":
        first = payload.splitlines()[0]
        print(payload, file=sys.stderr)
        return {"status": f"error: {first}"}
    payload["status"] = "ok"
    return payload


# -- networks -----------------------------------------------------------------


def mnist_setup(train_size: int, test_size: int, hidden: int):
    """Return (spec, task, labels) of the MNIST network on a digit subset."""
    from models.mnist import INPUT_ACTIVITY, load_split, mnist_spec, mnist_task
    from models.tasks.encoding import encode_split

    split = load_split(train_size=train_size, test_size=test_size)
    x_train, x_test = encode_split(split, "pixels")
    task = mnist_task(x_train, split.y_train, x_test, split.y_test)
    spec = mnist_spec(
        n_input=x_train.shape[1],
        hidden=hidden,
        input_activity=INPUT_ACTIVITY["pixels"],
    )
    labels = np.concatenate([split.y_train, split.y_test])
    return spec, task, labels


def mnist_network(train_size: int, test_size: int, hidden: int, seed: int = 1):
    """Build the MNIST network on one epoch of a small digit subset.

    Returns
    -------
    network : models.network.LayeredNetwork
    groups : dict
        Layer name -> NeuronGroup.
    fan_out : dict
        Layer name -> array of the number of outgoing spike-driven synapses
        of each neuron.
    n_trials : int
    """
    from models.network import LayeredNetwork, initial_state
    from models.schedule import Schedule

    spec, task, _ = mnist_setup(train_size, test_size, hidden)
    patterns, flags = task.epoch_trials(1, seed)
    schedule = Schedule(task.inputs, task.targets, patterns, flags)
    network = LayeredNetwork(spec, schedule, initial_state(spec, seed))

    groups = {name: layer.group for name, layer in network.layers.items()}
    fan_out = {
        name: np.zeros(len(group), dtype=np.int64) for name, group in groups.items()
    }
    for projection in spec.projections:
        receivers = spec.layer(projection.receiver).size
        fan_out[projection.sender] += 1 if projection.one_to_one else receivers
    return network, groups, fan_out, schedule.n_trials


def layer_sizes(total: int) -> dict[str, int]:
    """Split ``total`` neurons into input (50 %), hidden (40 %) and output (10 %).

    Raises
    ------
    ValueError
        For fewer than 20 neurons, which would leave a layer with under 2.
    """
    if total < 20:
        raise ValueError(
            f"Invalid network size {total}: use at least 20 neurons, so that "
            "every layer has at least 2."
        )
    n_input = round(0.5 * total)
    n_output = round(0.1 * total)
    return {"input": n_input, "hidden": total - n_input - n_output, "output": n_output}


#: Expected activities of the sparse network's layers (fraction of active units).
SPARSE_ACTIVITY = {"input": 0.15, "hidden": 0.04, "output": 0.1}

#: Projections of the sparse network: (sender, receiver, relative strength).
SPARSE_PROJECTIONS = (
    ("input", "hidden", 1.0),
    ("hidden", "output", 1.0),
    ("output", "hidden", 0.3),
)

#: Number of random input and target patterns the sparse network cycles through.
SPARSE_PATTERNS = 10


def sparse_synapses(total: int, fan_in: int) -> int:
    """Return the number of spike-driven synapses of `sparse_network`."""
    sizes = layer_sizes(total)
    return sum(
        min(fan_in, sizes[sender]) * sizes[receiver]
        for sender, receiver, _ in SPARSE_PROJECTIONS
    )


def _fixed_fan_in(n_send: int, n_receive: int, fan_in: int, rng) -> tuple:
    """Draw ``fan_in`` distinct senders for every receiver.

    Returns the sender and receiver index arrays ``(i, j)``, sorted by sender,
    and the fan-in ``k`` used (at most ``n_send``).
    """
    k = min(fan_in, n_send)
    if k == n_send:
        i = np.tile(np.arange(n_send), n_receive)
    else:
        i = np.concatenate(
            [rng.choice(n_send, k, replace=False) for _ in range(n_receive)]
        )
    j = np.repeat(np.arange(n_receive), k)

    # Store each sender's synapses together, as Brian2's own connect() does,
    # so that a spike reads its weights from one block of memory.
    order = np.lexsort((j, i))
    return i[order], j[order], k


def sparse_network(total: int, fan_in: int, n_trials: int, seed: int = 1):
    """Build a learning network of ``total`` neurons with fixed fan-in ``fan_in``.

    Input -> hidden <-> output, as the MNIST network, with the layer split of
    `layer_sizes` and each receiver connected to ``fan_in`` distinct random
    senders (all of them when the sending layer is smaller). Trials cycle
    through `SPARSE_PATTERNS` random binary input and one-hot target
    patterns; every trial trains. The learning code is that of
    `models.network.LayeredNetwork` without target averages and slow
    adaptation (which run once per trial on neurons, or once per 100 trials):
    receivers compute RLrate once per trial, and the synapses of active
    senders the XCAL change and its zero-sum application.

    Returns
    -------
    network : brian2.Network
    groups : dict
        Layer name -> NeuronGroup.
    fan_out : dict
        Layer name -> array of outgoing synapses per neuron.
    n_synapses : int
        Spike-driven synapses.
    """
    from brian2 import Network, Synapses, ms

    from equations import G_UNIT, neuron_model
    from equations.xcal import SENDER_LEARNS, SYNAPSE_EQUATIONS
    from models.layer import Layer
    from models.network import (
        LEARN_EVENT,
        XCAL_STEPS,
        receiver_sum_equations,
        run_each_trial,
        schedule_pathways,
        trial_finish_code,
        xcal_pathways,
    )
    from models.projection import initial_weights, projection_scale
    from models.schedule import Schedule
    from models.spec import PROJECTION_PARAMETERS

    if fan_in < 1:
        raise ValueError(
            f"Invalid fan-in {fan_in}: use at least 1 synapse per receiver."
        )
    sizes = layer_sizes(total)
    rng = np.random.default_rng(seed)
    inputs = (
        rng.random((SPARSE_PATTERNS, sizes["input"])) < SPARSE_ACTIVITY["input"]
    ).astype(float)
    # Set the one-hot targets directly, because an identity matrix of the
    # output layer would take 80 GB at 10^6 neurons.
    targets = np.zeros((SPARSE_PATTERNS, sizes["output"]))
    target_units = rng.integers(0, sizes["output"], SPARSE_PATTERNS)
    targets[np.arange(SPARSE_PATTERNS), target_units] = 1.0
    patterns = np.arange(n_trials) % SPARSE_PATTERNS
    schedule = Schedule(inputs, targets, patterns, np.ones(n_trials, bool))
    trial = schedule.timing.trial
    gates = schedule.gate_code()

    learning = PROJECTION_PARAMETERS.resolve({"lrate": 0.2})
    layers = {}
    for name in LAYERS:
        incoming = [f"{s}_to_{r}" for s, r, _ in SPARSE_PROJECTIONS if r == name]
        phase = {
            "input": schedule.input_equations(),
            "output": schedule.target_equations(),
        }.get(name, schedule.phase_equations())
        model = neuron_model(
            # As in the package's networks, input layers have no NMDA channel.
            nmda=name != "input",
            gabab=True,
            clamped=name != "hidden",
            phases=True,
            target=name == "output",
            parameters={"decay_act": 1.0, "decay_glong": 1.0, "decay_kna": 0.0},
            extra_equations=phase + receiver_sum_equations(incoming, adapt=False),
        )
        layer = Layer(
            name,
            sizes[name],
            model,
            inhibition={"gi": 1.2 if name == "hidden" else 0.9},
            trial=trial,
            namespace={**schedule.namespace(), "lrn_thr": learning["lrn_thr"]},
            events={LEARN_EVENT: schedule.learn_event(SENDER_LEARNS)},
        )
        finish_code = trial_finish_code(gates, incoming, adapt=False)
        run_each_trial(layer.group, finish_code, "finish", trial)
        if name != "hidden":
            kind = "input" if name == "input" else "target"
            schedule.add_clamp(layer.group, kind)
        layers[name] = layer

    objects = [obj for layer in layers.values() for obj in layer.objects]
    fan_out = {name: np.zeros(sizes[name], dtype=np.int64) for name in LAYERS}
    n_synapses = 0
    for sender, receiver, rel in SPARSE_PROJECTIONS:
        name = f"{sender}_to_{receiver}"
        rel_total = sum(p[2] for p in SPARSE_PROJECTIONS if p[1] == receiver)
        i, j, k = _fixed_fan_in(sizes[sender], sizes[receiver], fan_in, rng)
        scale = projection_scale(
            sizes[sender], SPARSE_ACTIVITY[sender], k, rel=rel, rel_total=rel_total
        )
        on_pre, on_event = xcal_pathways(name, gates)
        synapses = Synapses(
            layers[sender].group,
            layers[receiver].group,
            SYNAPSE_EQUATIONS,
            on_pre={"pre": "g_e_raw_post += g_scale*wt", **on_pre},
            on_event={"pre": "spike", **on_event},
            # Scalar delays: the learning pathways act in the step of their
            # event, as in `models.network.LayeredNetwork`.
            delay={"pre": 2 * ms, **dict.fromkeys(on_pre, 0 * ms)},
            namespace={**schedule.namespace(), **learning, "g_scale": scale * G_UNIT},
            name=name,
        )
        synapses.connect(i=i, j=j)
        weights = initial_weights(
            (len(i),), rng, spct=0.0 if receiver == "output" else 0.5
        )
        for variable in ("wt", "swt", "lwt"):
            setattr(synapses, variable, weights[variable])
        schedule_pathways(synapses, XCAL_STEPS)
        objects.append(synapses)
        fan_out[sender] += np.bincount(i, minlength=sizes[sender])
        n_synapses += len(i)

    groups = {name: layer.group for name, layer in layers.items()}
    return Network(*objects), groups, fan_out, n_synapses


# -- measurement --------------------------------------------------------------


def measure(
    network_kind: str,
    target: str,
    build_dir: str,
    options: dict,
    profile: bool = False,
    compile_only: bool = False,
    precision: str = "double",
) -> dict:
    """Build a benchmark network on ``target``, run it and return one measurement.

    Meant to run in a worker (`in_worker`). On the standalone targets the
    project is generated, compiled with `models.devices.build_cached` (which
    keeps an earlier binary of the same sources in ``build_dir``) and run
    once. On the runtime targets the first time step runs alone, so that code
    generation and Cython compilation (``prepare_s``) are not counted in
    ``run_s``.

    Parameters
    ----------
    network_kind : {"mnist", "sparse"}
    target : str
        One of `models.devices.DEVICES`.
    build_dir : str
        Standalone project or Cython cache directory.
    options : dict
        Arguments of `mnist_network` or `sparse_network`.
    profile : bool
        Run with Brian2's ``profile=True`` and add the code objects' times
        as ``profile``: a list of (name, seconds).
    compile_only : bool
        Standalone targets: generate and compile, do not run the binary.
    precision : {"double", "single"}
        Storage of the floating-point state (`models.devices.PRECISIONS`).

    Returns
    -------
    dict
        The `COLUMNS` that this function measures (peak memory is added by
        `in_worker`). ``run_s`` is the wall time of the simulation: the whole
        binary on standalone targets (with loading its arrays and creating
        the synapses), the run after the first step on runtime targets.
        ``fan_in`` is the sweep network's fan-in (None for the MNIST network).
        ``cost`` is ``run_s`` per simulated second, ``cpu_cost`` the same for
        the CPU time of the simulation loop (``loop_cpu_s``). In standalone,
        ``binary_cpu_s`` is the CPU time of the whole binary.
    """
    from brian2 import SpikeMonitor, defaultclock, device, ms
    from brian2 import seed as seed_noise

    from models import devices

    if network_kind not in ("mnist", "sparse"):
        raise ValueError(
            f"Invalid network kind {network_kind!r}: use 'mnist' or 'sparse'."
        )
    devices.select_device(target, build_dir, precision=precision)
    # The training runs of the package use a 1-ms step.
    defaultclock.dt = 1 * ms
    seed_noise(0)

    start = time.perf_counter()
    if network_kind == "mnist":
        layered, groups, fan_out, n_trials = mnist_network(**options)
        network = layered.network
        n_synapses = int(sum(f.sum() for f in fan_out.values()))
    else:
        network, groups, fan_out, n_synapses = sparse_network(**options)
        n_trials = options["n_trials"]
    monitors = {}
    if not profile:
        # record=False keeps the spike count per neuron only.
        for name, group in groups.items():
            monitors[name] = SpikeMonitor(group, record=False, name=f"{name}_count")
        network.add(*monitors.values())
    # One extra step applies the last trial's change, as in training.
    duration = n_trials * TRIAL_S * 1000 * ms + defaultclock.dt
    build_s = time.perf_counter() - start

    result = {
        "network": network_kind,
        "target": target,
        "neurons": int(sum(len(g) for g in groups.values())),
        "synapses": n_synapses,
        "fan_in": options.get("fan_in"),
        "precision": precision,
        "trials": n_trials,
        "build_s": build_s,
        "compile_s": None,
    }
    start = time.perf_counter()
    if target in devices.STANDALONE_DEVICES:
        network.run(duration, profile=profile)
        compiled = devices.build_cached(build_dir)
        result["prepare_s"] = time.perf_counter() - start
        result["compile_s"] = compiled["compile_s"]
        result["reused_binary"] = compiled["reused"]
        if compile_only:
            return result
        notify_prepared()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        device.run(directory=str(Path(build_dir).resolve()), with_output=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        run_s = device.timers["run_binary"]
        result["run_s_max"] = run_s
        # The binary is the only child that ends during device.run.
        result["binary_cpu_s"] = _cpu_s(after) - _cpu_s(before)
        loop_cpu_s = _loop_cpu_s(build_dir)
        result["repeats"] = 1
        simulated_s = float(duration / (1000 * ms))
    else:
        network.run(defaultclock.dt, profile=profile)
        result["prepare_s"] = time.perf_counter() - start
        result["repeats"] = 1
        notify_prepared()
        start = time.perf_counter()
        cpu_start = time.process_time()
        network.run(duration - defaultclock.dt, profile=profile)
        run_s = time.perf_counter() - start
        loop_cpu_s = time.process_time() - cpu_start
        simulated_s = float((duration - defaultclock.dt) / (1000 * ms))

    result.update(run_s=run_s, loop_cpu_s=loop_cpu_s, simulated_s=simulated_s)
    if profile:
        result["profile"] = [
            (str(name), float(seconds)) for name, seconds in network.profiling_info
        ]
    else:
        events = 0
        for name, monitor in monitors.items():
            counts = np.asarray(monitor.count[:], dtype=np.int64)
            events += int(counts @ fan_out[name])
            result[f"rate_{name}_hz"] = float(counts.sum() / len(counts) / simulated_s)
        result["events"] = events
    return _with_rates(result)


def _with_rates(row: dict) -> dict:
    """Return ``row`` with the columns derived from its times and events.

    ``cost`` and ``cpu_cost`` are ``run_s`` and ``loop_cpu_s`` per simulated
    second, ``speed`` is the inverse of ``cost``, and ``events_per_s`` (where
    the row counts events) is per wall second of ``run_s``.
    """
    row["cost"] = row["run_s"] / row["simulated_s"]
    row["cpu_cost"] = row["loop_cpu_s"] / row["simulated_s"]
    row["speed"] = row["simulated_s"] / row["run_s"]
    if row.get("events") is not None:
        row["events_per_s"] = row["events"] / row["run_s"]
    return row


def _cpu_s(usage) -> float:
    """Return the user plus system CPU time of a `resource.getrusage` result."""
    return usage.ru_utime + usage.ru_stime


def _loop_cpu_s(build_dir) -> float:
    """Return the CPU time of a standalone binary's last simulation loop.

    Brian2 2.8.0's network.cpp measures it with std::clock (without OpenMP)
    and writes it to results/last_run_info.txt: no loading of arrays, no
    waiting for a busy CPU.
    """
    info = Path(build_dir) / "results" / "last_run_info.txt"
    return float(info.read_text().split()[0])


def rerun_binary(build_dir) -> dict:
    """Run a measured standalone project's binary again; return its measures.

    The binary runs as ``device.run`` starts it after
    `models.devices.select_device` (in the project directory, with Brian2's
    run environment and `models.devices.RUN_ENVIRONMENT`, results in
    ``results/``) and simulates the same spikes as before. Returns
    ``run_s`` (wall time), ``binary_cpu_s`` and ``loop_cpu_s`` in seconds,
    and ``binary_rss_mib``, the binary's peak resident memory as last read
    while it ran, every 10 ms (None when it ended before the first reading;
    too low for a binary that ends within a few readings).

    Raises
    ------
    subprocess.CalledProcessError
        When the binary exits with an error.
    """
    from brian2 import prefs

    from models.devices import RUN_ENVIRONMENT

    directory = Path(build_dir).resolve()
    command = ["./main", "--results_dir", f"{directory / 'results'}/"]
    brian2_environment = prefs["devices.cpp_standalone.run_environment_variables"]
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=directory,
        env={**os.environ, **brian2_environment, **RUN_ENVIRONMENT},
        stdout=subprocess.DEVNULL,
    )
    # Linux counts the starting process's peak memory in a child's ru_maxrss,
    # because the child starts from that memory. So the binary's own peak is
    # read from /proc while it runs, and wait4 gives its CPU time alone.
    peak_kib = None
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak_kib = _peak_rss_kib(process.pid, peak_kib)
        time.sleep(0.01)
    run_s = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, command)
    return {
        "run_s": run_s,
        "binary_cpu_s": _cpu_s(usage),
        "loop_cpu_s": _loop_cpu_s(directory),
        "binary_rss_mib": None if peak_kib is None else peak_kib / 1024,
    }


def _peak_rss_kib(pid: int, peak_kib: float | None) -> float | None:
    """Return the larger of ``peak_kib`` and a running process's VmHWM in KiB.

    Returns ``peak_kib`` unchanged when the process has no memory left to
    report (it is exiting) or its status cannot be read.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return peak_kib
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            value = float(line.split()[1])
            return value if peak_kib is None else max(peak_kib, value)
    return peak_kib


def keep_fastest(row: dict, runs: list[dict]) -> dict:
    """Return a measurement row with the smallest times of it and ``runs``.

    ``runs`` are further runs of the same binary (`rerun_binary`). Other
    load on the machine adds time to a run and never removes it. So the
    smallest ``run_s``, ``loop_cpu_s`` and ``binary_cpu_s`` estimate the
    cost best. ``run_s_max`` keeps the largest wall time, ``repeats`` the
    number of runs, ``binary_rss_mib`` the largest peak memory of ``runs``,
    and the derived columns follow the smallest times.
    """
    times = [row] + list(runs)
    best = dict(row)
    for name in ("run_s", "loop_cpu_s", "binary_cpu_s"):
        best[name] = min(run[name] for run in times)
    best["run_s_max"] = max(run["run_s"] for run in times)
    rss = [run["binary_rss_mib"] for run in runs if run.get("binary_rss_mib")]
    if rss:
        best["binary_rss_mib"] = max(rss)
    best["repeats"] = len(times)
    return _with_rates(best)


#: Kinds of code object in a Brian2 profile of the benchmark networks, with
#: the name parts that mark them, tried in this order.
CODE_OBJECT_KINDS = (
    # XCAL pathways, the learn-event test, the once-per-trial finish code and
    # slow adaptation (synaptic scaling and SWt, once per 100 trials).
    ("learning", ("_xcal_", "_learn_trial_", "_trial_", "_slow_")),
    # The once-per-trial StateMonitor of `models.network.LayeredNetwork`.
    ("monitors", ("_trials_",)),
    # The spike-driven conductance pathway and its spike queue.
    ("spike propagation", ("_pre_codeobject", "_pre_push_spikes")),
    # Pool inputs summed every step, and the pools' FFFB inhibition.
    ("pool sums", ("_summed_variable_", "_pool_")),
    (
        "neuron update",
        ("_membrane_", "_conductance_", "_decay_", "_spike_", "_clamp_"),
    ),
)


def code_object_kind(name: str) -> str:
    """Return the `CODE_OBJECT_KINDS` kind of a code object, or "other"."""
    for kind, parts in CODE_OBJECT_KINDS:
        if any(part in name for part in parts):
            return kind
    return "other"


def profile_frame(row: dict):
    """Return a `measure` row's profile as a table of code objects and kinds.

    The columns are ``code_object``, ``seconds`` and ``kind``
    (`code_object_kind`).
    """
    # Imported here: the worker processes import this module and stay light.
    import pandas as pd

    frame = pd.DataFrame(row["profile"], columns=["code_object", "seconds"])
    frame["kind"] = frame["code_object"].map(code_object_kind)
    return frame


def profile_growth(small: dict, large: dict):
    """Return how each kind of code object grows between two sizes of a network.

    Parameters
    ----------
    small, large : dict
        `measure` rows with ``profile`` (``profile=True``), ``neurons`` and
        ``synapses``; ``large`` the bigger network.

    Returns
    -------
    pandas.DataFrame
        One row per kind and a last row "all": ``seconds_small``,
        ``seconds_large`` (CPU seconds in the code objects), ``growth`` (their
        ratio) and ``exponent``, the growth as a power of the synapse ratio.
        An exponent of 1 means the kind's cost grows as the synapses do.

    Raises
    ------
    ValueError
        When ``large`` has no more synapses than ``small``.
    """
    # Imported here: the worker processes import this module and stay light.
    import pandas as pd

    ratio = large["synapses"] / small["synapses"]
    if ratio <= 1:
        raise ValueError(
            f"Cannot compare profiles of {small['synapses']} and "
            f"{large['synapses']} synapses: give the smaller network first."
        )
    seconds = {
        label: profile_frame(row).groupby("kind")["seconds"].sum()
        for label, row in (("seconds_small", small), ("seconds_large", large))
    }
    table = pd.DataFrame(seconds).fillna(0.0)
    table.loc["all"] = table.sum()
    table["growth"] = table["seconds_large"] / table["seconds_small"]
    table["exponent"] = np.log(table["growth"]) / np.log(ratio)
    return table.rename_axis("kind").reset_index()


def fit_exponent(synapses, cost) -> float:
    """Return the slope of log(cost) against log(synapses), by least squares.

    Raises
    ------
    ValueError
        For fewer than two points, or values that are not positive.
    """
    x = np.asarray(synapses, dtype=float)
    y = np.asarray(cost, dtype=float)
    if x.size < 2 or x.size != y.size:
        raise ValueError(
            f"Cannot fit an exponent to {x.size} synapse counts and {y.size} costs: "
            "give at least two sizes of equal length."
        )
    if np.any(x <= 0) or np.any(y <= 0) or len(np.unique(x)) < 2:
        raise ValueError(
            f"Cannot fit an exponent to synapses {x.tolist()} and costs "
            f"{y.tolist()}: both must be positive, with two different sizes."
        )
    slope, _ = np.polyfit(np.log(x), np.log(y), 1)
    return float(slope)
