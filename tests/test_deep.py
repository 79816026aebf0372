"""Deep predictive layers: burst and context timing, context learning, pulvinar drive.

Each mechanism runs on a small network with the numpy target and is checked
against an independent numpy computation from the monitored state.
"""

import numpy as np
import pytest
from brian2 import StateMonitor, nS, prefs

from equations import neuron_model
from equations.deep import burst, layer_max
from equations.xcal import xcal
from models.network import LayeredNetwork, initial_state
from models.projection import projection_scale
from models.schedule import Schedule
from models.spec import LayerSpec, NetworkSpec, ProjectionSpec, WeightInit

INPUTS = np.eye(4)[[0, 1, 2]]
TRIAL = 200
MINUS = 150


def deep_spec(**overrides) -> NetworkSpec:
    """A small network with one layer of each deep kind."""
    fields = {
        "layers": [
            LayerSpec("inp", 4, "input", expected_activity=0.25),
            LayerSpec("inpp", 4, "pulvinar", 0.25, driver="inp"),
            LayerSpec("sup", 6, "super", expected_activity=0.25),
            LayerSpec(
                "ct",
                6,
                "ct",
                expected_activity=0.25,
                parameters={"decay_act": 0.0, "decay_glong": 0.0, "ctxt_gain": 1.0},
            ),
        ],
        "projections": [
            ProjectionSpec("inp", "sup"),
            ProjectionSpec("ct", "inpp"),
            ProjectionSpec("inpp", "sup", rel=0.2),
            ProjectionSpec("inpp", "ct", rel=0.1),
            ProjectionSpec("sup", "ct", one_to_one=True, context=True),
            ProjectionSpec("ct", "ct", context=True),
        ],
        "learning": {"lrate": 0.2},
        "weights": WeightInit(spct=1.0),
    }
    fields.update(overrides)
    return NetworkSpec(**fields)


def run_deep(patterns, monitors, inputs=INPUTS, state=None, spec=None):
    """Run the small network on numpy; return the network and its monitors.

    ``monitors`` maps a name to ``(owner, variables)``, with owner a layer,
    ``"<layer>_pool"`` or a projection name; each records every step at the
    end of the step.
    """
    prefs.codegen.target = "numpy"
    spec = spec or deep_spec()
    schedule = Schedule(inputs, inputs, patterns, [True] * len(patterns))
    initial = initial_state(spec, seed=5)
    initial.update(state or {})
    network = LayeredNetwork(spec, schedule, initial)
    recorders = {}
    for name, (owner, variables) in monitors.items():
        if owner in network.projections:
            group = network.projections[owner]
        elif owner.endswith("_pool"):
            group = network.layers[owner.removesuffix("_pool")].pool
        else:
            group = network.layers[owner].group
        recorders[name] = StateMonitor(group, variables, record=True, when="end")
    network.network.add(*recorders.values())
    network.network.run(schedule.duration)
    return network, recorders


def synapse_matrix(network, projection, values):
    """Return per-synapse ``values`` as a (sender, receiver) matrix."""
    synapses = network.projections[projection]
    n_send = len(synapses.source)
    n_receive = len(synapses.target)
    matrix = np.zeros((n_send, n_receive))
    matrix[np.asarray(synapses.i[:]), np.asarray(synapses.j[:])] = values
    return matrix


