"""Parameter validation: each invalid value fails with a message naming it."""

import pytest
from brian2 import ms, mV, nS, pF

from equations import ParameterError, neuron_model
from equations.inhibition import fffb_pool
from equations.xcal import LEARNING_PARAMETERS


def test_override_applies():
    model = neuron_model(parameters={"tau_nmda": 80 * ms, "C_m": 300 * pF})
    assert model.values["tau_nmda"] == 80 * ms
    assert model.values["C_m"] == 300 * pF


def test_value_without_unit():
    with pytest.raises(ParameterError) as error:
        neuron_model(parameters={"tau_nmda": 100})
    message = str(error.value)
    assert "tau_nmda" in message
    assert "100" in message
    assert "second" in message or "ms" in message


def test_value_with_wrong_unit():
    with pytest.raises(ParameterError) as error:
        neuron_model(parameters={"E_l": -70 * nS})
    message = str(error.value)
    assert "E_l" in message
    assert "-70. nS" in message
    assert "volt" in message or "mV" in message


def test_unit_on_dimensionless_parameter():
    with pytest.raises(ParameterError, match="g_bar_nmda.*dimensionless"):
        neuron_model(parameters={"g_bar_nmda": 0.03 * nS})


@pytest.mark.parametrize("value", [0 * ms, -5 * ms])
def test_non_positive_time_constant(value):
    with pytest.raises(ParameterError) as error:
        neuron_model(parameters={"tau_e": value})
    message = str(error.value)
    assert "tau_e" in message
    assert "greater than zero" in message


def test_unknown_parameter_name():
    with pytest.raises(ParameterError) as error:
        neuron_model(parameters={"tau_nmdaa": 100 * ms})
    message = str(error.value)
    assert "Unknown parameter 'tau_nmdaa'" in message
    assert "tau_nmda" in message


def test_parameter_of_switched_off_mechanism():
    with pytest.raises(ParameterError, match="Unknown parameter 'tau_nmda'"):
        neuron_model(nmda=False, parameters={"tau_nmda": 100 * ms})


def test_nan_value():
    with pytest.raises(ParameterError, match="NaN"):
        neuron_model(parameters={"V_T": float("nan") * mV})


@pytest.mark.parametrize("value", [float("inf"), "0.1", None, True])
def test_non_finite_values_rejected(value):
    with pytest.raises(ParameterError, match="parameter 'lrate'"):
        LEARNING_PARAMETERS.resolve({"lrate": value})


def test_equal_gabab_time_constants():
    with pytest.raises(ParameterError, match="tau_gabab_rise"):
        neuron_model(parameters={"tau_gabab_rise": 50 * ms})


def test_pool_parameters_validated():
    with pytest.raises(ParameterError, match="tau_fb"):
        fffb_pool().parameters.resolve({"tau_fb": -1 * ms})


def test_unknown_kind():
    with pytest.raises(ValueError, match="'adex2'"):
        neuron_model("adex2")


def test_describe_lists_defaults():
    text = fffb_pool().parameters.describe()
    assert "ff0" in text
    assert "10. nS" in text


def test_time_step_other_than_one_ms():
    from brian2 import defaultclock, us

    defaultclock.dt = 100 * us
    model = neuron_model(pool="parameter")
    with pytest.raises(ValueError, match="defaultclock.dt = 100. us"):
        model.make_group(1, "wrong_dt")
