"""Layered networks: in-build learning timing, clamping, pooled inhibition, specs."""

import numpy as np
import pytest
from brian2 import EventMonitor, StateMonitor, ms, nS, prefs

from equations import ParameterError
from equations.xcal import rl_rate, xcal
from models.network import LayeredNetwork, initial_state
from models.ra25 import ra25_spec
from models.schedule import Schedule
from models.spec import LayerSpec, NetworkSpec, ProjectionSpec
from models.training import Task, train

INPUTS = np.array(
    [[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1], [1, 0, 1, 0, 1, 0]], dtype=float
)
TARGETS = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [1, 1, 0, 0]], dtype=float)


def small_spec(**overrides):
    fields = {
        "layers": [
            LayerSpec("inp", 6, "input", expected_activity=0.5),
            LayerSpec("out", 4, "target", expected_activity=0.5),
        ],
        "projections": [ProjectionSpec("inp", "out")],
        "learning": {"lrate": 0.2},
    }
    fields.update(overrides)
    return NetworkSpec(**fields)


def run_small(patterns, train_flags, spec=None, monitors=(), lrate_sched=None):
    """Run the small network on numpy; return the network and its monitors."""
    prefs.codegen.target = "numpy"
    spec = spec or small_spec()
    schedule = Schedule(INPUTS, TARGETS, patterns, train_flags, lrate_sched=lrate_sched)
    network = LayeredNetwork(spec, schedule, initial_state(spec, seed=3))
    made = {}
    for name, (owner_name, variables) in monitors:
        owner = (
            network.projections[owner_name]
            if owner_name in network.projections
            else network.layers[owner_name].group
        )
        made[name] = StateMonitor(owner, variables, record=True, when="end")
    network.network.add(*made.values())
    network.network.run(schedule.duration)
    return network, made


def test_weight_change_after_trial_uses_that_trials_averages():
    monitors = (
        ("pre", ("inp", ["avg_s_lrn", "avg_m_lrn"])),
        ("post", ("out", ["avg_s_lrn", "avg_m_lrn", "avg_s", "avg_m"])),
        ("syn", ("inp_to_out", ["lwt"])),
    )
    network, m = run_small([0, 1, 2], [True, True, False], monitors=monitors)
    synapses = network.projections["inp_to_out"]
    i, j = np.asarray(synapses.i[:]), np.asarray(synapses.j[:])
    lrate = 0.2

    changed = 0
    for trial in (0, 1):
        end = (trial + 1) * 200 - 1  # last step of the trial
        start = end + 1  # first step of the next trial: the update
        pre_s, pre_m = m["pre"].avg_s_lrn[:, end], m["pre"].avg_m_lrn[:, end]
        post_s, post_m = m["post"].avg_s_lrn[:, end], m["post"].avg_m_lrn[:, end]
        rl = rl_rate(m["post"].avg_s[:, end], m["post"].avg_m[:, end])
        f = xcal(pre_s[i] * post_s[j], pre_m[i] * post_m[j])
        lwt = m["syn"].lwt[:, end]
        bounded = soft_bounded(f, lwt)
        sender_on = (pre_s[i] >= 0.01) | (pre_m[i] >= 0.01)
        dwt = sender_on * rl[j] * lrate * bounded
        dwt[np.abs(dwt) <= 1e-4 * lrate] = 0  # target receivers: no zero-sum step
        expected = np.clip(lwt + dwt, 0, 1)
        np.testing.assert_allclose(m["syn"].lwt[:, start], expected, atol=1e-12)
        changed += np.count_nonzero(dwt)
    assert changed > 10  # the check compared real changes, not zeros

    # The third trial is a test trial: no change after it.
    np.testing.assert_array_equal(m["syn"].lwt[:, 600], m["syn"].lwt[:, 599])


def soft_bounded(f, lwt):
    """Scale potentiation by 1 - lwt and depression by lwt."""
    return np.where(f > 0, f * (1 - lwt), f * lwt)


