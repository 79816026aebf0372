"""Phase controller: a list of trials as TimedArrays the neurons read.

C++ and CUDA standalone programs cannot call back into Python, so the whole
trial structure is data. Each trial (theta cycle) is a minus phase (default
150 ms) followed by a plus phase (50 ms). The schedule stores each pattern
once, in a 2-D TimedArray with one row per pattern (dt = 1 s), and per trial
only the pattern index and the train/test flag (TimedArrays with dt = one
trial). Input layers set ``ext = input_table(trial_pattern(t)*second, i)``
in the first step of each trial (`Schedule.add_clamp`) and clamp it in both
phases. Target layers clamp the target pattern in the plus phase of training
trials only.

Learning code runs in the first time step of each trial (Brian2 2.8.0's
``run_regularly`` with dt = trial fires at t = 0, T, 2T, ...), so it reads the
averages of the trial that has just finished and is gated by
``finished_train(t)``, the train flag of that trial (0 at t = 0). The run
lasts one step longer than the trials, so the last trial's change is applied. `TRIAL_ORDER` gives the order of the
trial-level code within that first step; `Schedule.gate_code` defines the
0/1 gates it uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from brian2 import TimedArray, get_device, ms, second
from brian2.devices.device import all_devices

__all__ = ["PhaseTiming", "Schedule", "TRIAL_ORDER", "run_each_trial"]

#: Brian2 ``order`` (in the ``start`` slot of the first step of a trial) of the
#: trial-level code, which reads the trial that has just finished. In order:
#:
#: - ``deep_zero`` to ``deep_burst``: superficial layers take their layer
#:   maximum and burst;
#: - ``context_zero`` and ``context_send``: deep context layers get the context
#:   of the new trial, sent with the weights the finished trial used;
#: - ``events``: senders detect the slow-adaptation event (`Schedule.slow_event`);
#: - ``finish``: receivers finish act_p, RLrate and act_avg and zero their sums;
#: - ``dwt``: synapses compute XCAL, and pools take layer means;
#: - ``apply``: synapses update their weights, and layers their trg_avg;
#: - ``slow_sum`` and ``slow_apply``: slow adaptation;
#: - ``record``: monitors sample the finished trial;
#: - ``decay``: the trial-boundary decay of the new trial;
#: - ``clamp``: clamped layers take the pattern of the new trial.
TRIAL_ORDER = {
    "deep_zero": -39,
    "deep_rank": -38,
    "deep_top": -37,
    "deep_burst": -36,
    "context_zero": -35,
    "context_send": -34,
    "events": -31,
    "finish": -30,
    "dwt": -29,
    "apply": -28,
    "slow_sum": -27,
    "slow_apply": -26,
    "record": -20,
    "decay": -10,
    "clamp": -9,
}


def run_each_trial(
    owner, code: str, step: str, trial, name: str | None = None, reduces: bool = False
):
    """Run ``code`` on ``owner`` in the first time step of every ``trial``.

    ``step`` names the operation's place in `TRIAL_ORDER`. ``name`` defaults
    to ``<owner>_trial_<step>``. Set ``reduces`` when several synapses add
    into the same receiver variable.
    """
    kwargs = {}
    if reduces and get_device() is all_devices.get("cuda_standalone"):
        # brian2cuda adds atomically only with its atomics code object class.
        from brian2cuda.device import CUDAStandaloneAtomicsCodeObject

        kwargs["codeobj_class"] = CUDAStandaloneAtomicsCodeObject
    owner.run_regularly(
        code,
        dt=trial,
        when="start",
        order=TRIAL_ORDER[step],
        name=name or f"{owner.name}_trial_{step}",
        **kwargs,
    )


@dataclass(frozen=True)
class PhaseTiming:
    """Durations of the minus and plus phase of one trial."""

    minus: object = field(default_factory=lambda: 150 * ms)
    plus: object = field(default_factory=lambda: 50 * ms)

    def __post_init__(self):
        for name in ("minus", "plus"):
            value = getattr(self, name)
            if not value > 0 * ms:
                raise ValueError(
                    f"Invalid {name} phase duration {value}: expected a positive time."
                )

    @property
    def trial(self):
        """Duration of one trial (theta cycle)."""
        return self.minus + self.plus

    def steps(self, dt) -> tuple[int, int]:
        """Return the number of time steps of the minus phase and of a trial."""
        minus = float(self.minus / dt)
        trial = float(self.trial / dt)
        if abs(minus - round(minus)) > 1e-9 or abs(trial - round(trial)) > 1e-9:
            raise ValueError(
                f"Invalid phase durations {self.minus} + {self.plus}: both must be "
                f"multiples of the time step {dt}."
            )
        return round(minus), round(trial)


class Schedule:
    """Trials of one run, as TimedArrays and the equations that read them.

    Parameters
    ----------
    inputs : array of shape (n_patterns, n_input)
        Input clamp values per pattern, in [0, 1].
    targets : array of shape (n_patterns, n_target)
        Target clamp values per pattern, in [0, 1].
    patterns : sequence of int
        Pattern index of each trial, in order.
    train : sequence of bool
        Whether each trial is a training trial (target clamped, learning on) or
        a test trial (target free, no learning).
    timing : PhaseTiming, optional
        Phase durations.
    dt : Quantity
        Simulation time step.
    train_before : int, optional
        Training trials run before this schedule (when a run is continued
        from a checkpoint), so that slow adaptation keeps its interval.
    slow_interval : int, optional
        Slow adaptation (swt, synaptic scaling) follows every
        ``slow_interval``-th training trial (reference SlowInterval).
    lrate_sched : sequence of float, optional
        Factor of every projection's learning rate in each trial (the
        reference's Lrate.Sched), default 1. The weight change after trial k
        uses trial k's factor.
    """

    def __init__(
        self,
        inputs: np.ndarray,
        targets: np.ndarray,
        patterns: Sequence[int],
        train: Sequence[bool],
        timing: PhaseTiming | None = None,
        dt=1 * ms,
        train_before: int = 0,
        slow_interval: int = 100,
        lrate_sched: Sequence[float] | None = None,
    ):
        inputs = np.asarray(inputs, dtype=float)
        targets = np.asarray(targets, dtype=float)
        patterns = np.asarray(patterns, dtype=int)
        train = np.asarray(train, dtype=bool)
        if inputs.ndim != 2 or targets.ndim != 2:
            raise ValueError(
                f"Invalid pattern arrays of shapes {inputs.shape} and {targets.shape}: "
                "expected 2-D arrays (n_patterns, n_units)."
            )
        if len(inputs) != len(targets):
            raise ValueError(
                f"Mismatched pattern counts: {len(inputs)} inputs, {len(targets)} "
                "targets."
            )
        if patterns.ndim != 1 or len(patterns) == 0 or len(patterns) != len(train):
            raise ValueError(
                f"Invalid trial list: {patterns.size} pattern indices and "
                f"{train.size} train flags; expected equal, non-zero lengths."
            )
        bad = patterns[(patterns < 0) | (patterns >= len(inputs))]
        if bad.size:
            raise ValueError(
                f"Invalid pattern index {int(bad[0])}: expected 0 to {len(inputs) - 1}."
            )
        for name, values in (("input", inputs), ("target", targets)):
            if not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > 1:
                raise ValueError(
                    f"Invalid {name} patterns: clamp values must be finite and in "
                    "[0, 1]."
                )

        if train_before < 0 or slow_interval < 1:
            raise ValueError(
                f"Invalid train_before={train_before} or slow_interval="
                f"{slow_interval}: expected train_before >= 0 and slow_interval >= 1."
            )
        self.timing = timing or PhaseTiming()
        self.dt = dt
        self.minus_steps, self.trial_steps = self.timing.steps(dt)
        self.inputs = inputs
        self.targets = targets
        self.patterns = patterns
        self.train = train

        # The extra final entry covers the step after the last trial, in
        # which the last trial's learning is applied.
        indices = np.append(patterns, patterns[-1]).astype(float)
        trial_dt = self.timing.trial
        self.input_table = TimedArray(inputs, dt=1 * second, name="input_table")
        self.target_table = TimedArray(targets, dt=1 * second, name="target_table")
        self.trial_pattern = TimedArray(indices, dt=trial_dt, name="trial_pattern")
        self.trial_train = TimedArray(
            np.append(train, False).astype(float), dt=trial_dt, name="trial_train"
        )
        self.finished_train = TimedArray(
            np.insert(train, 0, False).astype(float), dt=trial_dt, name="finished_train"
        )
        if lrate_sched is None:
            lrate_sched = np.ones(len(patterns))
        lrate_sched = np.asarray(lrate_sched, dtype=float)
        if lrate_sched.shape != patterns.shape or not np.all(
            np.isfinite(lrate_sched) & (lrate_sched >= 0)
        ):
            raise ValueError(
                f"Invalid lrate_sched of shape {lrate_sched.shape}: expected one "
                f"finite factor >= 0 per trial ({len(patterns)})."
            )
        self.lrate_sched = TimedArray(
            np.insert(lrate_sched, 0, 1.0), dt=trial_dt, name="lrate_sched"
        )
        trained = train_before + np.cumsum(train)
        slow = train & (trained % slow_interval == 0)
        self.train_before = train_before
        self.slow_adapt = TimedArray(
            np.insert(slow, 0, False).astype(float), dt=trial_dt, name="slow_adapt"
        )

    @property
    def n_trials(self) -> int:
        """Number of trials."""
        return len(self.patterns)

    @property
    def duration(self):
        """Run length: all trials plus the one step that applies the last change."""
        return self.n_trials * self.timing.trial + self.dt

    def namespace(self) -> dict:
        """Return the TimedArrays and constants the schedule equations use."""
        return {
            "input_table": self.input_table,
            "target_table": self.target_table,
            "trial_pattern": self.trial_pattern,
            "trial_train": self.trial_train,
            "finished_train": self.finished_train,
            "slow_adapt": self.slow_adapt,
            "lrate_sched": self.lrate_sched,
            "minus_steps": self.minus_steps,
            "trial_steps": self.trial_steps,
        }

    @property
    def n_train(self) -> int:
        """Number of training trials."""
        return int(self.train.sum())

    @staticmethod
    def gate_code() -> str:
        """Return the 0/1 gates of the trial-level code, as Brian2 statements.

        ``learn_on``: the finished trial was a training trial; ``slow_on``: it
        completed a slow-adaptation interval; ``after_first``: this is not the
        first step of the run. ``lrate_factor`` is the finished trial's
        learning-rate factor.
        """
        return (
            "learn_on = finished_train(t)\n"
            "lrate_factor = lrate_sched(t)\n"
            "slow_on = slow_adapt(t)\n"
            "after_first = int(t > 0.5*dt)\n"
        )

    @staticmethod
    def slow_event() -> str:
        """Return the condition of the slow-adaptation event, for sender groups.

        It holds for every neuron in the first step of a trial that completed
        a slow-adaptation interval. Synaptic pathways triggered by it run the
        slow adaptation on every synapse in that step only, instead of a gated
        computation in every trial. The condition depends on time only, so
        Brian2 evaluates it once per step, not per neuron.
        """
        return "timestep(t, dt) % trial_steps == 0 and slow_adapt(t) > 0.5"

    @staticmethod
    def learn_event(sender_condition: str) -> str:
        """Return the condition of the learning event, for sender groups.

        It is true in the first step of a trial for the neurons that meet
        ``sender_condition`` (a Brian2 boolean expression of the sender's
        variables), if the finished trial was a training trial. Synaptic
        pathways triggered by it run the weight change on the synapses of
        those senders only, instead of on every synapse in every trial.
        """
        return (
            "timestep(t, dt) % trial_steps == 0 and finished_train(t) > 0.5"
            f" and ({sender_condition})"
        )

    @staticmethod
    def phase_equations() -> str:
        """Return the phase flags as Brian2 subexpressions."""
        return (
            "step_in_trial = timestep(t, dt) % trial_steps : integer\n"
            "plus_phase = int(step_in_trial >= minus_steps) : 1\n"
        )

    # ``ext`` is a variable that `add_clamp` sets in the first step of each
    # trial. A lookup in the pattern table in every step kept gcc from
    # vectorising the conductance loop of the clamped layers.
    _EXT_DECLARATION = (
        "ext : 1  # clamp value of the trial's pattern, set by add_clamp\n"
    )

    def input_equations(self) -> str:
        """Return ``ext`` and ``clamp_on`` for an input layer (clamped always)."""
        return self.phase_equations() + self._EXT_DECLARATION + "clamp_on = 1 : 1\n"

    def target_equations(self) -> str:
        """Return ``ext`` and ``clamp_on`` for a target layer.

        The target is clamped in the plus phase of training trials only.
        """
        return (
            self.phase_equations()
            + self._EXT_DECLARATION
            + "clamp_on = plus_phase*trial_train(t) : 1\n"
        )

    def add_clamp(self, group, kind: str):
        """Set ``ext`` of ``group`` to the pattern of each new trial.

        The code runs in the first step of every trial, before the conductance
        stage (`TRIAL_ORDER` ``clamp``). ``group`` is a layer of kind "input"
        or "target", whose equations come from `input_equations` or
        `target_equations`.
        """
        tables = {"input": "input_table", "target": "target_table"}
        if kind not in tables:
            raise ValueError(
                f"Invalid clamped layer kind {kind!r}: expected 'input' or 'target'."
            )
        group.run_regularly(
            f"ext = {tables[kind]}(trial_pattern(t)*second, i)\n",
            dt=self.timing.trial,
            when="start",
            order=TRIAL_ORDER["clamp"],
            name=f"{group.name}_clamp",
        )
