"""Phase controller: flags and patterns switch at the right times."""

import numpy as np
import pytest
from brian2 import Network, NeuronGroup, StateMonitor, ms, prefs

from models.schedule import PhaseTiming, Schedule

INPUTS = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
TARGETS = np.array([[1, 0], [0, 1], [1, 1]], dtype=float)


def record(schedule, kind):
    prefs.codegen.target = "numpy"
    if kind == "input":
        equations, size = schedule.input_equations(), len(INPUTS[0])
    else:
        equations, size = schedule.target_equations(), len(TARGETS[0])
    group = NeuronGroup(
        size,
        equations + "learn = finished_train(t) : 1\n",
        namespace=schedule.namespace(),
        name="probe",
    )
    schedule.add_clamp(group, kind)
    monitor = StateMonitor(group, ["ext", "clamp_on", "learn"], record=True)
    Network(group, monitor).run(schedule.duration)
    return monitor


def test_input_pattern_per_trial():
    schedule = Schedule(INPUTS, TARGETS, [2, 0, 1], [True, False, True])
    monitor = record(schedule, "input")
    for trial, pattern in enumerate([2, 0, 1]):
        for step in (0, 149, 150, 199):
            np.testing.assert_array_equal(
                monitor.ext[:, trial * 200 + step], INPUTS[pattern]
            )
    assert np.all(monitor.clamp_on[:] == 1)


def test_target_clamped_in_plus_phase_of_training_only():
    schedule = Schedule(INPUTS, TARGETS, [0, 1, 2], [True, False, True])
    monitor = record(schedule, "target")
    clamp = monitor.clamp_on[0]
    # Training trial 0: free for 150 steps, clamped for the 50 of the plus phase.
    assert np.all(clamp[:150] == 0)
    assert np.all(clamp[150:200] == 1)
    # Test trial 1 is never clamped.
    assert np.all(clamp[200:400] == 0)
    assert np.all(clamp[400:550] == 0)
    assert np.all(clamp[550:600] == 1)
    np.testing.assert_array_equal(monitor.ext[:, 560], TARGETS[2])


def test_learning_gate_reads_finished_trial():
    schedule = Schedule(INPUTS, TARGETS, [0, 1, 2], [True, False, True])
    monitor = record(schedule, "input")
    learn = monitor.learn[0]
    # Evaluated at the first step of each trial for the trial just finished.
    assert learn[0] == 0
    assert learn[200] == 1
    assert learn[400] == 0
    assert learn[600] == 1
    assert len(learn) == 601


def test_custom_phase_durations():
    timing = PhaseTiming(minus=80 * ms, plus=20 * ms)
    schedule = Schedule(INPUTS, TARGETS, [0], [True], timing=timing)
    monitor = record(schedule, "target")
    clamp = monitor.clamp_on[0]
    assert np.all(clamp[:80] == 0)
    assert np.all(clamp[80:100] == 1)


@pytest.mark.parametrize(
    "arguments, fragment",
    [
        ((INPUTS[:, :, None], TARGETS, [0], [True]), "expected 2-D"),
        ((INPUTS, TARGETS[:2], [0], [True]), "3 inputs, 2 targets"),
        ((INPUTS, TARGETS, [3], [True]), "pattern index 3"),
        ((INPUTS, TARGETS, [0, 1], [True]), "2 pattern indices and 1 train"),
        ((INPUTS * 2, TARGETS, [0], [True]), "in \\[0, 1\\]"),
    ],
)
def test_schedule_bad_input(arguments, fragment):
    with pytest.raises(ValueError, match=fragment):
        Schedule(*arguments)


def test_phase_not_multiple_of_dt():
    with pytest.raises(ValueError, match="multiples of the time step"):
        Schedule(INPUTS, TARGETS, [0], [True], PhaseTiming(150.5 * ms, 50 * ms))


@pytest.mark.parametrize("sched", [[1.0, -0.5], [1.0], [np.nan, 1.0]])
def test_bad_lrate_schedule_is_rejected(sched):
    with pytest.raises(ValueError, match="lrate_sched"):
        Schedule(np.eye(2), np.eye(2), [0, 1], [True, True], lrate_sched=sched)
