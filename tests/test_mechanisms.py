"""Each mechanism against independently computed values."""

import numpy as np
import pytest
from brian2 import (
    Hz,
    Network,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    TimedArray,
    ms,
    mV,
    nS,
    prefs,
    second,
)
from scipy.optimize import brentq

from equations import fffb_pool, neuron_model, to_normalised_conductance
from equations.gabab import gabab_channel
from equations.ratecode import nxx1, nxx1_expression
from equations.units import CYCLE
from equations.xcal import LEARNING_PARAMETERS, xcal, xcal_expression
from tests.reference_neuron import count_spikes, gabab_trace

pytestmark = pytest.mark.usefixtures("numpy_target")


@pytest.fixture
def numpy_target():
    prefs.codegen.target = "numpy"


def clamped_neuron(n, g_e_values, name="neuron", **options):
    model = neuron_model(
        nmda=False, gabab=False, kna=False, pool="parameter", **options
    )
    group = model.make_group(n, name)
    group.clamp_on = 1
    group.ext = np.asarray(g_e_values / model.values["g_clamp"], dtype=float)
    return model, group


def rheobase_conductance(g_l=20.0, e_l=-70.0, e_e=0.0, v_t=-50.0, delta_t=2.0):
    """Smallest constant g_e (nS) without a stable rest state (continuous AdEx)."""

    def net_at_peak(g_e):
        v_peak = v_t + delta_t * np.log1p(g_e / g_l)
        return g_l * (e_l - v_peak) + (g_l + g_e) * delta_t + g_e * (e_e - v_peak)

    return brentq(net_at_peak, 1e-6, 100.0)


def test_rheobase_between_below_and_above():
    g_rh = rheobase_conductance()
    _, group = clamped_neuron(2, np.array([0.97, 1.03]) * g_rh * nS)
    spikes = SpikeMonitor(group)
    Network(group, spikes).run(1 * second)
    counts = spikes.count[:]
    assert counts[0] == 0
    assert counts[1] > 0


def test_fi_curve_matches_reference_update():
    g_values = np.array([3.0, 4.0, 6.0, 10.0, 20.0, 40.0])
    _, group = clamped_neuron(len(g_values), g_values * nS)
    spikes = SpikeMonitor(group)
    Network(group, spikes).run(500 * ms)
    expected = [count_spikes(to_normalised_conductance(g * nS), 500) for g in g_values]
    np.testing.assert_array_equal(spikes.count[:], expected)
    assert np.all(np.diff(expected) >= 0)
    assert expected[-1] > 20


def test_mg_block_curve():
    model = neuron_model(gabab=False, kna=False, clamped=False, pool="parameter")
    group = model.make_group(5, "mg")
    voltages = np.array([-90, -70, -50, -30, 0]) * mV
    group.v_dend = voltages
    expected = 1 / (1 + 0.28 * np.exp(-0.062 * np.asarray(voltages / mV)))
    np.testing.assert_allclose(group.mg_block[:], expected, rtol=1e-12)
    np.testing.assert_allclose(
        group.mg_block[:], [0.013, 0.044, 0.139, 0.357, 0.781], atol=5e-4
    )


def test_mg_block_clipped_above_zero():
    model = neuron_model(gabab=False, kna=False, clamped=False, pool="parameter")
    group = model.make_group(2, "mg_clip")
    group.v_dend = [0, 20] * mV
    assert group.mg_block[0] == group.mg_block[1]


def gabab_group(gi_values_ns, name="gabab_only"):
    mechanism = gabab_channel()
    values = mechanism.parameters.defaults()
    values.update(mechanism.derived(values))
    drive = TimedArray(np.asarray(gi_values_ns) * nS, dt=1 * ms)
    group = NeuronGroup(
        1,
        "g_i : siemens\nv_dend : volt\n" + mechanism.equations,
        namespace={**values, "cycle": CYCLE, "drive": drive},
        name=name,
    )
    group.v_dend = -70 * mV
    group.run_regularly("g_i = drive(t)", when="start")
    group.run_regularly(mechanism.code["membrane"], when="groups")
    return group


def test_gabab_time_course_after_burst():
    gi = [100.0] * 10 + [0.0] * 290
    group = gabab_group(gi)
    monitor = StateMonitor(group, "g_gabab", record=0, when="end")
    Network(group, monitor).run(len(gi) * ms)
    expected = np.array(gabab_trace([g / 100 for g in gi])) * 100
    np.testing.assert_allclose(monitor.g_gabab[0] / nS, expected, rtol=1e-9)


