"""Spike-driven running averages used by XCAL learning.

Three cascaded exponential averages of the neuron's spiking (reference
axon/learn.go LrnActAvgParams, v1.2.94), updated every step after the spike
test and never reset between trials::

    avg_ss <- avg_ss + (avg_drive - avg_ss) dt/tau_ss     (avg_drive = 8 spike)
    avg_s  <- avg_s + (avg_ss - avg_s) dt/tau_s
    avg_m  <- avg_m + (avg_s - avg_m) dt/tau_m

At a steady rate r, avg_ss settles at 8 x (spikes per ms) = r/125 Hz, so
50 Hz gives 0.4. ``avg_s`` follows the recent outcome, ``avg_m`` the slower
expectation. The learning values zero both when both are below ``min_lrn``
and mix a fraction ``lrn_m`` of the medium average into the short one. They
are state variables, updated every step, so that synapses can read them
without the neurons' constants.
"""

from brian2 import ms

from .mechanism import Mechanism
from .parameters import Parameter, ParameterSet
from .xcal import RLRATE_PARAMETERS

__all__ = ["running_averages", "SPIKE_DRIVE"]

PARAMETERS = (
    ParameterSet(
        [
            Parameter(
                "tau_ss", 40 * ms, "super-short average time constant (SSTau)", True
            ),
            Parameter("tau_s", 10 * ms, "short average time constant (STau)", True),
            Parameter("tau_m", 40 * ms, "medium average time constant (MTau)", True),
            Parameter("spike_gain", 8.0, "increment scale of one spike (SpikeG)"),
            Parameter("min_lrn", 0.02, "below this, both learning averages are 0"),
            Parameter("lrn_m", 0.1, "share of avg_m in avg_s_lrn (LrnM)"),
            Parameter("avg_init", 0.15, "initial value of all three averages (Init)"),
        ]
    )
    + RLRATE_PARAMETERS
)

#: Drive of the averages for spiking neurons.
SPIKE_DRIVE = "spike_gain*spike"


def running_averages(drive: str = SPIKE_DRIVE) -> Mechanism:
    """Return the running-average mechanism.

    Parameters
    ----------
    drive : str
        Dimensionless expression the averages follow: ``spike_gain*spike``
        for spiking neurons, a scaled activity for rate-code neurons.
    """
    equations = f"""
avg_ss : 1   # super-short running average of the drive
avg_s : 1    # short running average: the outcome
avg_m : 1    # medium running average: the expectation
rl_rate : 1  # receiver learning-rate factor, set once per trial (RLrate)
avg_s_lrn : 1  # learning value of avg_s (0 while both averages are low)
avg_m_lrn : 1  # learning value of avg_m
avg_drive = {drive} : 1
"""
    code = """
avg_ss += (avg_drive - avg_ss)*dt/tau_ss
avg_s += (avg_ss - avg_s)*dt/tau_s
avg_m += (avg_s - avg_m)*dt/tau_m
lrn_on = int(avg_s >= min_lrn or avg_m >= min_lrn)
avg_m_lrn = lrn_on*avg_m
avg_s_lrn = (1 - lrn_m)*lrn_on*avg_s + lrn_m*avg_m_lrn
"""
    return Mechanism(
        name="averages",
        equations=equations,
        parameters=PARAMETERS,
        code={"membrane": code},
    )
