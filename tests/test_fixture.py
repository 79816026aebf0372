"""The single-neuron fixture of the reference reproduces in physical units."""

import numpy as np
import pytest
from brian2 import Network, StateMonitor, TimedArray, ms, nS, prefs

from equations import neuron_model, to_normalised_conductance, to_normalised_voltage

# Cycle-by-cycle values of the reference's TestActUpdt (axon v1.2.94,
# act_test.go): default parameters, KNa on, no inhibition, no NMDA or GABA-B.
# Each cycle the next raw increment is added to a running GeRaw.
RAW_INCREMENTS = [0.01, 0.02, 0.03, 0.04, 0.05, 0.1, 0.2, 0.3, 0.2]
EXPECTED_GE = [
    0.01,
    0.038,
    0.0904,
    0.17232,
    0.287856,
    0.48028478,
    0.8342278,
    1.4173822,
    2.0839057,
]
EXPECTED_VM = [
    0.3023981,
    0.311269,
    0.33152068,
    0.3677046,
    0.42246217,
    0.5018446,
    0.65476626,
    0.3,
    0.3,
]
EXPECTED_SPIKE = [0, 0, 0, 0, 0, 0, 0, 1, 0]


def run_fixture(target):
    prefs.codegen.target = target
    model = neuron_model(nmda=False, gabab=False, clamped=False, pool="parameter")
    neuron = model.make_group(1, "fixture")
    raw = TimedArray(np.cumsum(RAW_INCREMENTS) * 100 * nS, dt=1 * ms)
    neuron.run_regularly("g_e_raw = raw(t)", when="start", name="fixture_drive")
    monitor = StateMonitor(neuron, ["g_e", "v", "spike"], record=0, when="end")
    net = Network(neuron, monitor)
    net.run(len(RAW_INCREMENTS) * ms, namespace={"raw": raw})
    return monitor


@pytest.mark.parametrize("target", ["numpy", "cython"])
def test_fixture_matches_reference(target):
    monitor = run_fixture(target)
    ge = to_normalised_conductance(monitor.g_e[0])
    vm = to_normalised_voltage(monitor.v[0])
    np.testing.assert_allclose(ge, EXPECTED_GE, atol=1e-5, rtol=0)
    np.testing.assert_allclose(vm, EXPECTED_VM, atol=1e-5, rtol=0)
    np.testing.assert_array_equal(monitor.spike[0], EXPECTED_SPIKE)