def bcm_spec(bcm_lrate):
    """Input -> hidden -> target network with a BCM term on input -> hidden."""
    return small_spec(
        layers=[
            LayerSpec("inp", 6, "input", expected_activity=0.5),
            LayerSpec("hid", 5, "hidden", expected_activity=0.4),
            LayerSpec("out", 4, "target", expected_activity=0.5),
        ],
        projections=[
            ProjectionSpec(
                "inp", "hid", parameters={"bcm_lrate": bcm_lrate, "sub_mean": 0.0}
            ),
            ProjectionSpec("hid", "out"),
        ],
    )


def test_bcm_term_matches_numpy():
    monitors = (
        ("pre", ("inp", ["avg_s_lrn", "avg_m_lrn"])),
        ("post", ("hid", ["avg_s_lrn", "avg_m_lrn", "avg_s", "avg_m", "act_avg"])),
        ("syn", ("inp_to_hid", ["lwt"])),
    )
    bcm_lrate, bcm_gain, lrate = 0.5, 2.5, 0.2
    network, m = run_small([0, 1], [True, True], bcm_spec(bcm_lrate), monitors)
    synapses = network.projections["inp_to_hid"]
    i, j = np.asarray(synapses.i[:]), np.asarray(synapses.j[:])

    bcm_changes = 0
    for trial in (0, 1):
        end = (trial + 1) * 200 - 1
        start = end + 1
        pre_s, pre_m = m["pre"].avg_s_lrn[:, end], m["pre"].avg_m_lrn[:, end]
        post_s, post_m = m["post"].avg_s_lrn[:, end], m["post"].avg_m_lrn[:, end]
        rl = rl_rate(m["post"].avg_s[:, end], m["post"].avg_m[:, end])
        # act_avg takes the finished trial's act_m before the weights change.
        act_avg = m["post"].act_avg[:, start]
        lwt = m["syn"].lwt[:, end]
        x = pre_s[i] * post_s[j]

        error = rl[j] * soft_bounded(xcal(x, pre_m[i] * post_m[j]), lwt)
        bcm = bcm_lrate * soft_bounded(xcal(x, pre_s[i] * bcm_gain * act_avg[j]), lwt)
        sender_on = (pre_s[i] >= 0.01) | (pre_m[i] >= 0.01)
        dwt = sender_on * lrate * (error + bcm)
        dwt[np.abs(dwt) <= 1e-4 * lrate] = 0
        expected = np.clip(lwt + dwt, 0, 1)
        np.testing.assert_allclose(m["syn"].lwt[:, start], expected, atol=1e-12)
        bcm_changes += np.count_nonzero(np.abs(sender_on * lrate * bcm) > 1e-6)
    assert bcm_changes > 10  # the BCM term moved real weights

    # Without the term the same trials give other weights.
    _, plain = run_small([0, 1], [True, True], bcm_spec(0.0), monitors)
    assert np.any(plain["syn"].lwt[:, 200] != m["syn"].lwt[:, 200])


def test_bcm_term_rejects_invalid_projections():
    on_target = ProjectionSpec("inp", "out", parameters={"bcm_lrate": 0.1})
    with pytest.raises(ValueError, match="receiver 'out' is of kind 'target'"):
        small_spec(projections=[on_target])
    with pytest.raises(ParameterError, match="bcm_lrate"):
        bcm_spec(-0.1)
    layers = bcm_spec(0.0).layers
    frozen = ProjectionSpec("inp", "hid", learn=False, parameters={"bcm_lrate": 0.1})
    with pytest.raises(ValueError, match="does not learn .* set learn=True"):
        NetworkSpec(layers=layers, projections=[frozen])
    # A network-wide value reaches the projection into the target layer too.
    with pytest.raises(ValueError, match="of projection 'hid_to_out' .*learning"):
        NetworkSpec(
            layers=layers,
            projections=bcm_spec(0.0).projections,
            learning={"bcm_lrate": 0.1},
        )


