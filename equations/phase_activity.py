"""Phase activity: the activity integrated over each phase of a trial.

The reference summarises each phase by a time integral of ``act`` (axon
v1.2.94, ActInt with Dt.IntTau), reset to 0 at the start of every trial::

    act_int <- act_int + (act - act_int) dt/tau_int    (rate x 3 in the plus phase)

``act_m`` is ``act_int`` at the end of the minus phase (the network's
prediction) and ``act_p`` at the end of the plus phase (the outcome). Errors,
the cosine difference and the target-average activity are computed from them.
At the end of the minus phase a target layer also restarts its rate estimate
(isi, isi_avg = -1 ms) and its integral, so that ``act_p`` measures the clamped
plus phase only.

The mechanism reads the phase of the trial from names the layer defines (the
phase controller's ``step_in_trial`` and ``plus_phase``, and the constant
``minus_steps``). ``act_p`` is written by the trial-level code, which runs in
the first step of the next trial, before the trial-boundary decay.
"""

from brian2 import ms

from .mechanism import DecayRule, Mechanism
from .parameters import Parameter, ParameterSet

__all__ = ["phase_activity"]

PARAMETERS = ParameterSet(
    [
        Parameter("tau_int", 40 * ms, "time constant of act_int (Dt.IntTau)", True),
        Parameter("plus_int_gain", 3.0, "act_int rate factor in the plus phase", True),
    ]
)


def phase_activity(target: bool = False, spiking: bool = True) -> Mechanism:
    """Return the phase-activity mechanism.

    Parameters
    ----------
    target : bool
        Whether the layer is a target layer, which restarts its integral (and
        the rate estimate of spiking neurons) at the end of the minus phase.
    spiking : bool
        Whether the neurons are spiking (they have an ISI rate estimate).
    """
    equations = """
act_int : 1   # act integrated since the start of the trial (or phase)
act_m : 1     # act_int at the end of the minus phase (prediction)
act_p : 1     # act_int at the end of the plus phase (outcome)
minus_end = int(step_in_trial == minus_steps - 1) : 1
"""
    code = """
act_int += (act - act_int)*(1 + (plus_int_gain - 1)*plus_phase)*dt/tau_int
act_m = minus_end*act_int + (1 - minus_end)*act_m
"""
    if target:
        code += """
act_int = (1 - minus_end)*act_int
"""
    if target and spiking:
        code += """
isi = minus_end*(-1*ms) + (1 - minus_end)*isi
isi_avg = minus_end*(-1*ms) + (1 - minus_end)*isi_avg
"""
    return Mechanism(
        name="phase_activity",
        equations=equations,
        parameters=PARAMETERS,
        code={"membrane": code},
        decay=(DecayRule("act_int", "0", "reset"),),
    )
