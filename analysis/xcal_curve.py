"""Figure ``xcal``: the XCAL dWt function and points measured from spiking neurons.

The lines are the XCAL "check mark" f(x, theta) of `equations.xcal.xcal`
against the short-term co-activity x, for the thresholds in `THETAS`. The
points come from simulated pairs of AdEx neurons, a sender and a receiver.
Each neuron is clamped to one firing rate in the 150-ms minus phase and to
another in the 50-ms plus phase, and the package's running averages follow
its spikes. At the end of the plus phase a Brian2 Synapses object computes
``x = avg_s_lrn_pre*avg_s_lrn_post``, ``theta = avg_m_lrn_pre*avg_m_lrn_post``
and dWt with the Brian2 expression of `equations.xcal.xcal_expression`. The
rates of each point are chosen so that theta lands near one of `THETAS`.

With a 50-ms plus phase the short average cannot fall far below the medium
one: even when both neurons fall silent, x stays above about 0.3 theta. The
points therefore cover the linear segment x - theta, and the reversal segment
(x < d_rev*theta = 0.1 theta) appears in the analytic lines only.

This module also contains the pair simulation that the ``threshold`` figure
uses: `calibrate_drive` finds the clamped g_e of each firing rate and
`simulate_pairs` runs many independent pairs in one Brian2 run. The neurons
have no KNa adaptation, NMDA or GABA-B, so each one fires at a steady rate set
by its clamped g_e alone, and the figures isolate how rates map onto the
averages and dWt. Each neuron starts in the state of steady firing at its
minus-phase drive, at a random phase of its firing cycle. Its averages thus
carry the minus-phase rate, as after a long stretch of trials at that rate
(the reference never resets them between trials). The spikes of a pair's two
neurons have independent phases.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from brian2 import (
    Network,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    defaultclock,
    ms,
    nS,
)
from matplotlib import colormaps
from matplotlib.figure import Figure

from equations import CYCLE, neuron_model
from equations.xcal import LEARNING_PARAMETERS, xcal, xcal_expression
from models import devices
from models.schedule import PhaseTiming

from .figure import SimulationSettings

__all__ = [
    "THETAS",
    "DriveCalibration",
    "SteadyStates",
    "calibrate_drive",
    "design_points",
    "draw",
    "draw_initial_states",
    "expected_learning_averages",
    "pair_model",
    "simulate",
    "simulate_pairs",
    "steady_firing_states",
    "tabulate",
]

#: Floating thresholds theta of the analytic lines and of the simulated points.
THETAS = (0.1, 0.2, 0.4)

#: Highest firing rate (Hz) of the design, an inter-spike interval of 8 steps.
#: Above it the 1-ms time step leaves intervals of only a few steps, so the
#: steady rates come in jumps of 15% and more.
MAX_RATE_HZ = 125.0

#: Per scale: x targets per theta line, pairs per target and per seed.
SCALE_SIZES = {
    "tiny": {"x_targets": 4, "pairs_per_target": 2},
    "quick": {"x_targets": 10, "pairs_per_target": 5},
    "full": {"x_targets": 25, "pairs_per_target": 20},
}

#: Names of the Brian2 objects, lower-case because brian2cuda lower-cases the
#: file names it reads.
GROUP_NAME = "pair_neurons"
SYNAPSES_NAME = "pair_synapses"

# Each neuron's clamp value switches from ext_minus to ext_plus at the first
# step of the plus phase. The clamp sets g_e = ext*g_clamp in every step.
PAIR_DRIVE_EQUATIONS = """
ext_minus : 1 (constant)  # clamp value in the minus phase
ext_plus : 1 (constant)  # clamp value in the plus phase
minus_steps : integer (shared, constant)  # time steps of the minus phase
ext = ext_minus + int(timestep(t, dt) >= minus_steps)*(ext_plus - ext_minus) : 1
clamp_on = 1 : 1
"""

# Synapse variables that hold the values of the last time step: the learning
# averages of both neurons, x, theta and dWt = f(x, theta).
PAIR_SYNAPSE_EQUATIONS = """
sender_s_lrn : 1
sender_m_lrn : 1
receiver_s_lrn : 1
receiver_m_lrn : 1
xcal_x : 1
xcal_theta : 1
dwt : 1
"""

PAIR_SYNAPSE_CODE = f"""
sender_s_lrn = avg_s_lrn_pre
sender_m_lrn = avg_m_lrn_pre
receiver_s_lrn = avg_s_lrn_post
receiver_m_lrn = avg_m_lrn_post
xcal_x = avg_s_lrn_pre*avg_s_lrn_post
xcal_theta = avg_m_lrn_pre*avg_m_lrn_post
dwt = {xcal_expression()}
"""


def pair_model():
    """Return the neuron model of the pairs: AdEx without adaptation, NMDA, GABA-B.

    ``ext`` switches from ``ext_minus`` to ``ext_plus`` at the step
    ``minus_steps``, and the neuron is clamped in both phases.
    """
    return neuron_model(
        nmda=False,
        gabab=False,
        kna=False,
        pool="parameter",
        extra_equations=PAIR_DRIVE_EQUATIONS,
    )


@dataclass(frozen=True)
class DriveCalibration:
    """Steady firing rates of a clamped pair neuron on a grid of g_e values.

    Attributes
    ----------
    g_e_ns : ndarray
        Clamped conductances (nS), increasing, starting at 0.
    rate_hz : ndarray
        Steady firing rate (Hz) at each conductance.
    """

    g_e_ns: np.ndarray
    rate_hz: np.ndarray

    @property
    def max_rate_hz(self) -> float:
        """Highest calibrated rate (Hz)."""
        return float(self.rate_hz.max())

    def drive_for(self, rates_hz) -> tuple[np.ndarray, np.ndarray]:
        """Return the g_e (nS) for each requested rate and its steady rate (Hz).

        With a 1-ms step the rate is a staircase in g_e, because inter-spike
        intervals are whole milliseconds. The conductance returned is the
        middle of the stair whose rate is closest to the request, the choice
        furthest from the neighbouring rates.

        Raises
        ------
        ValueError
            For a negative rate or one above the calibrated range.
        """
        rates = np.atleast_1d(np.asarray(rates_hz, dtype=float))
        too_high = rates > self.max_rate_hz
        if np.any(rates < 0) or np.any(too_high) or not np.all(np.isfinite(rates)):
            bad = rates[(rates < 0) | too_high | ~np.isfinite(rates)][0]
            raise ValueError(
                f"Invalid firing rate {bad} Hz: use a rate from 0 to "
                f"{self.max_rate_hz:.1f} Hz, the range of the drive calibration."
            )
        g_e = np.empty_like(rates)
        steady = np.empty_like(rates)
        for k, rate in enumerate(rates):
            if rate == 0:
                # A silent neuron gets no drive at all (the grid starts at 0 nS).
                g_e[k], steady[k] = self.g_e_ns[0], self.rate_hz[0]
                continue
            error = np.abs(self.rate_hz - rate)
            closest = np.flatnonzero(error <= error.min() + 1e-9)
            # The closest rates form one contiguous stair because the rate
            # grows with g_e, so its middle is the middle index.
            middle = closest[len(closest) // 2]
            g_e[k] = self.g_e_ns[middle]
            steady[k] = self.rate_hz[middle]
        return g_e, steady


@functools.lru_cache(maxsize=4)
def calibrate_drive(
    build_dir: Path,
    n_levels: int = 800,
    g_max_ns: float = 200.0,
    duration_ms: int = 1000,
    transient_ms: int = 200,
) -> DriveCalibration:
    """Measure the steady firing rate of a clamped pair neuron over a range of g_e.

    ``build_dir`` is the build directory given to `models.devices.select_device`
    (the numpy target writes nothing there). One run of ``n_levels`` neurons, each clamped at a fixed conductance: 0 nS
    and geometrically spaced values from 6 nS (below the rheobase, about
    7.3 nS) to ``g_max_ns``. The rate of a neuron is the inverse of its mean
    inter-spike interval after ``transient_ms``. A neuron with fewer than two
    spikes there counts as silent. The run uses Brian2's numpy target: the
    model is deterministic and gives the same spikes on every target, and the
    rates measured in each figure's own run check the result.

    Results are cached per argument set, so figures in one process share one
    calibration.

    Returns
    -------
    DriveCalibration
        The grid and its rates, with rates increasing (non-strictly) in g_e.
    """
    g_e_ns = np.concatenate([[0.0], np.geomspace(6.0, g_max_ns, n_levels - 1)])
    devices.select_device("numpy", build_dir)
    try:
        defaultclock.dt = CYCLE
        model = pair_model()
        group = model.make_group(n_levels, GROUP_NAME)
        group.minus_steps = 0
        group.ext_minus = g_e_ns * nS / model.values["g_clamp"]
        group.ext_plus = group.ext_minus[:]
        spikes = SpikeMonitor(group, name="calibration_spikes")
        Network(group, spikes).run(duration_ms * ms, namespace={})
        trains = spikes.spike_trains()
        rates = np.zeros(n_levels)
        for k in range(n_levels):
            times = np.asarray(trains[k] / ms)
            times = times[times >= transient_ms]
            if len(times) >= 2:
                rates[k] = 1000.0 * (len(times) - 1) / (times[-1] - times[0])
    finally:
        devices.reset_device()

    # A rate that falls with growing g_e would make drive_for ambiguous. The
    # AdEx neuron without adaptation has none, and this check keeps it so.
    if np.any(np.diff(rates) < -1e-6):
        raise RuntimeError(
            "Drive calibration failed: the firing rate falls with growing g_e, so "
            "rates cannot be mapped to one conductance."
        )
    g_e_ns.setflags(write=False)
    rates.setflags(write=False)
    return DriveCalibration(g_e_ns, rates)


#: State variables copied from a steady-firing run into a pair neuron. The
#: clamp overwrites g_e in every step, and the other conductances stay 0.
STATE_VARIABLES = (
    "v",
    "v_dend",
    "spike",
    "isi",
    "isi_avg",
    "act",
    "avg_ss",
    "avg_s",
    "avg_m",
)


@dataclass(frozen=True)
class SteadyStates:
    """States of clamped neurons over a window of steady firing, one row per drive.

    Attributes
    ----------
    g_e_ns : ndarray of shape (n_drives,)
        The clamped conductances (nS), unique and increasing.
    values : dict of str to Quantity of shape (n_drives, n_steps)
        Each variable of `STATE_VARIABLES` after each step of the window.
    spikes : ndarray of bool, shape (n_drives, n_steps)
        Whether the neuron spiked in the step.
    """

    g_e_ns: np.ndarray
    values: dict
    spikes: np.ndarray

    def phase_steps(self, row: int) -> np.ndarray:
        """Return the window steps that cover whole inter-spike intervals of a drive.

        Drawing a step uniformly from them draws a uniform phase of the firing
        cycle. A neuron with fewer than two spikes in the window is taken as
        silent or as firing so slowly that every step is a possible phase.
        """
        spike_steps = np.flatnonzero(self.spikes[row])
        if len(spike_steps) < 2:
            return np.arange(self.spikes.shape[1])
        return np.arange(spike_steps[0], spike_steps[-1])


def steady_firing_states(
    g_e_ns, build_dir, warmup_ms: int = 1000, window_ms: int = 600
) -> SteadyStates:
    """Record clamped neurons over ``window_ms`` of steady firing after a warm-up.

    One neuron per unique conductance (nS) runs for ``warmup_ms``, long
    against the averages' time constants of at most 40 ms, then every state
    variable is recorded after each step for ``window_ms``. Like
    `calibrate_drive`, the run uses Brian2's numpy target.
    """
    unique = np.unique(np.asarray(g_e_ns, dtype=float))
    devices.select_device("numpy", build_dir)
    try:
        defaultclock.dt = CYCLE
        model = pair_model()
        group = model.make_group(len(unique), GROUP_NAME)
        group.minus_steps = 0
        group.ext_minus = unique * nS / model.values["g_clamp"]
        group.ext_plus = group.ext_minus[:]
        network = Network(group)
        network.run(warmup_ms * ms, namespace={})
        monitor = StateMonitor(
            group, list(STATE_VARIABLES), record=True, when="end", name="steady_states"
        )
        network.add(monitor)
        network.run(window_ms * ms, namespace={})
        values = {name: getattr(monitor, name)[:] for name in STATE_VARIABLES}
    finally:
        devices.reset_device()
    return SteadyStates(unique, values, np.asarray(values["spike"]) > 0.5)


def draw_initial_states(
    states: SteadyStates, g_e_ns: np.ndarray, seeds: np.ndarray
) -> dict:
    """Draw each neuron's initial state at a random phase of its steady firing.

    Parameters
    ----------
    states : SteadyStates
        Recorded steady firing, with every value of ``g_e_ns``.
    g_e_ns : ndarray
        Minus-phase conductance (nS) of each neuron.
    seeds : ndarray of int
        Seed of each neuron. The draws of one seed use that seed's own
        generator, in neuron order, so adding seeds leaves the others unchanged.

    Returns
    -------
    dict of str to Quantity
        The initial value of each variable of `STATE_VARIABLES` per neuron.
    """
    rows = np.searchsorted(states.g_e_ns, g_e_ns)
    missing = (rows >= len(states.g_e_ns)) | (
        states.g_e_ns[np.minimum(rows, len(states.g_e_ns) - 1)] != g_e_ns
    )
    if np.any(missing):
        raise ValueError(
            f"Invalid conductance {g_e_ns[missing][0]} nS: it has no recorded "
            "steady state. Record it with steady_firing_states first."
        )
    steps = np.empty(len(g_e_ns), dtype=int)
    for seed in np.unique(seeds):
        generator = np.random.default_rng(int(seed))
        for neuron in np.flatnonzero(seeds == seed):
            steps[neuron] = generator.choice(states.phase_steps(rows[neuron]))
    return {name: states.values[name][rows, steps] for name in STATE_VARIABLES}


def expected_learning_averages(minus_rate_hz, plus_rate_hz, values=None):
    """Compute the mean-field avg_s_lrn and avg_m_lrn at the end of the plus phase.

    The running-average updates of `equations.averages` are iterated over the
    plus phase with the spike drive replaced by its mean, ``spike_gain*rate*dt``,
    starting from the steady state of the minus-phase rate. The design uses it
    to choose rates, but the figures report the simulated averages.

    Parameters
    ----------
    minus_rate_hz, plus_rate_hz : array_like
        Firing rates (Hz) in the two phases.
    values : mapping, optional
        Parameter values of the neuron model (default: those of `pair_model`).

    Returns
    -------
    avg_s_lrn, avg_m_lrn : ndarray
        The learning averages (before the ``min_lrn`` cut).
    """
    if values is None:
        values = pair_model().values
    dt = float(CYCLE / ms)
    tau_ss, tau_s, tau_m = (
        float(values[name] / ms) for name in ("tau_ss", "tau_s", "tau_m")
    )
    gain_per_hz = values["spike_gain"] * dt / 1000.0
    _, plus_steps = _phase_steps()

    steady = gain_per_hz * np.asarray(minus_rate_hz, dtype=float)
    drive = gain_per_hz * np.asarray(plus_rate_hz, dtype=float)
    avg_ss, avg_s, avg_m = steady.copy(), steady.copy(), steady.copy()
    for _ in range(plus_steps):
        avg_ss = avg_ss + (drive - avg_ss) * dt / tau_ss
        avg_s = avg_s + (avg_ss - avg_s) * dt / tau_s
        avg_m = avg_m + (avg_s - avg_m) * dt / tau_m
    lrn_m = values["lrn_m"]
    return (1 - lrn_m) * avg_s + lrn_m * avg_m, avg_m


def _phase_steps() -> tuple[int, int]:
    """Return the time steps of the minus and of the plus phase."""
    minus_steps, trial_steps = PhaseTiming().steps(CYCLE)
    return minus_steps, trial_steps - minus_steps


def simulate_pairs(
    design: pd.DataFrame,
    calibration: DriveCalibration,
    *,
    device: str,
    build_dir,
    project: str,
    record: tuple[int, ...] = (),
    report: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate one trial of independent sender-receiver pairs in one Brian2 run.

    Both neurons of a pair are clamped to the pair's minus-phase rate for
    150 ms, then to its plus-phase rate for 50 ms. Neurons ``0 .. n-1`` are the
    senders and ``n .. 2n-1`` the receivers, one synapse per pair.

    Parameters
    ----------
    design : DataFrame
        One row per pair with ``minus_rate_hz``, ``plus_rate_hz`` and ``seed``
        (the seed of the random initial phases of the pair's neurons). Further
        columns are copied to the result.
    calibration : DriveCalibration
        Maps the rates to clamped conductances.
    device : str
        A name of `models.devices.DEVICES`.
    build_dir : path
        Build directory of `models.devices.select_device`. A standalone
        project is written to ``build_dir/project``.
    project : str
        Name of the standalone project directory.
    record : tuple of int
        Pairs (row positions in ``design``) whose avg_s and avg_m are recorded
        every step.
    report : str, optional
        Brian2's ``report`` argument of ``run``.

    Returns
    -------
    pairs : DataFrame
        The design columns, the conductances and steady rates of the drive,
        the measured rates of both neurons in both phases, their learning
        averages, and ``x``, ``theta`` and ``dwt`` at the end of the plus phase.
    timecourse : DataFrame
        Tidy ``pair``, ``role``, ``t_ms``, ``avg_s``, ``avg_m`` of the recorded
        pairs, one row per neuron and step (values after the step's update).
    """
    n_pairs = len(design)
    if n_pairs == 0:
        raise ValueError("Invalid design: it has no pairs. Give at least one row.")
    minus_steps, plus_steps = _phase_steps()
    g_minus, steady_minus = calibration.drive_for(design["minus_rate_hz"])
    g_plus, steady_plus = calibration.drive_for(design["plus_rate_hz"])
    seeds = design["seed"].to_numpy(dtype=int)
    # Senders first, then receivers: each neuron starts at its own random
    # phase of steady firing at the minus-phase drive.
    states = steady_firing_states(g_minus, build_dir)
    initial_states = draw_initial_states(states, np.tile(g_minus, 2), np.tile(seeds, 2))

    devices.select_device(device, build_dir)
    try:
        defaultclock.dt = CYCLE
        model = pair_model()
        values = model.values
        group = model.make_group(2 * n_pairs, GROUP_NAME)
        group.minus_steps = minus_steps
        g_clamp_ns = float(values["g_clamp"] / nS)
        group.ext_minus = np.tile(g_minus, 2) / g_clamp_ns
        group.ext_plus = np.tile(g_plus, 2) / g_clamp_ns
        for name, initial in initial_states.items():
            setattr(group, name, initial)

        synapses = Synapses(
            group,
            group,
            PAIR_SYNAPSE_EQUATIONS,
            namespace={**model.namespace(), **LEARNING_PARAMETERS.defaults()},
            name=SYNAPSES_NAME,
        )
        synapses.connect(i=np.arange(n_pairs), j=np.arange(n_pairs) + n_pairs)
        # Evaluated in the "end" slot of every step, after the averages are
        # updated, so after the run the variables hold the values of the last
        # step of the plus phase, where the reference computes dWt.
        synapses.run_regularly(PAIR_SYNAPSE_CODE, when="end", name="pair_xcal")
        spikes = SpikeMonitor(group, name="pair_spikes")
        objects = [group, synapses, spikes]
        recorded = [int(p) for p in record] + [int(p) + n_pairs for p in record]
        monitor = None
        if recorded:
            monitor = StateMonitor(
                group,
                ["avg_s", "avg_m"],
                record=recorded,
                when="end",
                name="pair_averages",
            )
            objects.append(monitor)

        # An empty run namespace: every name is in the groups' own namespaces.
        Network(*objects).run(
            (minus_steps + plus_steps) * CYCLE, report=report, namespace={}
        )
        devices.build_and_run(Path(build_dir) / project, with_output=report is not None)

        spike_steps = np.round(np.asarray(spikes.t[:] / CYCLE)).astype(int)
        spike_neurons = np.asarray(spikes.i[:])
        order = np.argsort(np.asarray(synapses.i[:]), kind="stable")
        synapse_values = {
            name: np.asarray(getattr(synapses, name)[:])[order]
            for name in (
                "sender_s_lrn",
                "sender_m_lrn",
                "receiver_s_lrn",
                "receiver_m_lrn",
                "xcal_x",
                "xcal_theta",
                "dwt",
            )
        }
        timecourse = _timecourse_table(monitor, record, n_pairs)
    finally:
        devices.reset_device()

    minus_rates, plus_rates = _phase_rates(spike_steps, spike_neurons, 2 * n_pairs)
    pairs = design.reset_index(drop=True).copy()
    pairs.insert(0, "pair", np.arange(n_pairs))
    pairs["g_e_minus_ns"] = g_minus
    pairs["g_e_plus_ns"] = g_plus
    pairs["minus_steady_rate_hz"] = steady_minus
    pairs["plus_steady_rate_hz"] = steady_plus
    pairs["sender_minus_rate_hz"] = minus_rates[:n_pairs]
    pairs["sender_plus_rate_hz"] = plus_rates[:n_pairs]
    pairs["receiver_minus_rate_hz"] = minus_rates[n_pairs:]
    pairs["receiver_plus_rate_hz"] = plus_rates[n_pairs:]
    for name in ("sender_s_lrn", "sender_m_lrn", "receiver_s_lrn", "receiver_m_lrn"):
        pairs[name] = synapse_values[name]
    pairs["x"] = synapse_values["xcal_x"]
    pairs["theta"] = synapse_values["xcal_theta"]
    pairs["dwt"] = synapse_values["dwt"]
    return pairs, timecourse