def test_lrate_schedule_scales_weight_change():
    monitors = (("syn", ("inp_to_out", ["lwt"])),)
    flags = [True, True, False]
    _, full = run_small([0, 1, 2], flags, monitors=monitors)
    _, sched = run_small([0, 1, 2], flags, monitors=monitors, lrate_sched=[0.5, 0, 1])
    before = full["syn"].lwt[:, 199]
    change = full["syn"].lwt[:, 200] - before
    assert np.count_nonzero(change) >= 4  # of 24 synapses

    # Trial 0 learns at half the rate, trial 1 not at all.
    np.testing.assert_allclose(
        sched["syn"].lwt[:, 200] - before, 0.5 * change, atol=1e-12
    )
    np.testing.assert_array_equal(sched["syn"].lwt[:, 400], sched["syn"].lwt[:, 399])


def test_learning_event_skips_silent_senders():
    prefs.codegen.target = "numpy"
    spec = small_spec()
    schedule = Schedule(INPUTS, TARGETS, [0, 1, 2], [True, False, True])
    network = LayeredNetwork(spec, schedule, initial_state(spec, seed=3))
    sender = network.layers["inp"].group
    events = EventMonitor(sender, "learn_trial")
    averages = StateMonitor(sender, ["avg_s_lrn", "avg_m_lrn"], record=True, when="end")
    synapses = network.projections["inp_to_out"]
    weights = StateMonitor(synapses, ["lwt", "dwt"], record=True, when="end")
    network.network.add(events, averages, weights)
    network.network.run(schedule.duration)

    # The event fires in the first step after each training trial (trials 0
    # and 2), for exactly the senders above lrn_thr in either average.
    fired = {}
    for i, t in zip(events.i[:], events.t[:] / ms, strict=True):
        fired.setdefault(round(t), set()).add(int(i))
    assert sorted(fired) == [200, 600]
    for step in (200, 600):
        last = step - 1  # the last step of the finished trial
        learns = (averages.avg_s_lrn[:, last] >= 0.01) | (
            averages.avg_m_lrn[:, last] >= 0.01
        )
        assert fired[step] == set(np.flatnonzero(learns))
    assert 0 < len(fired[200]) < 6  # pattern 0 leaves half of the senders silent

    # Synapses of silent senders keep their weight and their last change.
    i = np.asarray(synapses.i[:])
    silent = ~np.isin(i, sorted(fired[200]))
    np.testing.assert_array_equal(weights.lwt[silent, 200], weights.lwt[silent, 199])
    np.testing.assert_array_equal(weights.dwt[silent, 200], weights.dwt[silent, 199])
    assert np.any(weights.lwt[~silent, 200] != weights.lwt[~silent, 199])


def test_target_clamped_in_training_plus_phase():
    network, _ = run_small([0, 1, 0], [True, True, False])
    act_p = network.trial_records()["out"]["act_p"]
    for trial, pattern in ((0, 0), (1, 1)):
        on = TARGETS[pattern] > 0.5
        assert act_p[trial, on].min() > 0.3
        assert act_p[trial, ~on].max() < 0.05
    # Test trial: the target is free, so act_p is not the clamped pattern.
    assert not np.allclose(act_p[2], act_p[0], atol=0.05)


def pool_spec(gi):
    return NetworkSpec(
        layers=[
            LayerSpec("inp", 6, "input", expected_activity=0.5),
            LayerSpec(
                "hid", 20, "hidden", expected_activity=0.2, inhibition={"gi": gi}
            ),
        ],
        projections=[ProjectionSpec("inp", "hid", learn=False)],
        gabab=False,
    )


