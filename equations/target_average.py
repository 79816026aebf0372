"""Target average activity and synaptic scaling of hidden layers.

Each hidden neuron has its own target activity level ``trg_avg`` (reference
axon v1.2.94, TrgAvgActParams), initially spread evenly over [0.5, 2] in a
random order, so that the layer's units take different shares of the work.
Once per trial:

* ``act_avg``, a slow average of the minus-phase activity, moves towards
  ``act_m`` by 1/``long_avg_tau`` (20 trials);
* after a training trial, ``trg_avg`` moves by ``err_lrate * (avg_s - avg_m)``
  minus its layer mean and is clipped to [trg_min, trg_max].

Every slow-adaptation interval (100 training trials), synaptic scaling pulls
each neuron's incoming weights towards its target: with
``avg_dif = act_avg / mean(act_avg) - trg_avg``, the synapses change their
``lwt`` by ``-syn_scale_rate * avg_dif`` (soft-bounded, see
`equations.xcal.slow_adapt_code`).

The layer means come from the layer's pool group once per trial
(``dtrg_mean`` and ``act_avg_mean`` are linked from it). The trial code uses
0/1 gates that the network defines from the phase controller: ``learn_on``
(the finished trial was a training trial), ``slow_on`` (a slow-adaptation
step) and ``after_first`` (not the first step of the run).
"""

from .mechanism import Mechanism
from .parameters import Parameter, ParameterSet

__all__ = [
    "target_average",
    "TRIAL_MEANS",
    "TRIAL_END_CODE",
    "TRG_AVG_CODE",
    "AVG_DIF_CODE",
]

PARAMETERS = ParameterSet(
    [
        Parameter("err_lrate", 0.02, "rate of trg_avg changes (TrgAvg.ErrLrate)"),
        Parameter("syn_scale_rate", 0.01, "rate of synaptic scaling (SynScaleRate)"),
        Parameter(
            "syn_scale_sched",
            0.0,
            "share of the learning-rate schedule in synaptic scaling (reference: 0)",
        ),
        Parameter("long_avg_tau", 20.0, "act_avg time constant in trials", True),
        Parameter("trg_min", 0.5, "lowest target activity (TrgRange.Min)", True),
        Parameter("trg_max", 2.0, "highest target activity (TrgRange.Max)", True),
    ]
)

#: Layer means taken once per trial: pool variable -> neuron variable.
TRIAL_MEANS = {"dtrg_mean": "dtrg_avg", "act_avg_mean": "act_avg"}


def target_average() -> Mechanism:
    """Return the target-average mechanism (state only; its code runs per trial)."""
    equations = """
trg_avg : 1            # target activity relative to the layer mean
dtrg_avg : 1           # change of trg_avg from the last training trial
act_avg : 1            # slow average of act_m over trials
avg_dif : 1            # act_avg / mean(act_avg) - trg_avg at the last scaling
dtrg_mean : 1 (linked)     # layer mean of dtrg_avg
act_avg_mean : 1 (linked)  # layer mean of act_avg
"""
    return Mechanism(name="target_average", equations=equations, parameters=PARAMETERS)


#: Neuron code run in the first step of a trial, reading the finished trial:
#: ``act_avg`` follows its ``act_m`` (not before the first trial) and, after a
#: training trial, ``dtrg_avg`` takes its error term. ``learn_on`` and
#: ``after_first`` are 0/1 gates defined by the caller.
TRIAL_END_CODE = """
act_avg += after_first*(act_m - act_avg)/long_avg_tau
dtrg_avg = learn_on*err_lrate*(avg_s - avg_m)
"""

#: Neuron code after the layer means are known: the zero-sum trg_avg update.
TRG_AVG_CODE = "trg_avg = clip(trg_avg + dtrg_avg - dtrg_mean, trg_min, trg_max)\n"

#: Neuron code of a slow-adaptation step (gated by ``slow_on``).
AVG_DIF_CODE = (
    "avg_dif = slow_on*(act_avg/clip(act_avg_mean, 1e-9, 1e9) - trg_avg)"
    " + (1 - slow_on)*avg_dif\n"
)