def test_context_from_last_plus_phase():
    monitors = {
        "sup": ("sup", ["act", "burst_prv"]),
        "pool": ("sup_pool", ["act_avg"]),
        "ct": ("ct", ["act", "ctxt_ge"]),
        "one_to_one": ("sup_to_ct", ["wt"]),
        "full": ("ct_to_ct", ["wt"]),
    }
    network, m = run_deep([0, 1, 2, 0], monitors)
    spec = network.spec
    scale_one = projection_scale(6, 0.25, 1, rel=1, rel_total=2.1)
    scale_full = projection_scale(6, 0.25, 6, rel=1, rel_total=2.1)

    contexts = []
    for k in (1, 2, 3):
        end = k * TRIAL - 1  # last plus-phase step of trial k - 1
        during = m["ct"].ctxt_ge[:, k * TRIAL : (k + 1) * TRIAL]
        # Held fixed through the whole trial.
        np.testing.assert_array_equal(during, during[:, :1] * np.ones((1, TRIAL)))

        b = burst(m["sup"].act[:, end], m["pool"].act_avg[0, end])
        sent_sup = np.where(b > 0.1, b, 0)
        act_ct = m["ct"].act[:, end]
        sent_ct = np.where(act_ct > 0.1, act_ct, 0)
        # The weights of the finished trial: its change comes after sending.
        one_to_one = synapse_matrix(network, "sup_to_ct", m["one_to_one"].wt[:, end])
        full = synapse_matrix(network, "ct_to_ct", m["full"].wt[:, end])
        expected = scale_one * sent_sup @ one_to_one + scale_full * sent_ct @ full
        np.testing.assert_allclose(during[:, 0] / (100 * nS), expected, atol=1e-12)

        # The burst kept for learning is the decayed burst of trial k - 1.
        decay = spec.layer("sup").parameters.get("decay_act", 0.2)
        np.testing.assert_allclose(
            m["sup"].burst_prv[:, k * TRIAL], (1 - decay) * b, atol=1e-12
        )
        contexts.append(during[:, 0])
    # The check compared real, changing contexts.
    assert max(np.abs(c).max() for c in contexts) > 1 * nS
    assert np.abs(contexts[1] - contexts[0]).max() > 0.1 * nS


def test_input_layer_sends_context():
    spec = deep_spec()
    spec = NetworkSpec(
        layers=spec.layers,
        projections=[*spec.projections, ProjectionSpec("inp", "ct", context=True)],
        learning=spec.learning,
        weights=spec.weights,
    )
    monitors = {
        "inp": ("inp", ["act", "act_prv", "avg_m"]),
        "ct": ("ct", ["ctxt_ge", "act"]),
        "inp_ct": ("inp_to_ct", ["wt", "lwt"]),
        "sup_ct": ("sup_to_ct", ["wt"]),
        "ct_ct": ("ct_to_ct", ["wt"]),
        "sup": ("sup", ["act"]),
        "pool": ("sup_pool", ["act_avg"]),
    }
    network, m = run_deep([0, 1, 2, 0], monitors, spec=spec)
    rel_total = 3.1  # sup, ct and inp context (1 each), inpp -> ct (0.1)
    scale_one = projection_scale(6, 0.25, 1, rel=1, rel_total=rel_total)
    scale_ct = projection_scale(6, 0.25, 6, rel=1, rel_total=rel_total)
    scale_inp = projection_scale(4, 0.25, 4, rel=1, rel_total=rel_total)

    for k in (1, 2, 3):
        end = k * TRIAL - 1
        b = burst(m["sup"].act[:, end], m["pool"].act_avg[0, end])
        act_ct = m["ct"].act[:, end]
        act_inp = m["inp"].act[:, end]
        sent = {
            "sup_to_ct": (scale_one, np.where(b > 0.1, b, 0), "sup_ct"),
            "ct_to_ct": (scale_ct, np.where(act_ct > 0.1, act_ct, 0), "ct_ct"),
            "inp_to_ct": (scale_inp, np.where(act_inp > 0.1, act_inp, 0), "inp_ct"),
        }
        expected = sum(
            scale * values @ synapse_matrix(network, name, m[key].wt[:, end])
            for name, (scale, values, key) in sent.items()
        )
        context = m["ct"].ctxt_ge[:, k * TRIAL] / (100 * nS)
        np.testing.assert_allclose(context, expected, atol=1e-12)

        # The input sends its clamped pattern and keeps avg_m for learning.
        assert act_inp[INPUTS[[0, 1, 2, 0][k - 1]] > 0].min() > 0.5
        np.testing.assert_allclose(
            m["inp"].act_prv[:, k * TRIAL], m["inp"].avg_m[:, k * TRIAL - 1]
        )

    # The input's context weights learn.
    lwt = m["inp_ct"].lwt
    assert np.abs(lwt[:, -1] - lwt[:, 0]).max() > 1e-3