def test_stronger_inhibition_lowers_activity_and_pool_follows_fffb():
    rates = {}
    for gi in (1.0, 2.0):
        prefs.codegen.target = "numpy"
        spec = pool_spec(gi)
        schedule = Schedule(INPUTS, TARGETS[:, :1], [0], [False])
        network = LayeredNetwork(spec, schedule, initial_state(spec, seed=1))
        layer = network.layers["hid"]
        record = StateMonitor(
            layer.pool,
            ["ge_mean", "act_mean", "act_avg", "fbi", "g_i_pool"],
            record=True,
            when="end",
        )
        spikes = StateMonitor(layer.group, ["spike"], record=True, when="end")
        network.network.add(record, spikes)
        network.network.run(199 * ms)  # inside one trial: no decay
        rates[gi] = spikes.spike[:].sum()

        # Recompute the pool from its recorded inputs with the FFFB recurrence.
        p = layer.inhibition
        ge = record.ge_mean[0] / nS
        act = record.act_mean[0]
        act_avg, fbi = record.act_avg[0][0], record.fbi[0][0] / nS
        expected = [record.g_i_pool[0][0] / nS]
        for step in range(1, len(ge)):
            act_avg += (act[step] - act_avg) / float(p["tau_act_avg"] / ms)
            ffi = p["ff"] * max(ge[step] - p["ff0"] / nS, 0)
            ffi += p["ffex"] * max(ge[step] - p["ffex0"] / nS, 0)
            fbi += (p["fb"] / nS * act_avg - fbi) / float(p["tau_fb"] / ms)
            expected.append(p["gi"] * max(ffi + fbi, p["g_bg"] / nS))
        np.testing.assert_allclose(record.g_i_pool[0] / nS, expected, rtol=1e-9)
        assert record.g_i_pool[0].max() > 0
    assert rates[1.0] > 0
    assert rates[2.0] < 0.8 * rates[1.0]


def test_reciprocal_projections_start_symmetric():
    spec = ra25_spec()
    state = initial_state(spec, seed=4)
    for forward, back, shape in (
        ("hidden1_to_hidden2", "hidden2_to_hidden1", (100, 100)),
        ("hidden2_to_output", "output_to_hidden2", (100, 25)),
    ):
        for variable in ("wt", "swt", "lwt"):
            np.testing.assert_array_equal(
                state[f"{back}.{variable}"].reshape(shape[::-1]),
                state[f"{forward}.{variable}"].reshape(shape).T,
            )
    # Target receivers keep all the variance in lwt (swt = 0.5).
    assert np.all(state["hidden2_to_output.swt"] == 0.5)
    assert state["input_to_hidden1.swt"].std() > 0.05


@pytest.mark.parametrize(
    ("neuron", "kna", "present"),
    [("spiking", None, True), ("spiking", False, False), ("rate", None, False)],
)
def test_kna_flag_sets_layer_adaptation(neuron, kna, present):
    prefs.codegen.target = "numpy"
    spec = small_spec(neuron=neuron, kna=kna)
    schedule = Schedule(INPUTS, TARGETS, [0], [True])
    network = LayeredNetwork(spec, schedule, initial_state(spec, seed=3))
    for layer in network.layers.values():
        assert ("g_kna_fast" in layer.group.variables) is present


def test_input_layers_lack_nmda():
    # Nothing projects into an input layer, so its NMDA state would stay 0.
    prefs.codegen.target = "numpy"
    spec = small_spec(parameters={"tau_nmda": 80 * ms})
    schedule = Schedule(INPUTS, TARGETS, [0], [True])
    network = LayeredNetwork(spec, schedule, initial_state(spec, seed=3))
    assert "nmda" not in network.layers["inp"].group.variables
    assert "nmda" in network.layers["out"].group.variables
    # The network-wide value reaches the layers that have the channel.
    assert network.layers["out"].model.values["tau_nmda"] == 80 * ms

    # An NMDA value given to the input layer itself is an error.
    layers = [
        LayerSpec("inp", 6, "input", 0.5, parameters={"tau_nmda": 80 * ms}),
        LayerSpec("out", 4, "target", 0.5),
    ]
    with pytest.raises(ParameterError, match="tau_nmda"):
        LayeredNetwork(small_spec(layers=layers), schedule, None)

    # Without NMDA anywhere, a network-wide NMDA value is still an error.
    spec = small_spec(nmda=False, parameters={"tau_nmda": 80 * ms})
    with pytest.raises(ParameterError, match="tau_nmda"):
        LayeredNetwork(spec, schedule, None)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("nmda", "no", "True or False"),
        ("kna", 0, "True, False or None"),
        ("neuron", "adex", "spiking"),
    ],
)
def test_spec_rejects_invalid_switches(field, value, expected):
    with pytest.raises(ValueError, match=f"Invalid {field}=?.*{expected}"):
        small_spec(**{field: value})