def _phase_rates(spike_steps, spike_neurons, n_neurons):
    """Return each neuron's spike rate (Hz) in the minus and in the plus phase."""
    minus_steps, plus_steps = _phase_steps()
    step_ms = float(CYCLE / ms)
    in_minus = spike_steps < minus_steps
    minus_counts = np.bincount(spike_neurons[in_minus], minlength=n_neurons)
    plus_counts = np.bincount(spike_neurons[~in_minus], minlength=n_neurons)
    return (
        minus_counts * 1000.0 / (minus_steps * step_ms),
        plus_counts * 1000.0 / (plus_steps * step_ms),
    )


def _timecourse_table(monitor, record, n_pairs) -> pd.DataFrame:
    """Return the recorded averages as a tidy table (empty without recording)."""
    columns = ["pair", "role", "t_ms", "avg_s", "avg_m"]
    if monitor is None:
        return pd.DataFrame(columns=columns)
    t_ms = np.asarray(monitor.t[:] / ms)
    frames = []
    for row, neuron in enumerate(monitor.record):
        pair = int(neuron) % n_pairs
        role = "sender" if neuron < n_pairs else "receiver"
        frames.append(
            pd.DataFrame(
                {
                    "pair": pair,
                    "role": role,
                    "t_ms": t_ms,
                    "avg_s": np.asarray(monitor.avg_s[row]),
                    "avg_m": np.asarray(monitor.avg_m[row]),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[columns]


def design_points(
    calibration: DriveCalibration,
    x_targets: int,
    pairs_per_target: int,
    seeds,
    values=None,
) -> pd.DataFrame:
    """Choose minus- and plus-phase rates that put pairs on each theta line.

    At the end of the plus phase the mean-field learning averages are linear
    in the two rates (`expected_learning_averages`). With both neurons of a
    pair at the same rates, ``theta = avg_m_lrn**2`` and ``x = avg_s_lrn**2``,
    so for each theta in `THETAS` and each of ``x_targets`` evenly spaced x
    values the two rates follow from a 2-by-2 linear system. The x values
    span what rates from 0 to `MAX_RATE_HZ` can reach at that theta.

    A clamped neuron fires only at the calibrated steady rates, because its
    inter-spike intervals are whole steps. Each rate is therefore replaced by
    one of its two neighbouring steady rates. Of the four combinations, the
    design takes the one whose mean-field theta is closest to the target, and
    on a tie the one closest in x.

    Returns
    -------
    DataFrame
        One row per pair: ``theta_target``, ``x_target``, ``minus_rate_hz``,
        ``plus_rate_hz``, ``seed`` and ``repeat`` (the pair's number among
        those of its target and seed).
    """
    if x_targets < 2 or pairs_per_target < 1:
        raise ValueError(
            f"Invalid design size x_targets={x_targets}, "
            f"pairs_per_target={pairs_per_target}: expected at least 2 and 1."
        )
    # Averages per Hz of minus-phase and of plus-phase rate.
    s_minus, m_minus = (float(v) for v in expected_learning_averages(1.0, 0.0, values))
    s_plus, m_plus = (float(v) for v in expected_learning_averages(0.0, 1.0, values))
    system = np.array([[s_minus, s_plus], [m_minus, m_plus]])
    steady_rates = np.unique(calibration.rate_hz)
    steady_rates = steady_rates[steady_rates <= MAX_RATE_HZ]

    rows = []
    for theta in THETAS:
        m_target = np.sqrt(theta)
        # Plus rates for which the minus rate that gives theta is in range.
        plus_low = max(0.0, (m_target - m_minus * MAX_RATE_HZ) / m_plus)
        plus_high = min(MAX_RATE_HZ, m_target / m_plus)
        s_low, s_high = (
            s_minus * (m_target - m_plus * plus) / m_minus + s_plus * plus
            for plus in (plus_low, plus_high)
        )
        for x_target in np.linspace(s_low**2, s_high**2, x_targets):
            minus_ideal, plus_ideal = np.linalg.solve(
                system, [np.sqrt(x_target), m_target]
            )
            candidates = [
                (minus, plus)
                for minus in _neighbours(steady_rates, minus_ideal)
                for plus in _neighbours(steady_rates, plus_ideal)
            ]

            def mismatch(rates, x_target=x_target, theta=theta):
                s_value = s_minus * rates[0] + s_plus * rates[1]
                m_value = m_minus * rates[0] + m_plus * rates[1]
                return (abs(m_value**2 / theta - 1), abs(s_value**2 - x_target))

            minus_rate, plus_rate = min(candidates, key=mismatch)
            for seed in seeds:
                for repeat in range(pairs_per_target):
                    rows.append(
                        {
                            "theta_target": theta,
                            "x_target": float(x_target),
                            "minus_rate_hz": float(minus_rate),
                            "plus_rate_hz": float(plus_rate),
                            "seed": int(seed),
                            "repeat": repeat,
                        }
                    )
    return pd.DataFrame(rows)


def _neighbours(rates: np.ndarray, value: float) -> list[float]:
    """Return the values of the sorted ``rates`` just below and just above ``value``."""
    above = int(np.searchsorted(rates, value))
    picks = {min(above, len(rates) - 1), max(above - 1, 0)}
    return [float(rates[k]) for k in sorted(picks)]


def simulate(settings: SimulationSettings) -> dict[str, pd.DataFrame]:
    """Simulate the pairs of the figure and return the ``pairs`` and ``calibration`` tables."""
    sizes = SCALE_SIZES[settings.scale]
    calibration = calibrate_drive(Path(settings.build_dir))
    design = design_points(
        calibration, sizes["x_targets"], sizes["pairs_per_target"], settings.seeds
    )
    pairs, _ = simulate_pairs(
        design,
        calibration,
        device=settings.device,
        build_dir=settings.build_dir,
        project="xcal",
        report=settings.report,
    )
    calibration_table = pd.DataFrame(
        {"g_e_ns": calibration.g_e_ns, "rate_hz": calibration.rate_hz}
    )
    return {"pairs": pairs, "calibration": calibration_table}


def tabulate(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return the analytic lines and the simulated points as one tidy table.

    ``source`` is ``"analytic"`` for the lines (201 x values per theta) and
    ``"simulated"`` for the pairs. ``dwt_analytic`` is f(x, theta) computed
    with numpy, and ``dwt_simulated`` is the Brian2 value (NaN on analytic
    rows).
    """
    parameters = LEARNING_PARAMETERS.defaults()
    d_thr, d_rev = parameters["d_thr"], parameters["d_rev"]
    pairs = results["pairs"]

    x_max = max(0.8, 1.05 * float(pairs["x"].max()))
    x_line = np.linspace(0.0, x_max, 201)
    lines = [
        pd.DataFrame(
            {
                "source": "analytic",
                "theta_target": theta,
                "theta": theta,
                "x": x_line,
                "dwt_analytic": xcal(x_line, theta, d_thr, d_rev),
                "dwt_simulated": np.nan,
            }
        )
        for theta in THETAS
    ]

    points = pd.DataFrame(
        {
            "source": "simulated",
            "theta_target": pairs["theta_target"],
            "theta": pairs["theta"],
            "x": pairs["x"],
            "dwt_analytic": xcal(pairs["x"], pairs["theta"], d_thr, d_rev),
            "dwt_simulated": pairs["dwt"],
            "x_target": pairs["x_target"],
            "seed": pairs["seed"],
            "pair": pairs["pair"],
        }
    )
    rate_columns = [
        "minus_rate_hz",
        "plus_rate_hz",
        "sender_minus_rate_hz",
        "sender_plus_rate_hz",
        "receiver_minus_rate_hz",
        "receiver_plus_rate_hz",
    ]
    for column in rate_columns:
        points[column] = pairs[column]
    return pd.concat([*lines, points], ignore_index=True)


def draw(results: dict[str, pd.DataFrame]) -> Figure:
    """Draw f(x, theta) with the simulated points, and the rates behind the points."""
    table = tabulate(results)
    figure = Figure(figsize=(10, 4.2), layout="constrained")
    curve_axes, rate_axes = figure.subplots(1, 2, width_ratios=(3, 2))
    _draw_curves(curve_axes, table)
    _draw_rates(rate_axes, table)
    return figure


def _draw_curves(axes, table: pd.DataFrame) -> None:
    """Plot the analytic f(x, theta) lines and the simulated (x, dWt) points."""
    colours = _theta_colours()
    lines = table[table["source"] == "analytic"]
    points = table[table["source"] == "simulated"]
    axes.axhline(0.0, color="0.6", linewidth=0.8)
    for theta in THETAS:
        line = lines[lines["theta_target"] == theta]
        axes.plot(
            line["x"], line["dwt_analytic"], color=colours[theta], label=f"θ = {theta}"
        )
        group = points[points["theta_target"] == theta]
        axes.scatter(
            group["x"],
            group["dwt_simulated"],
            s=18,
            color=colours[theta],
            edgecolors="black",
            linewidths=0.4,
            zorder=3,
        )
    axes.scatter([], [], s=18, color="white", edgecolors="black", label="spiking pairs")
    axes.set_xlabel("short-term co-activity x = avg_s_lrn(send) · avg_s_lrn(recv)")
    axes.set_ylabel("dWt = f(x, θ)")
    axes.set_title("XCAL dWt function: lines analytic, points simulated")
    axes.legend(loc="upper left", frameon=False)


def _draw_rates(axes, table: pd.DataFrame) -> None:
    """Plot the measured minus- and plus-phase rates of each simulated pair."""
    colours = _theta_colours()
    points = table[table["source"] == "simulated"]
    for theta in THETAS:
        group = points[points["theta_target"] == theta]
        minus = 0.5 * (group["sender_minus_rate_hz"] + group["receiver_minus_rate_hz"])
        plus = 0.5 * (group["sender_plus_rate_hz"] + group["receiver_plus_rate_hz"])
        axes.scatter(
            minus,
            plus,
            s=18,
            color=colours[theta],
            edgecolors="black",
            linewidths=0.4,
            label=f"θ ≈ {theta}",
        )
    axes.set_xlabel("minus-phase rate (Hz), mean of the pair")
    axes.set_ylabel("plus-phase rate (Hz), mean of the pair")
    axes.set_title("measured rates of the simulated pairs")
    axes.legend(loc="upper right", frameon=False)


def _theta_colours() -> dict[float, tuple]:
    """Return one colour per theta of `THETAS`, from the viridis colormap."""
    cmap = colormaps["viridis"]
    return {
        theta: cmap(0.15 + 0.7 * k / max(1, len(THETAS) - 1))
        for k, theta in enumerate(THETAS)
    }