def test_context_from_hidden_layer_rejected():
    spec = deep_spec()
    layers = [*spec.layers, LayerSpec("hid", 4, "hidden", expected_activity=0.25)]
    projections = [
        *spec.projections,
        ProjectionSpec("inp", "hid"),
        ProjectionSpec("hid", "ct", context=True),
    ]
    with pytest.raises(ValueError, match="from a hidden layer to a ct layer"):
        NetworkSpec(layers=layers, projections=projections)


def test_sends_context_rejected_for_ct():
    with pytest.raises(ValueError, match="sends_context=True for a ct layer"):
        neuron_model(deep="ct", sends_context=True)


def test_context_learning_previous_sender_value():
    monitors = {
        "ct": ("ct", ["act_prv", "avg_s_lrn", "avg_m_lrn", "avg_s", "avg_m"]),
        "full": ("ct_to_ct", ["lwt"]),
        "one_to_one": ("sup_to_ct", ["lwt"]),
    }
    network, m = run_deep([0, 1, 2, 0, 1, 2], monitors)
    lrate = 0.2
    changed = 0
    for k in range(1, 6):
        end = k * TRIAL - 1
        s = m["ct"].act_prv[:, end]
        post_s = m["ct"].avg_s_lrn[:, end]
        post_m = m["ct"].avg_m_lrn[:, end]
        lwt = synapse_matrix(network, "ct_to_ct", m["full"].lwt[:, end])
        f = xcal(np.outer(s, post_s), np.outer(s, post_m))
        dwt = lrate * np.where(f > 0, f * (1 - lwt), f * lwt)  # no RLrate
        dwt[np.abs(dwt) <= 1e-4 * lrate] = 0
        nonzero = dwt != 0
        mean = dwt.sum(axis=0) / np.maximum(nonzero.sum(axis=0), 1)
        dwt = np.where(nonzero, dwt - mean, 0)  # zero sum per receiver
        expected = np.clip(lwt + dwt, 0, 1)
        after = synapse_matrix(network, "ct_to_ct", m["full"].lwt[:, end + 1])
        np.testing.assert_allclose(after, expected, atol=1e-12)
        changed += np.count_nonzero(dwt)
        # One synapse per receiver: the zero-sum step leaves nothing to learn.
        one_to_one = m["one_to_one"].lwt
        np.testing.assert_array_equal(one_to_one[:, end + 1], one_to_one[:, end])
    assert changed > 10


def test_pulvinar_reads_last_driver_step():
    monitors = {
        "inp": ("inp", ["act"]),
        "inpp": ("inpp", ["drive_act", "drive_max"]),
    }
    _, m = run_deep([0, 1], monitors)
    # The act of the previous step, after the trial-start decay (0.2) where a
    # trial begins, as the reference's first cycle reads it after NewState.
    act = m["inp"].act[:, :-1].copy()
    starts = np.arange(1, act.shape[1] + 1) % TRIAL == 0
    act[:, starts] *= 0.8
    np.testing.assert_allclose(m["inpp"].drive_act[:, 1:], act, rtol=1e-12)
    expected_max = np.array([layer_max(act[:, t]) for t in range(act.shape[1])])
    np.testing.assert_allclose(m["inpp"].drive_max[0, 1:], expected_max, rtol=1e-12)
    np.testing.assert_allclose(expected_max, act.max(axis=0), rtol=1e-12)
    assert expected_max.max() > 0.6  # the clamped input drives fully


#: Context of the deep layer at the start (nS): two of its units fire in both
#: phases, enough to drive the pulvinar without silencing the layer.
CONTEXT = np.array([20, 0, 0, 10, 0, 0])


