"""Train and test a layered network on a task, in blocks of epochs.

A run is split into blocks of ``block_epochs`` epochs. Each block is one
Brian2 run of a whole schedule (trials, phases, clamping and learning are all
Brian2 code). On the standalone devices the program is compiled once and
every block runs the same binary, with the block's trial order and the state
of the previous block passed as ``run_args``. After each block the weights
and the rest of the network state are saved to ``checkpoint.npz`` together
with the results so far, so an interrupted run resumes at the last finished
block and loses nothing before it.

Results come back as pandas DataFrames: one row per trial (errors, cosine
difference and the minus-phase activity of the target layer) and one per
epoch. Epochs are numbered from 1.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from brian2 import defaultclock, device, ms, prefs
from brian2 import seed as seed_noise
from brian2.devices.device import all_devices, get_device

from . import activity, devices
from .files import write_atomic, write_csv
from .network import LayeredNetwork, initial_state, recorded_layers
from .schedule import PhaseTiming, Schedule
from .spec import NetworkSpec

__all__ = [
    "CheckpointError",
    "Task",
    "TrainingResult",
    "train",
    "check_saved_layers",
    "trial_table",
    "epoch_table",
]

#: Output units above this activity count as on (reference Clamp.ErrThr).
ERR_THRESHOLD = 0.5

CHECKPOINT = "checkpoint.npz"


class CheckpointError(ValueError):
    """Raised when a checkpoint cannot resume the requested run."""


#: Version of the checkpoint's state variables, saved with its configuration.
#: Raise it when the networks gain or lose state variables, so that a resume
#: from an older checkpoint stops with the configuration difference. Version 2:
#: input layers have no NMDA state.
CHECKPOINT_FORMAT = 2

# NOTE: standalone programs compile their random seed in, so one binary can
# serve every seed and block only if the noise seed is fixed. Every block
# therefore draws the same noise stream on every device; ``seed`` sets the
# initial weights and the trial order.
NOISE_SEED = 0


@dataclass(frozen=True)
class Task:
    """Patterns of a task and the order in which trials show them.

    Parameters
    ----------
    name : str
    inputs, targets : arrays of shape (n_patterns, n_units)
        Clamp values of the input and the target layer, in [0, 1].
    input_layer, target_layer : str
        Names of the layers they are clamped on.
    epoch_trials : callable
        ``epoch_trials(epoch, seed) -> (patterns, train)``: pattern indices and
        train flags of the trials of one epoch (epochs numbered from 1).
    lrate_sched : callable, optional
        ``lrate_sched(epoch) -> factor`` of every projection's learning rate
        in that epoch (the reference's Lrate.Sched); None keeps 1.
    """

    name: str
    inputs: np.ndarray
    targets: np.ndarray
    input_layer: str
    target_layer: str
    epoch_trials: Callable[[int, int], tuple[np.ndarray, np.ndarray]]
    lrate_sched: Callable[[int], float] | None = None

    #: Role of the target layer in messages, and the layer kind it must have.
    target_role = "target"
    target_kind = "target"

    def check(self, spec: NetworkSpec):
        """Raise ValueError if the patterns do not fit the network's layers."""
        for role, kind, name, patterns in (
            ("input", "input", self.input_layer, self.inputs),
            (self.target_role, self.target_kind, self.target_layer, self.targets),
        ):
            layer = spec.layer(name)
            if layer.kind != kind:
                raise ValueError(
                    f"Invalid {role} layer '{name}' of task '{self.name}': the "
                    f"network's layer has kind '{layer.kind}', expected '{kind}'."
                )
            if np.ndim(patterns) != 2 or np.shape(patterns)[1] != layer.size:
                raise ValueError(
                    f"Mismatched {role} patterns of task '{self.name}': shape "
                    f"{np.shape(patterns)}, expected (n_patterns, {layer.size}) for "
                    f"layer '{name}'."
                )
        if (
            len(spec.layers)
            and [layer.kind for layer in spec.layers].count("input") != 1
        ):
            raise ValueError(
                f"Invalid network for task '{self.name}': expected exactly one "
                "input layer."
            )

    def score(self, act_m: np.ndarray, patterns: np.ndarray) -> dict:
        """Return the per-trial scores of the target layer's minus-phase activity.

        ``act_m`` has one row per trial, ``patterns`` the pattern of each
        trial. ``err`` is 1 when any unit is on the wrong side of
        `ERR_THRESHOLD`, ``unit_err`` counts those units and ``sse`` is the
        squared distance from the targets. Subclasses may score otherwise and
        add columns, which the trial table keeps in their order.
        """
        targets = self.targets[patterns]
        wrong = (act_m > ERR_THRESHOLD) != (targets > ERR_THRESHOLD)
        return {
            "err": wrong.any(axis=1).astype(int),
            "unit_err": wrong.sum(axis=1),
            "sse": ((act_m - targets) ** 2).sum(axis=1),
        }


@dataclass
class TrainingResult:
    """Results of a training run: trial and epoch tables, final state, timings."""

    trials: pd.DataFrame
    epochs: pd.DataFrame
    state: dict = field(repr=False)
    timings: dict = field(default_factory=dict)


def trial_table(
    records: dict, schedule: Schedule, task: Task, first_epoch: int, trials_per_epoch
) -> pd.DataFrame:
    """Return one row per trial of a block: scores and target-layer activity.

    The scores are those of `Task.score`, then ``cos_diff``, the cosine of the
    target layer's minus- and plus-phase activity.
    """
    act_m = records[task.target_layer]["act_m"]
    act_p = records[task.target_layer]["act_p"]
    norm = np.linalg.norm(act_m, axis=1) * np.linalg.norm(act_p, axis=1)
    cos = np.where(
        norm > 0, (act_m * act_p).sum(axis=1) / np.where(norm > 0, norm, 1), 0
    )
    index = np.arange(schedule.n_trials)
    table = pd.DataFrame(
        {
            "epoch": first_epoch + index // trials_per_epoch,
            "trial": index % trials_per_epoch,
            "pattern": schedule.patterns,
            "train": schedule.train,
            **task.score(act_m, schedule.patterns),
            "cos_diff": cos,
        }
    )
    activity = pd.DataFrame(
        act_m, columns=[f"act_m_{unit}" for unit in range(act_m.shape[1])]
    )
    return pd.concat([table, activity], axis=1)


def epoch_table(trials: pd.DataFrame, zero_stop: int | None) -> pd.DataFrame:
    """Return one row per epoch, from the training trials of `trial_table`.

    ``pct_err`` is the fraction of error trials (0 to 1), ``first_zero`` the
    first epoch with no error (NaN while there is none) and ``zero_run`` the
    number of consecutive zero-error epochs ending at this one.
    """
    train = trials[trials["train"]]
    epochs = (
        train.groupby("epoch")
        .agg(
            pct_err=("err", "mean"),
            unit_err=("unit_err", "mean"),
            sse=("sse", "mean"),
            cos_diff=("cos_diff", "mean"),
            n_trials=("err", "size"),
        )
        .reset_index()
    )
    zero = epochs["pct_err"].to_numpy() == 0
    first = np.nan
    firsts, runs = [], []
    run = 0
    for epoch, is_zero in zip(epochs["epoch"], zero, strict=True):
        run = run + 1 if is_zero else 0
        if is_zero and np.isnan(first):
            first = epoch
        firsts.append(first)
        runs.append(run)
    epochs["first_zero"] = pd.array(firsts, dtype="Float64").astype("Int64")
    epochs["zero_run"] = runs
    epochs["done"] = False if zero_stop is None else epochs["zero_run"] >= zero_stop
    return epochs


def _save_checkpoint(path: Path, state: dict, epochs_done: int, config: str, trials):
    arrays = {f"state/{key}": value for key, value in state.items()}
    arrays["epochs_done"] = np.array(epochs_done)
    arrays["config"] = np.array(config)
    for column in trials.columns:
        arrays[f"trials/{column}"] = trials[column].to_numpy()

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda handle: np.savez(handle, **arrays), binary=True)


