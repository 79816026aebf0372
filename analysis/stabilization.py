"""Figure ``stabilization``: NMDA and GABA-B hold a sparse firing pattern steady.

A network that does not learn is shown a set of input patterns, once with the
NMDA and GABA-B channels at their default conductances and once with both
removed. Its layers are an input layer of 5x5 units and three hidden layers of
10x10 units, with all-to-all feedforward projections (input to hidden1 to
hidden2 to hidden3) and weaker feedback projections (hidden3 to hidden2 to
hidden1, relative strength 0.3). The weights are the random, fixed initial
weights of `models.network.initial_state`, a different draw per seed, and
every layer has its own FFFB pooled inhibition. Each input pattern has 6 of
its 25 units on and is shown for one trial of 200 ms, during which every
layer runs freely (there is no target layer and no learning).

The layers use the parameters of the reference's ra25 example (axon
v1.2.94). FFFB inhibition has the gain Gi 1.2 (input 0.9) and a 20-nS floor.
The expected activity is 0.04 in the hidden layers and 0.15 in the input.
The fast and the long-lasting state decay fully between trials, and a weak
background noise is on. The expected activity sets the projection scale (1
over the expected number of active senders), so the package's default of 0.1
gives a 2.5 times weaker drive between hidden layers. One run tried that
default with Gi 1.0 and the default partial decay (one seed, 5 patterns).
Stability was still higher with the channels there, but most neurons of
hidden2 and hidden3 fired a few spikes and none fired steadily in either
condition.
Expected activity 0.04 with Gi 1.0 drove every hidden neuron to fire at
about 250 Hz, so the low expected activity needs the stronger inhibition.

In every seed measured (10 at the tiny and 5 at the quick scale), hidden1
and hidden2 are more stable with the channels and fewer of their neurons
fire. Hidden2 and hidden3 also have more steadily firing neurons with them,
while hidden1 has about as many in both conditions. Hidden3 is more stable
with the channels as well, but without them it is often silent between
population bursts, and at the quick scale fewer of its neurons fire than with
them.

From the spikes of each hidden layer the figure measures, per trial, over
25-ms windows after a 50-ms onset transient:

* stability: the correlation of the population spike-count vector between
  successive windows, averaged over the window pairs;
* selectivity: the fraction of neurons that fire at all, against the
  fraction that fire steadily (in at least 80% of the windows);
* distinctness: 1 minus the mean correlation, over pairs of input patterns,
  of the spike counts summed over the analysed windows.

Panels (a) and (b) show the spikes of hidden2 for one pattern with and
without the channels. With them a small subset fires steadily, and without
them the layer fires in population bursts in which the active neurons change.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
from brian2 import SpikeMonitor, defaultclock, device, ms, nS
from brian2 import seed as seed_noise
from matplotlib.figure import Figure

from models import devices, ra25
from models.network import LayeredNetwork, initial_state
from models.schedule import PhaseTiming, Schedule
from models.spec import LayerSpec, NetworkSpec, ProjectionSpec
from models.workers import run_in_workers

from .figure import SimulationSettings

__all__ = [
    "CONDITIONS",
    "HIDDEN_LAYERS",
    "draw",
    "input_patterns",
    "network_spec",
    "pattern_distinctness",
    "simulate",
    "tabulate",
    "trial_metrics",
    "window_counts",
]

#: Condition name -> whether the NMDA and GABA-B channels are in every layer.
CONDITIONS = {"nmda_gabab": True, "none": False}

#: Hidden layers, in feedforward order, and their size (10x10).
HIDDEN_LAYERS = ("hidden1", "hidden2", "hidden3")
HIDDEN_SIZE = 100

#: Input layer: 5x5 units, of which each pattern turns ``INPUT_ON`` on.
INPUT_SIZE = 25
INPUT_ON = 6

#: Relative strength of the feedback projections (reference .Back Rel 0.3).
FEEDBACK_REL = 0.3

#: Neuron parameters of every layer, the Base sheet of the reference's ra25
#: example: full decay of the fast state and of NMDA, GABA-B and v_dend
#: between trials (KNa carries over), and Poisson background noise. The ra25
#: model keeps half of the fast state instead.
LAYER_PARAMETERS = {**ra25.LAYER_PARAMETERS, "decay_act": 1.0}

#: FFFB inhibition of the hidden and of the input layer (ra25: Gi 1.2 and 0.9,
#: Bg 0.2 = 20 nS).
HIDDEN_INHIBITION = {"gi": 1.2, "g_bg": 20 * nS}
INPUT_INHIBITION = {"gi": 0.9, "g_bg": 20 * nS}

#: Expected activities (ActAvg.Init), which scale the projections a layer sends.
HIDDEN_ACTIVITY = 0.04
INPUT_ACTIVITY = 0.15

#: Width of the spike-count windows, and the onset transient left out of
#: every metric (the first two windows of a trial).
WINDOW_MS = 25
TRANSIENT_MS = 50

#: A neuron fires steadily when it spikes in at least this fraction of the
#: analysed windows (5 of the 6 windows of a 200-ms trial).
STEADY_FRACTION = 0.8

#: Input patterns per scale. Every seed uses the same patterns.
SCALE_PATTERNS = {"tiny": 4, "quick": 10, "full": 25}

#: Seed of the input patterns (a fixed set, as the reference reads one file).
PATTERN_SEED = 25

#: Seed of the background noise. Standalone programs compile it in, so one
#: binary serves every seed, and the seeds change the weights only.
NOISE_SEED = 0

#: Layer whose spikes panels (a) and (b) show, and the pattern they show.
RASTER_LAYER = "hidden2"
RASTER_PATTERN = 0

#: Colours of the conditions in the panels.
COLOURS = {"nmda_gabab": "C0", "none": "C3"}
LABELS = {"nmda_gabab": "NMDA + GABA-B", "none": "neither"}


def network_spec(channels: bool) -> NetworkSpec:
    """Return the network of the figure, with or without NMDA and GABA-B."""
    layers = [
        LayerSpec(
            "input",
            INPUT_SIZE,
            "input",
            expected_activity=INPUT_ACTIVITY,
            inhibition=INPUT_INHIBITION,
        )
    ]
    layers += [
        LayerSpec(
            name,
            HIDDEN_SIZE,
            "hidden",
            expected_activity=HIDDEN_ACTIVITY,
            inhibition=HIDDEN_INHIBITION,
        )
        for name in HIDDEN_LAYERS
    ]
    projections = [ProjectionSpec("input", HIDDEN_LAYERS[0], learn=False)]
    for lower, upper in itertools.pairwise(HIDDEN_LAYERS):
        projections.append(ProjectionSpec(lower, upper, learn=False))
        projections.append(ProjectionSpec(upper, lower, rel=FEEDBACK_REL, learn=False))
    return NetworkSpec(
        layers,
        projections,
        nmda=channels,
        gabab=channels,
        noise=True,
        parameters=LAYER_PARAMETERS,
    )


def input_patterns(n_patterns: int, seed: int = PATTERN_SEED) -> np.ndarray:
    """Return ``n_patterns`` binary 5x5 patterns (rows of 25), 6 units on in each."""
    if n_patterns < 1:
        raise ValueError(f"Invalid n_patterns {n_patterns}: expected >= 1.")
    rng = np.random.default_rng(seed)
    patterns = np.zeros((n_patterns, INPUT_SIZE))
    for row in patterns:
        row[rng.permutation(INPUT_SIZE)[:INPUT_ON]] = 1.0
    return patterns


def _schedule(n_patterns: int) -> Schedule:
    """Return one test trial per pattern, in pattern order.

    The schedule needs target patterns, but the network has no target layer,
    so it gets a single dummy column of zeros.
    """
    return Schedule(
        input_patterns(n_patterns),
        np.zeros((n_patterns, 1)),
        np.arange(n_patterns),
        np.zeros(n_patterns, dtype=bool),
        timing=PhaseTiming(),
    )


def simulate(settings: SimulationSettings) -> dict[str, pd.DataFrame]:
    """Run both conditions for every seed and return ``spikes`` and ``trials``.

    ``spikes`` has one row per spike of a hidden layer: condition, seed,
    layer, trial, pattern, ``t_ms`` (time from the start of the trial) and
    neuron. ``trials`` has one row per condition, seed, layer and trial, with
    the trial's pattern, duration and the layer size, so that silent trials
    count too. On a standalone device each condition is built once and its
    binary runs once per seed with that seed's weights.
    """
    items = [(condition, settings) for condition in CONDITIONS]
    parts = run_in_workers(
        _simulate_condition, items, settings.jobs, settings.build_dir
    )
    return {
        "spikes": pd.concat([spikes for spikes, _ in parts], ignore_index=True),
        "trials": pd.concat([trials for _, trials in parts], ignore_index=True),
    }


def _simulate_condition(item: tuple, build_dir) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run one condition, ``item = (condition, settings)``, for every seed."""
    condition, settings = item
    schedule = _schedule(SCALE_PATTERNS[settings.scale])
    build_dir = Path(build_dir)
    spec = network_spec(CONDITIONS[condition])
    if settings.device in devices.STANDALONE_DEVICES:
        runs = _run_standalone(spec, schedule, settings, build_dir, condition)
    else:
        runs = _run_runtime(spec, schedule, settings, build_dir)
    spikes = [_spike_table(trains, schedule, condition, seed) for seed, trains in runs]
    trials = [_trial_table(schedule, condition, seed) for seed, _ in runs]
    return pd.concat(spikes, ignore_index=True), pd.concat(trials, ignore_index=True)