def pulvinar_g_e(inputs, context):
    """Return the pulvinar's g_e (nS), the driver max and ct's plus spikes.

    Only trial 0 runs, with ``context`` (nS) as the deep layer's context.
    """
    state = {"ct.ctxt_ge": np.asarray(context, dtype=float) * 1e-9}
    monitors = {"inpp": ("inpp", ["g_e", "drive_max"]), "ct": ("ct", ["spike"])}
    _, m = run_deep([0], monitors, inputs=inputs, state=state)
    plus_spikes = m["ct"].spike[:, MINUS:TRIAL].sum()
    return m["inpp"].g_e[:, :TRIAL] / nS, m["inpp"].drive_max[0, :TRIAL], plus_spikes


def test_strong_driver_replaces_prediction():
    silent, _, _ = pulvinar_g_e(INPUTS, 0 * CONTEXT)
    predicted, drive_max, ct_spikes = pulvinar_g_e(INPUTS, CONTEXT)
    other_input, _, _ = pulvinar_g_e(INPUTS[[1, 2, 0]], CONTEXT)
    minus = slice(0, MINUS)
    late_plus = slice(TRIAL - 10, TRIAL)

    # Minus phase: the context layer's prediction drives the pulvinar, and the
    # driver has no effect at all.
    assert predicted[:, minus].max() > 5 + silent[:, minus].max()
    np.testing.assert_array_equal(other_input[:, minus], predicted[:, minus])
    assert not np.allclose(other_input[:, late_plus], predicted[:, late_plus])

    # Plus phase with a driver above full_drive_act: the context layer still
    # fires, but its input is gone. Both runs get the same drive, so their
    # difference is what is left of the minus phase and only decays, by
    # 1 - dt/tau_e = 0.8 per step.
    assert ct_spikes >= 5
    assert drive_max[MINUS:].min() > 0.6
    assert silent[:, late_plus].max() > 5
    difference = predicted - silent
    np.testing.assert_allclose(
        difference[:, MINUS:TRIAL],
        0.8 * difference[:, MINUS - 1 : TRIAL - 1],
        rtol=1e-9,
        atol=1e-12,
    )


def test_weak_driver_leaves_part_of_prediction():
    weak = 0.2 * INPUTS
    silent, drive_max, _ = pulvinar_g_e(weak, 0 * CONTEXT)
    predicted, _, ct_spikes = pulvinar_g_e(weak, CONTEXT)
    plus = slice(MINUS + 10, TRIAL)
    assert ct_spikes >= 5
    assert 0.1 < drive_max[MINUS:].max() < 0.6
    # The driven unit has the same drive in both runs; the prediction adds.
    assert predicted[:, plus].sum() > silent[:, plus].sum() + 10


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"driver": None}, "needs the name of its driver"),
        ({"driver": "sup"}, "a super layer cannot drive"),
        ({"driver": "nowhere"}, "Unknown driver layer 'nowhere'"),
    ],
)
def test_bad_pulvinar_driver_raises(change, message):
    spec = deep_spec()
    layers = list(spec.layers)
    fields = {**layers[1].__dict__, **change}
    with pytest.raises(ValueError, match=message):
        layers[1] = LayerSpec(**fields)
        NetworkSpec(layers=layers, projections=spec.projections)


def test_bad_deep_projections_raise():
    spec = deep_spec()
    bad = (
        (ProjectionSpec("inpp", "ct", context=True), "from a pulvinar layer"),
        (ProjectionSpec("sup", "inpp", context=True), "to a pulvinar layer"),
        (ProjectionSpec("inp", "sup", one_to_one=True), "sizes 4 and 6 differ"),
    )
    for projection, message in bad:
        projections = [p for p in spec.projections if p.name != projection.name]
        with pytest.raises(ValueError, match=message):
            NetworkSpec(layers=spec.layers, projections=[*projections, projection])


def test_layer_max_handles_ties_and_zeros():
    assert layer_max([0, 0, 0]) == 0
    assert layer_max([0.2, 0.7, 0.7, 0.1]) == 0.7
    values = np.random.default_rng(2).random(50)
    assert layer_max(values) == values.max()