def test_gabab_peak_time_and_baseline():
    pulse = gabab_group([100.0] + [0.0] * 199, name="gabab_pulse")
    baseline = gabab_group([0.0] * 200, name="gabab_baseline")
    monitors = [StateMonitor(g, "g_gabab", record=0) for g in (pulse, baseline)]
    Network(pulse, baseline, *monitors).run(200 * ms)
    response = monitors[0].g_gabab[0] - monitors[1].g_gabab[0]
    # The analytic peak of the bi-exponential after an impulse is 47.4 ms.
    assert abs(int(np.argmax(response)) - 47.4) <= 2
    # With no inhibition the activation settles near g = F * 0.0062 * 50.
    group = gabab_group([0.0] * 2000)
    Network(group).run(2000 * ms)
    assert group.gabab_x[0] == pytest.approx(0.31, abs=0.01)
    assert group.gabab_g[0] == pytest.approx(0.80, abs=0.02)


XCAL_CASES = [
    # x, theta, expected f (d_thr 1e-4, d_rev 0.1)
    (5e-5, 0.5, 0.0),  # below d_thr
    (0.03, 0.5, -0.27),  # reversal branch: -x (1 - d_rev) / d_rev
    (0.05, 0.5, -0.45),  # the two branches meet at d_rev * theta
    (0.2, 0.5, -0.3),  # linear branch, x < theta: depression
    (0.8, 0.5, 0.3),  # linear branch, x > theta: potentiation
]


def test_xcal_expression_on_each_branch():
    group = NeuronGroup(
        len(XCAL_CASES),
        f"x : 1\ntheta : 1\nf = {xcal_expression('x', 'theta')} : 1",
        namespace=LEARNING_PARAMETERS.defaults(),
        name="xcal_points",
    )
    group.x = [case[0] for case in XCAL_CASES]
    group.theta = [case[1] for case in XCAL_CASES]
    expected = [case[2] for case in XCAL_CASES]
    np.testing.assert_allclose(group.f[:], expected, atol=1e-12)
    np.testing.assert_allclose(xcal(group.x[:], group.theta[:]), expected, atol=1e-12)


def test_fffb_steady_state():
    mechanism = fffb_pool()
    values = mechanism.parameters.resolve({"gi": 1.2, "g_bg": 5 * nS})
    pool = NeuronGroup(2, mechanism.equations, namespace=values, name="pool_only")
    pool.run_regularly(mechanism.code["pool"], when="groups")
    pool.ge_mean = [30, 5] * nS
    pool.act_mean = [0.2, 0.0]
    Network(pool).run(500 * ms)
    # ffi = ff*(30 - 10) nS, fbi = fb*act = 100 nS*0.2: gi*(20 + 20) nS.
    assert pool.g_i_pool[0] / nS == pytest.approx(1.2 * 40, rel=1e-6)
    # Below ff0 and without activity the floor g_bg applies.
    assert pool.g_i_pool[1] / nS == pytest.approx(1.2 * 5, rel=1e-6)


def test_nxx1_expression_matches_numpy():
    model = neuron_model("rate", pool="parameter")
    x = np.array([-0.02, -0.005, 0.0, 0.004, 0.01, 0.02, 0.2, 1.0])
    group = NeuronGroup(
        len(x), f"x : 1\ny = {nxx1_expression('x')} : 1", namespace=model.namespace()
    )
    group.x = x
    np.testing.assert_allclose(group.y[:], nxx1(x), rtol=1e-12)
    assert np.all(np.diff(nxx1(x)) > 0)
    # Far above threshold NXX1 approaches x/(x+1) with the full gain.
    assert nxx1(1.0) == pytest.approx(100 / 101, rel=1e-9)


def test_rate_neuron_activity_rises_with_input():
    model, group = clamped_neuron(3, np.array([5.0, 15.0, 40.0]) * nS, kind="rate")
    Network(group).run(200 * ms)
    act = group.act[:]
    assert act[0] < 0.05
    assert 0.1 < act[1] < act[2] <= 1.0


def test_spiking_act_tracks_rate():
    _, group = clamped_neuron(1, np.array([40.0]) * nS)
    spikes = SpikeMonitor(group)
    Network(group, spikes).run(1 * second)
    rate = spikes.count[0] / second
    assert group.act[0] == pytest.approx(float(rate / (180 * Hz)), rel=0.1)