def _build(spec: NetworkSpec, schedule: Schedule, seed: int):
    """Create the network with the weights of ``seed`` and spike monitors."""
    defaultclock.dt = 1 * ms
    seed_noise(NOISE_SEED)
    network = LayeredNetwork(spec, schedule, initial_state(spec, seed))
    monitors = {
        name: SpikeMonitor(network.layers[name].group, name=f"{name}_spikes")
        for name in HIDDEN_LAYERS
    }
    network.network.add(*monitors.values())
    return network, monitors


def _spike_trains(monitors) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return layer -> (spike steps, neuron indices) of the spike monitors."""
    return {
        name: (
            np.round(np.asarray(monitor.t[:] / ms)).astype(int),
            np.asarray(monitor.i[:], dtype=int),
        )
        for name, monitor in monitors.items()
    }


def _run_runtime(spec, schedule, settings, build_dir):
    """Build and run the network once per seed on a runtime target."""
    runs = []
    for seed in settings.seeds:
        devices.select_device(settings.device, build_dir)
        try:
            network, monitors = _build(spec, schedule, seed)
            network.network.run(schedule.duration, report=settings.report, namespace={})
            runs.append((seed, _spike_trains(monitors)))
        finally:
            devices.reset_device()
    return runs


def _run_standalone(spec, schedule, settings, build_dir, condition):
    """Build the condition's program once, then run it once per seed."""
    project = (build_dir / f"stabilization_{condition}").resolve()
    devices.select_device(settings.device, build_dir)
    runs = []
    try:
        first = settings.seeds[0]
        network, monitors = _build(spec, schedule, first)
        network.network.run(schedule.duration, report=settings.report, namespace={})
        devices.build_cached(project)
        for seed in settings.seeds:
            # Every seed runs the built schedule, so only the weights change.
            run_args = network.run_args(initial_state(spec, seed), schedule)
            device.run(
                directory=str(project),
                with_output=settings.report is not None,
                run_args=run_args,
            )
            runs.append((seed, _spike_trains(monitors)))
    finally:
        devices.reset_device()
    return runs