def _config_difference(saved: str, current: str, context: int = 60) -> str:
    """Describe the settings that differ between two checkpoint configurations.

    Both are the JSON texts that `train` writes. Each differing setting is
    shown around its first differing character, because a spec's text runs
    to thousands of characters.
    """
    try:
        old, new = json.loads(saved), json.loads(current)
    except json.JSONDecodeError:
        old, new = {"config": saved}, {"config": current}
    lines = []
    for key in sorted(set(old) | set(new)):
        was, now = json.dumps(old.get(key)), json.dumps(new.get(key))
        if was == now:
            continue
        start = max(0, len(os.path.commonprefix([was, now])) - context // 2)
        lines.append(
            f"  {key}: saved ...{was[start : start + context]}...\n"
            f"  {' ' * len(key)}  current ...{now[start : start + context]}..."
        )
    return "\n".join(lines)


def _load_checkpoint(path: Path, config: str):
    with np.load(path, allow_pickle=False) as data:
        saved = str(data["config"])
        if saved != config:
            raise CheckpointError(
                f"Checkpoint {path} was written by another configuration:\n"
                f"{_config_difference(saved, config)}\n"
                "Use another output directory, or delete the checkpoint to start "
                "over."
            )
        state = {
            key.removeprefix("state/"): data[key]
            for key in data.files
            if key.startswith("state/")
        }
        trials = pd.DataFrame(
            {
                key.removeprefix("trials/"): data[key]
                for key in data.files
                if key.startswith("trials/")
            }
        )
        return state, int(data["epochs_done"]), trials


def check_saved_layers(spec: NetworkSpec, layers: Sequence[str], out) -> tuple:
    """Return ``layers`` as a tuple, or raise ValueError if one cannot be saved."""
    if isinstance(layers, str):
        layers = (layers,)
    layers = tuple(layers)
    if layers and out is None:
        raise ValueError(
            f"save_activity={list(layers)} needs an output directory: pass out=..."
        )
    recorded = recorded_layers(spec)
    inputs = [layer.name for layer in spec.layers if layer.kind == "input"]
    for name in layers:
        if name not in recorded:
            reason = (
                " An input layer's activity is its clamped pattern."
                if name in inputs
                else ""
            )
            raise ValueError(
                f"Invalid save_activity layer {name!r}: expected one of the "
                f"non-input layers {recorded}.{reason}"
            )
    return layers


def _check_finite(network: LayeredNetwork, records: dict, first_epoch, per_epoch):
    """Stop with the layer, neuron and trial if a membrane potential is NaN."""
    for name, layer in network.layers.items():
        v = np.asarray(layer.group.v[:])
        bad = np.flatnonzero(~np.isfinite(v))
        if bad.size == 0:
            continue
        where = ""
        if name in records:
            rows = np.flatnonzero(~np.isfinite(records[name]["act_m"]).all(axis=1))
            if rows.size:
                trial = int(rows[0])
                t = trial * network.trial
                where = (
                    f", first seen in trial {trial} of the block (epoch "
                    f"{first_epoch + trial // per_epoch}, t = {t})"
                )
        raise FloatingPointError(
            f"NaN membrane potential in layer '{name}', neuron {int(bad[0])}{where}. "
            "Check the parameter overrides of this layer (conductances and time "
            "constants)."
        )


def _select(device_name: str, build_dir, precision: str):
    """Make ``device_name`` the active device with dt = 1 ms and ``precision``."""
    # Brian2 objects of an earlier network stay alive until the cycle
    # collector runs, and their names would make Brian2 number the new code
    # objects ("..._1"), which changes the generated sources.
    gc.collect()
    if build_dir is None and device_name not in devices.STANDALONE_DEVICES:
        devices.reset_device()
        devices.set_precision(precision)
        if device_name != "runtime":
            prefs.codegen.target = device_name
    else:
        devices.select_device(device_name, build_dir, precision=precision)
    defaultclock.dt = 1 * ms


# The standalone network built last in this process, with the key it was built
# for: (spec, number of trials per block, timing, device, directory).
_last_build: dict = {}


def _standalone_network(spec, schedule, state, device_name, directory, precision):
    """Return a built standalone network for ``spec``, reusing the last one.

    Brian2 can hold one standalone project per process. When the last network
    built here has the same spec, block size, timing, device and directory,
    and the device still holds that project, its binary runs again with new
    ``run_args``. Otherwise the project is generated, and
    `models.devices.build_cached` compiles it unless an earlier binary in the
    directory was made from the same sources.
    """
    key = (
        repr(spec),
        schedule.n_trials,
        schedule.timing,
        device_name,
        str(directory),
        precision,
    )
    current = get_device()
    if (
        _last_build.get("key") == key
        and current is all_devices.get(device_name)
        and getattr(current, "project_dir", None) == str(directory)
        and bool(getattr(current, "code_objects", None))
    ):
        return _last_build["network"], {"compile_s": 0.0, "reused": True}

    _last_build.clear()
    _select(device_name, directory, precision)
    seed_noise(NOISE_SEED)
    network = LayeredNetwork(spec, schedule, state)
    network.network.run(schedule.duration)
    compiled = devices.build_cached(directory)
    _last_build.update(key=key, network=network)
    return network, compiled


def train(
    spec: NetworkSpec,
    task: Task,
    *,
    seed: int = 1,
    epochs: int = 100,
    device_name: str = "cpp_standalone",
    out: str | os.PathLike | None = None,
    block_epochs: int = 5,
    zero_stop: int | None = 5,
    timing: PhaseTiming | None = None,
    build_dir: str | os.PathLike | None = None,
    resume: bool = True,
    progress: bool = True,
    stop_after_blocks: int | None = None,
    table_prefix: str = "",
    precision: str = "double",
    save_activity: Sequence[str] = (),
    label: str | None = None,
) -> TrainingResult:
    """Train ``spec`` on ``task`` until ``zero_stop`` zero-error epochs in a row.

    Parameters
    ----------
    spec : NetworkSpec
    task : Task
    seed : int
        Seed of the initial weights and of the trial order.
    epochs : int
        Largest number of epochs.
    device_name : str
        One of `models.devices.DEVICES` ("runtime", "numpy", "cython",
        "cpp_standalone", "cuda_standalone").
    out : path, optional
        Directory for ``trials.csv``, ``epochs.csv`` and ``checkpoint.npz``.
    block_epochs : int
        Epochs per Brian2 run and per checkpoint. The stop rule is checked
        after each block; results after the stopping epoch are dropped.
    zero_stop : int or None
        Stop after this many consecutive epochs without an error; None runs
        all ``epochs`` (fixed-length runs such as classification curves).
    timing : PhaseTiming, optional
        Phase durations (150 + 50 ms by default).
    build_dir : path, optional
        Standalone project directory (default ``<out>/build`` or a temporary
        one).
    resume : bool
        Continue from ``<out>/checkpoint.npz`` if it exists.
    progress : bool
        Print one line per block to stderr.
    stop_after_blocks : int, optional
        Stop (as if interrupted) after this many blocks of this call.
    table_prefix : str
        Prefix of the names of the trial and epoch tables in ``out``, for
        callers that write their own ``epochs.csv``.
    precision : {"double", "single"}
        Storage of the network's floating-point state
        (`models.devices.PRECISIONS`); single as the reference implementation.
    save_activity : sequence of str
        Non-input layers whose ``act_m`` and ``act_p`` of every trial are
        written to ``<out>/<table_prefix>activity/`` (`models.activity`; read
        them with `models.activity.load_activity`). Needs ``out``. A run that
        does not resume first removes the files of an earlier run.
    label : str, optional
        Name of the run in the progress lines (default: the task's name), to
        tell apart runs of one task under different settings.

    Raises
    ------
    ValueError
        For a negative number of epochs, an unknown device or precision,
        patterns that do not fit the network, or ``save_activity`` layers
        that are not non-input layers of ``spec`` or have no ``out``.
    CheckpointError
        With ``resume``, for a checkpoint in ``out`` that another configuration
        or an older version of the network code wrote.
    """
    if int(epochs) != epochs or epochs < 0:
        raise ValueError(
            f"Invalid number of epochs {epochs!r}: expected an integer >= 0."
        )
    if int(block_epochs) != block_epochs or block_epochs < 1:
        raise ValueError(
            f"Invalid block_epochs {block_epochs!r}: expected an integer >= 1."
        )
    if device_name not in devices.DEVICES:
        raise ValueError(
            f"Unknown device {device_name!r}; valid devices: {list(devices.DEVICES)}."
        )
    devices.check_precision(precision)
    task.check(spec)
    save_activity = check_saved_layers(spec, save_activity, out)
    label = label or task.name
    timing = timing or PhaseTiming()
    out = Path(out) if out is not None else None
    if out is not None:
        # With 0 epochs no block runs, but the empty tables are still written.
        out.mkdir(parents=True, exist_ok=True)
    settings = {
        "format": CHECKPOINT_FORMAT,
        "spec": repr(spec),
        "task": task.name,
        "seed": seed,
        "block_epochs": block_epochs,
        "timing": [float(timing.minus / ms), float(timing.plus / ms)],
        "device": device_name,
    }
    if precision != "double":
        # Only then, so that checkpoints from before the option still resume.
        settings["precision"] = precision
    if task.lrate_sched is not None:
        # A resumed run must keep the schedule; its first 100 epochs stand for it.
        settings["lrate_sched"] = [float(task.lrate_sched(e)) for e in range(1, 101)]
    config = json.dumps(settings, sort_keys=True)

    state = initial_state(spec, seed)
    epochs_done = 0
    trials = pd.DataFrame()
    if out is not None and resume and (out / CHECKPOINT).exists():
        state, epochs_done, trials = _load_checkpoint(out / CHECKPOINT, config)
        if progress:
            print(f"resuming {label} from epoch {epochs_done}", file=sys.stderr)

    activity_folder = activity.activity_directory(out, table_prefix) if out else None
    if save_activity and epochs_done == 0:
        # A run from the start must not leave blocks of an earlier run behind.
        activity.clear(activity_folder)

    per_epoch = len(task.epoch_trials(1, seed)[0])
    timings = {"compile_s": None, "run_s": 0.0, "binary_s": 0.0, "blocks": 0}
    built = None
    summary = epoch_table(trials, zero_stop) if not trials.empty else None
    start = time.perf_counter()
    while epochs_done < epochs:
        if summary is not None and summary["done"].any():
            break
        if stop_after_blocks is not None and timings["blocks"] >= stop_after_blocks:
            break
        first = epochs_done + 1
        plan = [task.epoch_trials(e, seed) for e in range(first, first + block_epochs)]
        patterns = np.concatenate([p for p, _ in plan])
        train_flags = np.concatenate([t for _, t in plan])
        train_before = int(trials["train"].sum()) if not trials.empty else 0
        lrate_sched = None
        if task.lrate_sched is not None:
            lrate_sched = np.concatenate(
                [
                    np.full(len(p), float(task.lrate_sched(first + k)))
                    for k, (p, _) in enumerate(plan)
                ]
            )
        schedule = Schedule(
            task.inputs,
            task.targets,
            patterns,
            train_flags,
            timing=timing,
            train_before=train_before,
            lrate_sched=lrate_sched,
        )

        block_start = time.perf_counter()
        if device_name not in devices.STANDALONE_DEVICES:
            # Runtime targets rebuild the objects for every block.
            _select(device_name, build_dir, precision)
            seed_noise(NOISE_SEED)
            network = LayeredNetwork(spec, schedule, state)
            network.network.run(schedule.duration, report="text" if progress else None)
        else:
            if built is None:
                directory = Path(
                    build_dir
                    or (out / "build" if out is not None else tempfile.mkdtemp())
                ).resolve()
                built, compiled = _standalone_network(
                    spec, schedule, state, device_name, directory, precision
                )
                timings["compile_s"] = compiled["compile_s"]
                timings["reused_binary"] = compiled["reused"]
            # Every block runs the same binary with its own trials and state.
            device.run(
                directory=str(directory),
                with_output=False,
                run_args=built.run_args(state, schedule),
            )
            timings["binary_s"] += device.timers["run_binary"]
            network = built
        timings["run_s"] += time.perf_counter() - block_start

        records = network.trial_records()
        _check_finite(network, records, first, per_epoch)
        block = trial_table(records, schedule, task, first, per_epoch)
        trials = pd.concat([trials, block], ignore_index=True)
        if save_activity:
            activity.save_block(activity_folder, block, records, save_activity)
        state = network.state()
        epochs_done += block_epochs
        timings["blocks"] += 1
        summary = epoch_table(trials, zero_stop)

        if out is not None:
            _save_checkpoint(out / CHECKPOINT, state, epochs_done, config, trials)
        if progress:
            # The last block may run past the epoch limit, so report the last
            # epoch within it (epochs without training trials have no row).
            within = summary[summary["epoch"] <= epochs]
            error = (
                f"pct_err {within['pct_err'].iloc[-1]:.2f}"
                if len(within)
                else "no training trials"
            )
            print(
                f"{label} seed {seed}: epoch {min(epochs_done, epochs)}/{epochs}, "
                f"{error}, {time.perf_counter() - block_start:.1f} s",
                file=sys.stderr,
            )

    timings["wall_s"] = time.perf_counter() - start
    if not trials.empty:
        # The last block may run past the epoch limit.
        trials = trials[trials["epoch"] <= epochs].reset_index(drop=True)
    epochs_df = epoch_table(trials, zero_stop) if not trials.empty else pd.DataFrame()
    if not epochs_df.empty and epochs_df["done"].any():
        last = int(epochs_df.loc[epochs_df["done"], "epoch"].iloc[0])
        epochs_df = epochs_df[epochs_df["epoch"] <= last]
        trials = trials[trials["epoch"] <= last].reset_index(drop=True)
    if out is not None:
        write_csv(trials, out / f"{table_prefix}trials.csv")
        write_csv(epochs_df, out / f"{table_prefix}epochs.csv")
    return TrainingResult(trials, epochs_df, state, timings)