def test_spec_accepts_numpy_booleans():
    assert not small_spec(nmda=np.False_).nmda


def test_unknown_layer_in_projection_is_named():
    with pytest.raises(ValueError, match="'hiden'.*Did you mean 'hid'"):
        NetworkSpec(
            layers=[LayerSpec("inp", 2, "input"), LayerSpec("hid", 2, "hidden")],
            projections=[ProjectionSpec("inp", "hiden")],
        )


def test_bad_training_arguments_name_the_value(tmp_path):
    spec = small_spec()

    def epoch(epoch, seed):
        return np.arange(3), np.ones(3, dtype=bool)

    task = Task("toy", INPUTS, TARGETS, "inp", "out", epoch)
    with pytest.raises(ValueError, match="-2"):
        train(spec, task, epochs=-2, device_name="numpy")
    with pytest.raises(ValueError, match="'gpu'"):
        train(spec, task, epochs=1, device_name="gpu")
    wrong = Task("toy", INPUTS[:, :5], TARGETS, "inp", "out", epoch)
    with pytest.raises(ValueError, match=r"\(3, 5\).*\(n_patterns, 6\)"):
        train(spec, wrong, epochs=1, device_name="numpy")


def hidden_spec(**hidden_parameters):
    """Return an input -> hidden network, whose hidden layer adapts slowly."""
    return NetworkSpec(
        layers=[
            LayerSpec("inp", 6, "input", expected_activity=0.5),
            LayerSpec(
                "hid",
                8,
                "hidden",
                expected_activity=0.25,
                parameters=hidden_parameters,
            ),
        ],
        projections=[ProjectionSpec("inp", "hid")],
        learning={"lrate": 0.2},
    )


def test_slow_adaptation_runs_every_interval():
    prefs.codegen.target = "numpy"
    spec = hidden_spec()
    schedule = Schedule(INPUTS, TARGETS, [0, 1, 2, 0], [True] * 4, slow_interval=2)
    np.testing.assert_array_equal(schedule.slow_adapt.values, [0, 0, 1, 0, 1])
    network = LayeredNetwork(spec, schedule, initial_state(spec, seed=2))
    swt = StateMonitor(
        network.projections["inp_to_hid"], ["swt", "dswt"], record=True, when="end"
    )
    network.network.add(swt)
    network.network.run(schedule.duration)

    # swt changes only in the first step after the 2nd and the 4th trial.
    starts = [200 * k for k in range(1, 5)]
    changed = [
        not np.array_equal(swt.swt[:, step], swt.swt[:, step - 1]) for step in starts
    ]
    assert changed == [False, True, False, True]
    assert np.all(swt.swt[:, :199] == swt.swt[:, :1])
    assert np.abs(swt.swt[:, 800] - swt.swt[:, 799]).max() > 1e-5
    # The accumulated change is used up by each slow step.
    assert np.abs(swt.dswt[:, 399]).max() > 0
    assert np.all(swt.dswt[:, 400] == 0)


@pytest.mark.parametrize("follows", [0.0, 1.0])
def test_scaling_follows_lrate_schedule(follows):
    prefs.codegen.target = "numpy"
    spec = hidden_spec(syn_scale_sched=follows)

    # Slow adaptation runs after every trial, and the second trial has
    # learning rate 0.
    schedule = Schedule(
        INPUTS, TARGETS, [0, 1, 2], [True] * 3, slow_interval=1, lrate_sched=[1, 0, 0]
    )
    network = LayeredNetwork(spec, schedule, initial_state(spec, seed=2))
    weights = StateMonitor(
        network.projections["inp_to_hid"], ["lwt"], record=True, when="end"
    )
    network.network.add(weights)
    network.network.run(schedule.duration)

    # The slow step after the first trial scales the weights in both cases.
    after_first = np.abs(weights.lwt[:, 200] - weights.lwt[:, 199]).max()
    assert after_first > 1e-6

    # After the second trial (learning rate 0) only the reference form does.
    after_second = np.abs(weights.lwt[:, 400] - weights.lwt[:, 399]).max()
    if follows:
        assert after_second < 1e-12
    else:
        assert after_second > 1e-6