def _spike_table(trains, schedule: Schedule, condition: str, seed: int):
    """Return the tidy spike table of one run: one row per spike."""
    trial_steps = schedule.trial_steps
    frames = []
    for layer, (steps, neurons) in trains.items():
        # The run lasts one step past the last trial, and a spike in that
        # step belongs to no trial.
        inside = steps < schedule.n_trials * trial_steps
        steps, neurons = steps[inside], neurons[inside]
        trial = steps // trial_steps
        frames.append(
            pd.DataFrame(
                {
                    "condition": condition,
                    "seed": int(seed),
                    "layer": layer,
                    "trial": trial,
                    "pattern": schedule.patterns[trial],
                    "t_ms": steps - trial * trial_steps,
                    "neuron": neurons,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _trial_table(schedule: Schedule, condition: str, seed: int) -> pd.DataFrame:
    """Return one row per hidden layer and trial of one run."""
    rows = [
        {
            "condition": condition,
            "seed": int(seed),
            "layer": layer,
            "trial": trial,
            "pattern": int(pattern),
            "duration_ms": schedule.trial_steps,
            "n_neurons": HIDDEN_SIZE,
        }
        for layer in HIDDEN_LAYERS
        for trial, pattern in enumerate(schedule.patterns)
    ]
    return pd.DataFrame(rows)


# -- metrics -----------------------------------------------------------------


def window_counts(
    t_ms, neurons, n_neurons: int, duration_ms: int, window_ms: int = WINDOW_MS
) -> np.ndarray:
    """Count the spikes of each neuron in successive windows of a trial.

    Parameters
    ----------
    t_ms : array of int
        Spike times from the start of the trial (ms, whole steps).
    neurons : array of int
        Neuron index of each spike.
    n_neurons : int
        Size of the layer.
    duration_ms : int
        Length of the trial. A last window shorter than ``window_ms`` is
        dropped.
    window_ms : int
        Width of a window.

    Returns
    -------
    ndarray of shape (n_windows, n_neurons)
    """
    if window_ms < 1 or duration_ms < window_ms:
        raise ValueError(
            f"Invalid window {window_ms} ms for a trial of {duration_ms} ms: "
            "expected 1 <= window_ms <= duration_ms."
        )
    n_windows = duration_ms // window_ms
    t_ms = np.asarray(t_ms, dtype=int)
    neurons = np.asarray(neurons, dtype=int)
    keep = (t_ms >= 0) & (t_ms < n_windows * window_ms)
    counts = np.zeros((n_windows, n_neurons))
    np.add.at(counts, (t_ms[keep] // window_ms, neurons[keep]), 1)
    return counts


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Return the Pearson correlation of two vectors, or NaN if either is constant."""
    if a.std() == 0 or b.std() == 0:
        return np.nan
    return float(np.corrcoef(a, b)[0, 1])


def trial_metrics(
    counts: np.ndarray,
    window_ms: int = WINDOW_MS,
    transient_ms: int = TRANSIENT_MS,
    steady_fraction: float = STEADY_FRACTION,
) -> dict[str, float]:
    """Measure the stability and selectivity of one trial's spike counts.

    The first ``transient_ms`` (whole windows) are left out. A window pair in
    which either window has the same count in every neuron (for example no
    spike at all) has no correlation and is left out of the mean.

    Returns
    -------
    dict
        ``stability_corr`` (mean correlation between successive windows, NaN
        without a valid pair), ``n_window_pairs`` (valid pairs),
        ``fraction_fired`` (neurons with at least one spike),
        ``fraction_steady`` (neurons with a spike in at least
        ``steady_fraction`` of the windows) and ``rate_hz`` (mean rate).
    """
    skip = -(-transient_ms // window_ms)
    late = counts[skip:]
    if len(late) < 2:
        raise ValueError(
            f"Invalid windows: {len(counts)} windows of {window_ms} ms leave "
            f"{len(late)} after the {transient_ms}-ms transient, but at least 2 "
            "are needed for a window pair. Use a longer trial or shorter windows."
        )
    correlations = [_correlation(a, b) for a, b in itertools.pairwise(late)]
    valid = [value for value in correlations if np.isfinite(value)]
    active_windows = (late > 0).mean(axis=0)
    return {
        "stability_corr": float(np.mean(valid)) if valid else np.nan,
        "n_window_pairs": len(valid),
        "fraction_fired": float((late.sum(axis=0) > 0).mean()),
        "fraction_steady": float((active_windows >= steady_fraction).mean()),
        # Spikes per neuron per ms of the analysed windows, times 1000 ms/s.
        "rate_hz": 1000.0 * float(late.sum() / late.size / window_ms),
    }


def pattern_distinctness(vectors: np.ndarray) -> float:
    """Return 1 minus the mean pairwise correlation of per-pattern count vectors.

    ``vectors`` has one row per pattern. Pairs with a constant vector have no
    correlation and are left out. The result is NaN without a valid pair and
    lies in [0, 2] otherwise, with 0 when every pattern evokes the same
    activity.
    """
    correlations = [
        _correlation(vectors[a], vectors[b])
        for a, b in itertools.combinations(range(len(vectors)), 2)
    ]
    valid = [value for value in correlations if np.isfinite(value)]
    return 1.0 - float(np.mean(valid)) if valid else np.nan


#: Metrics of the table. ``distinctness`` is defined per seed, not per pattern.
METRICS = (
    "stability_corr",
    "fraction_fired",
    "fraction_steady",
    "distinctness",
    "rate_hz",
    "n_window_pairs",
)


def _pattern_rows(results: dict[str, pd.DataFrame]):
    """Return the per-trial metrics and the late count vectors of every run.

    The count vectors (spikes per neuron after the transient) are grouped by
    condition, seed and layer, one per trial in trial order.
    """
    spikes = results["spikes"]
    groups = dict(
        iter(spikes.groupby(["condition", "seed", "layer", "trial"], sort=False))
    )
    skip = -(-TRANSIENT_MS // WINDOW_MS)
    rows = []
    vectors: dict[tuple, list[np.ndarray]] = {}
    for trial in results["trials"].itertuples(index=False):
        key = (trial.condition, trial.seed, trial.layer, trial.trial)
        found = groups.get(key)
        t_ms = found["t_ms"].to_numpy() if found is not None else []
        neurons = found["neuron"].to_numpy() if found is not None else []
        counts = window_counts(
            t_ms, neurons, int(trial.n_neurons), int(trial.duration_ms)
        )
        rows.append(
            {
                "scope": "pattern",
                "condition": trial.condition,
                "layer": trial.layer,
                "seed": trial.seed,
                "pattern": trial.pattern,
                "n_averaged": 1,
                **trial_metrics(counts),
                "distinctness": np.nan,
            }
        )
        run = (trial.condition, trial.seed, trial.layer)
        vectors.setdefault(run, []).append(counts[skip:].sum(axis=0))
    return pd.DataFrame(rows), vectors


def tabulate(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return the metrics per pattern, per seed and over all seeds.

    ``scope`` is ``pattern`` (one trial), ``seed`` (means over the patterns
    of one seed, with ``distinctness`` across those patterns) or
    ``all_seeds`` (means over the seeds' values). Each ``*_sd`` column is the
    standard deviation over the rows a row averages: patterns for ``seed``,
    seeds for ``all_seeds`` (NaN with one seed). ``n_averaged`` counts them.
    NaN metrics (a trial without a valid window pair) are left out of means.
    """
    patterns, vectors = _pattern_rows(results)
    keys = ["condition", "layer", "seed"]
    mean_metrics = [name for name in METRICS if name != "distinctness"]

    grouped = patterns.groupby(keys, sort=False)
    seeds = grouped[mean_metrics].mean()
    spread = grouped[mean_metrics].std().add_suffix("_sd")
    seeds = pd.concat([seeds, spread], axis=1).reset_index()
    seeds["n_averaged"] = grouped.size().to_numpy()
    seeds["scope"] = "seed"
    distinctness = []
    for row in seeds.itertuples(index=False):
        run = (row.condition, row.seed, row.layer)
        distinctness.append(pattern_distinctness(np.array(vectors[run])))
    seeds["distinctness"] = distinctness

    summary_keys = ["condition", "layer"]
    over_seeds = seeds.groupby(summary_keys, sort=False)
    summary = pd.concat(
        [
            over_seeds[list(METRICS)].mean(),
            over_seeds[list(METRICS)].std().add_suffix("_sd"),
        ],
        axis=1,
    ).reset_index()
    summary["n_averaged"] = over_seeds.size().to_numpy()
    summary["scope"] = "all_seeds"

    table = pd.concat([patterns, seeds, summary], ignore_index=True)
    # Nullable integers: empty in the CSV where a row averages over them.
    for name in ("seed", "pattern", "n_averaged"):
        table[name] = table[name].astype("Int64")
    table["window_ms"] = WINDOW_MS
    table["transient_ms"] = TRANSIENT_MS
    table["steady_fraction"] = STEADY_FRACTION
    columns = [
        "scope",
        "condition",
        "layer",
        "seed",
        "pattern",
        "n_averaged",
        "window_ms",
        "transient_ms",
        "steady_fraction",
    ]
    columns += [name for metric in METRICS for name in (metric, f"{metric}_sd")]
    return table.reindex(columns=columns)


# -- drawing -----------------------------------------------------------------


def draw(results: dict[str, pd.DataFrame]) -> Figure:
    """Draw the rasters of both conditions and the metrics per layer."""
    table = tabulate(results)
    figure = Figure(figsize=(12, 7.5), layout="constrained")
    top, bottom = figure.subfigures(2, 1, height_ratios=(1.1, 1))
    raster_axes = top.subplots(1, 2, sharey=True)
    seed = int(results["trials"]["seed"].min())
    for axes, (letter, condition) in zip(
        raster_axes, zip("ab", CONDITIONS, strict=True), strict=True
    ):
        _draw_raster(axes, results, condition, seed, letter)
    raster_axes[1].set_ylabel("")

    metric_axes = bottom.subplots(1, 3)
    _draw_metric(
        metric_axes[0],
        table,
        "stability_corr",
        "correlation of successive windows",
        "(c) stability",
    )
    _draw_selectivity(metric_axes[1], table)
    _draw_metric(
        metric_axes[2],
        table,
        "distinctness",
        "1 − mean correlation between patterns",
        "(e) distinctness of the patterns",
        legend=False,
    )
    return figure


def _draw_raster(axes, results, condition: str, seed: int, letter: str) -> None:
    """Plot the spikes of `RASTER_LAYER` for `RASTER_PATTERN` in one condition."""
    trials = results["trials"]
    trial = trials[
        (trials["condition"] == condition)
        & (trials["seed"] == seed)
        & (trials["layer"] == RASTER_LAYER)
        & (trials["pattern"] == RASTER_PATTERN)
    ].iloc[0]

    spikes = results["spikes"]
    trial_spikes = spikes[
        (spikes["condition"] == condition)
        & (spikes["seed"] == seed)
        & (spikes["layer"] == RASTER_LAYER)
        & (spikes["trial"] == trial["trial"])
    ]

    duration = int(trial["duration_ms"])
    axes.axvspan(0, TRANSIENT_MS, color="0.92", linewidth=0)
    for edge in range(TRANSIENT_MS, duration + 1, WINDOW_MS):
        axes.axvline(edge, color="0.8", linewidth=0.6)
    axes.scatter(
        trial_spikes["t_ms"],
        trial_spikes["neuron"],
        marker="|",
        s=30,
        linewidths=1.2,
        color=COLOURS[condition],
    )

    axes.set_xlim(0, duration)
    axes.set_ylim(-1, int(trial["n_neurons"]))
    axes.set_xlabel(
        f"time in trial (ms), grey: {TRANSIENT_MS}-ms transient, lines: "
        f"{WINDOW_MS}-ms windows"
    )
    axes.set_ylabel(f"{RASTER_LAYER} neuron")
    axes.set_title(
        f"({letter}) {LABELS[condition]}: {RASTER_LAYER}, pattern "
        f"{RASTER_PATTERN}, seed {seed}"
    )


def _summary(table: pd.DataFrame, metric: str, condition: str):
    """Return per-layer means and SDs over seeds, and per-seed values."""
    rows = table[(table["scope"] == "all_seeds") & (table["condition"] == condition)]
    rows = rows.set_index("layer").reindex(list(HIDDEN_LAYERS))
    per_seed = table[(table["scope"] == "seed") & (table["condition"] == condition)]
    return rows[metric], rows[f"{metric}_sd"], per_seed


def _draw_metric(
    axes, table, metric: str, ylabel: str, title: str, legend: bool = True
) -> None:
    """Plot a metric per layer and condition: mean over seeds ± SD, seed dots."""
    positions = np.arange(len(HIDDEN_LAYERS))
    width = 0.38
    for offset, condition in zip((-width / 2, width / 2), CONDITIONS, strict=True):
        mean, sd, per_seed = _summary(table, metric, condition)
        axes.bar(
            positions + offset,
            mean,
            width,
            yerr=sd.fillna(0),
            capsize=3,
            color=COLOURS[condition],
            alpha=0.75,
            label=LABELS[condition],
        )
        layer_index = per_seed["layer"].map(HIDDEN_LAYERS.index)
        axes.plot(
            layer_index + offset,
            per_seed[metric],
            "o",
            color="black",
            markersize=3,
        )
    axes.set_xticks(positions, HIDDEN_LAYERS)
    axes.axhline(0, color="0.6", linewidth=0.8)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    if legend:
        axes.legend(frameon=False, fontsize=8)


def _draw_selectivity(axes, table) -> None:
    """Plot the fractions of neurons that fire at all and that fire steadily."""
    positions = np.arange(len(HIDDEN_LAYERS))
    width = 0.2
    bars = (
        ("nmda_gabab", "fraction_fired", -1.5, None),
        ("nmda_gabab", "fraction_steady", -0.5, "//"),
        ("none", "fraction_fired", 0.5, None),
        ("none", "fraction_steady", 1.5, "//"),
    )
    for condition, metric, slot, hatch in bars:
        mean, sd, _ = _summary(table, metric, condition)
        kind = "fire at all" if metric == "fraction_fired" else "fire steadily"
        axes.bar(
            positions + slot * width,
            mean,
            width,
            yerr=sd.fillna(0),
            capsize=2,
            color=COLOURS[condition],
            alpha=0.75 if hatch is None else 0.35,
            hatch=hatch,
            edgecolor=COLOURS[condition],
            label=f"{LABELS[condition]}: {kind}",
        )
    axes.set_xticks(positions, HIDDEN_LAYERS)
    axes.set_ylim(0, 1)
    axes.set_ylabel("fraction of the layer's neurons")
    axes.set_title(
        f"(d) selectivity: steady = spikes in ≥ {STEADY_FRACTION:.0%} of windows"
    )
    axes.legend(frameon=False, fontsize=7, loc="upper left")
