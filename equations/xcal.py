"""XCAL learning: the dWt function, soft bounding, RLrate and the weight sigmoid.

Once per trial, after the plus phase, each synapse j -> i compares its
short-term co-activity ``x = avg_s_lrn_j * avg_s_lrn_i`` with the floating
threshold ``theta = avg_m_lrn_j * avg_m_lrn_i`` through the piecewise-linear
"check mark" function (reference axon/learn.go XCalParams, v1.2.94)::

    f(x, theta) = 0                              if x < d_thr
                = x - theta                      if x > d_rev * theta
                = -x (1 - d_rev) / d_rev         otherwise

Because theta follows the medium-term (minus-phase) activity and x the
short-term (plus-phase) activity, f approximates the plus-minus difference:
the error. The change is soft-bounded on the linear weight ``lwt`` and scaled
by the receiver's ``rl_rate`` and the learning rate. The effective weight is
``wt = swt * 2 * sigmoid(lwt)`` with the contrast-enhancing sigmoid
``1 / (1 + ((1 - w)/w)**sig_gain)``.

Each rule exists twice: as a Brian2 expression (used in the simulations) and
as a numpy function (used for initialisation, analysis and figures).
"""

import numpy as np

from .parameters import Parameter, ParameterSet

__all__ = [
    "LEARNING_PARAMETERS",
    "RLRATE_PARAMETERS",
    "xcal_expression",
    "xcal",
    "weight_sigmoid",
    "weight_sigmoid_inverse",
    "weight_sigmoid_expression",
    "weight_sigmoid_inverse_expression",
    "rl_rate",
    "RLRATE_CODE",
    "SENDER_LEARNS",
    "SYNAPSE_EQUATIONS",
    "SWT_PARAMETERS",
    "dwt_code",
    "bcm_code",
    "apply_dwt_code",
    "slow_sum_code",
    "slow_apply_code",
]

LEARNING_PARAMETERS = ParameterSet(
    [
        Parameter("lrate", 0.04, "learning rate (Lrate.Base; ra25 uses 0.2)"),
        Parameter("d_thr", 1e-4, "x below this gives no change (XCal.DThr)"),
        Parameter("d_rev", 0.1, "reversal point as a fraction of theta (DRev)", True),
        Parameter("dwt_thr", 1e-4, "|dwt| below this x lrate is dropped (DWtThr)"),
        Parameter("lrn_thr", 0.01, "senders below this in both averages skip"),
        Parameter("sig_gain", 6.0, "gain of the weight sigmoid (SigGain)", True),
        Parameter("sub_mean", 1.0, "fraction of the mean dwt subtracted (SubMean)"),
        Parameter(
            "bcm_lrate",
            0.0,
            "weight of the BCM term against the error term (leabra; axon: none)",
            non_negative=True,
        ),
        Parameter(
            "bcm_gain", 2.5, "BCM threshold in units of the receiver's act_avg", True
        ),
    ]
)

#: Structural weight adaptation (SWt.Adapt, SWt.Limit) of a projection.
SWT_PARAMETERS = ParameterSet(
    [
        Parameter("swt_lrate", 0.1, "rate of swt adaptation (SWt.Adapt.Lrate)"),
        Parameter("swt_min", 0.2, "lower limit of swt (SWt.Limit.Min)"),
        Parameter("swt_max", 0.8, "upper limit of swt (SWt.Limit.Max)"),
    ]
)

RLRATE_PARAMETERS = ParameterSet(
    [
        Parameter("rl_min", 0.001, "RLrate when the unit is inactive or unchanged"),
        Parameter("rl_act_thr", 0.1, "max(avg_s, avg_m) at or below this: rl_min"),
        Parameter("rl_dif_thr", 0.02, "|avg_s - avg_m| below this: rl_min"),
    ]
)


def xcal_expression(x: str = "xcal_x", theta: str = "xcal_theta") -> str:
    """Return the XCAL function of ``x`` and ``theta`` as a Brian2 expression."""
    return (
        f"int({x} >= d_thr)*(int({x} > d_rev*{theta})*({x} - {theta})"
        f" - int({x} <= d_rev*{theta})*{x}*(1 - d_rev)/d_rev)"
    )


def xcal(x, theta, d_thr=1e-4, d_rev=0.1):
    """Compute the XCAL dWt function f(x, theta) with numpy."""
    x = np.asarray(x, dtype=float)
    theta = np.asarray(theta, dtype=float)
    linear = x - theta
    reversal = -x * (1 - d_rev) / d_rev
    f = np.where(x > d_rev * theta, linear, reversal)
    return np.where(x < d_thr, 0.0, f)


def weight_sigmoid(lwt, sig_gain=6.0):
    """Compute the contrast-enhancing sigmoid of the linear weight (numpy)."""
    lwt = np.clip(np.asarray(lwt, dtype=float), 0.0, 1.0)
    with np.errstate(divide="ignore"):
        odds = np.where(lwt > 0, (1 - lwt) / np.where(lwt > 0, lwt, 1), np.inf)
    return np.where(lwt > 0, 1 / (1 + odds**sig_gain), 0.0)


def weight_sigmoid_inverse(u, sig_gain=6.0):
    """Compute the linear weight whose sigmoid is ``u`` (numpy)."""
    u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
    inner = np.clip(u, 1e-12, 1.0)
    lwt = 1 / (1 + ((1 - inner) / inner) ** (1 / sig_gain))
    return np.where(u <= 0, 0.0, lwt)


def weight_sigmoid_expression(lwt: str = "lwt") -> str:
    """Return the weight sigmoid as a Brian2 expression (0 at lwt = 0)."""
    safe = f"clip({lwt}, 1e-9, 1)"
    return f"int({lwt} > 0)/(1 + ((1 - {safe})/{safe})**sig_gain)"


def weight_sigmoid_inverse_expression(u: str) -> str:
    """Return the inverse weight sigmoid of the expression ``u`` for Brian2."""
    safe = f"clip({u}, 1e-12, 1)"
    return f"int({u} > 0)/(1 + ((1 - {safe})/{safe})**(1/sig_gain))"


def rl_rate(avg_s, avg_m, rl_min=0.001, rl_act_thr=0.1, rl_dif_thr=0.02):
    """Compute the receiver's learning-rate factor RLrate (numpy)."""
    avg_s = np.asarray(avg_s, dtype=float)
    avg_m = np.asarray(avg_m, dtype=float)
    peak = np.maximum(avg_s, avg_m)
    change = np.abs(avg_s - avg_m)
    active = (peak > rl_act_thr) & (change >= rl_dif_thr)
    return np.where(active, change / np.where(peak > 0, peak, 1), rl_min)


#: Receiver code, run once per trial on the averages at the end of the plus phase.
RLRATE_CODE = """
rl_peak = 0.5*(avg_s + avg_m + abs(avg_s - avg_m))
rl_change = abs(avg_s - avg_m)
rl_active = int(rl_peak > rl_act_thr and rl_change >= rl_dif_thr)
rl_rate = rl_min + rl_active*(rl_change/clip(rl_peak, 1e-9, 1e9) - rl_min)
"""

#: Sender condition of XCAL learning (reference LrnThr): a sender below
#: ``lrn_thr`` in both learning averages changes none of its synapses.
SENDER_LEARNS = "avg_s_lrn >= lrn_thr or avg_m_lrn >= lrn_thr"

#: Synaptic state of a learning projection.
SYNAPSE_EQUATIONS = """
wt : 1     # effective weight, swt * 2 * sigmoid(lwt)
swt : 1    # slowly adapting structural weight
lwt : 1    # linear learning weight in [0, 1]
dwt : 1    # weight change applied after the last trial
dswt : 1   # accumulated change for the slow swt adaptation
"""


def dwt_code(sums: str, bcm: bool = False) -> str:
    """Return the synapse code that computes the finished trial's weight change.

    XCAL with soft bounding, the sender threshold, the receiver's RLrate and
    the learning rate times the schedule's ``lrate_factor``; changes below
    ``dwt_thr`` times that rate are dropped. With ``bcm`` the code adds
    `bcm_code`, which reads the receiver's ``act_avg``. The
    receiver collects the sum and the count of the non-zero changes in its
    variables ``<sums>_dwt`` and ``<sums>_n`` (zeroed before), for the
    zero-sum step of `apply_dwt_code`. ``learn_on`` is 1 after a training
    trial and 0 otherwise.

    The networks run this code only on the synapses of senders that meet
    `SENDER_LEARNS` after a training trial (a custom event of the sender),
    because the other synapses would compute a zero change. The gates inside
    keep the code exact wherever it runs.
    """
    change = bcm_code() if bcm else _ERROR_ONLY_DWT
    return f"""
xcal_x = avg_s_lrn_pre*avg_s_lrn_post
xcal_theta = avg_m_lrn_pre*avg_m_lrn_post
xcal_f = {xcal_expression()}
xcal_bounded = {_soft_bounded("xcal_f")}
sender_on = int(avg_s_lrn_pre >= lrn_thr or avg_m_lrn_pre >= lrn_thr)
{change}dwt = dwt*int(abs(dwt) > dwt_thr*lrate*lrate_factor)
{sums}_dwt_post += dwt
{sums}_n_post += int(dwt != 0)
"""


def _soft_bounded(change: str) -> str:
    """Return ``change`` scaled by 1 - lwt where positive and by lwt otherwise."""
    return f"{change}*(int({change} > 0)*(1 - lwt) + int({change} <= 0)*lwt)"


#: The change from the error term alone.
_ERROR_ONLY_DWT = (
    "dwt = learn_on*sender_on*rl_rate_post*lrate*lrate_factor*xcal_bounded\n"
)


def bcm_code() -> str:
    """Return the code that sets ``dwt`` from the error term and a BCM term.

    The learning rule of leabra, axon's predecessor, adds to the error term a
    self-organising term whose threshold floats with the receiver's long-term
    activity: f(x, s_pre * bcm_gain * act_avg_post) with the XCAL function f
    and x as in the error term. Where x > d_rev * theta, f is
    s_pre * (s_post - bcm_gain * act_avg_post): a unit that fires more than
    usual strengthens its active inputs. Unlike leabra's, the threshold
    is scaled by the sender's short average, so that both arguments of f are
    products of two averages. The term is soft-bounded like the error term
    and weighted by ``bcm_lrate``. RLrate does not scale it: that would
    confine it to the units whose activity changed between the phases.
    """
    return f"""
bcm_theta = avg_s_lrn_pre*bcm_gain*act_avg_post
bcm_f = {xcal_expression("xcal_x", "bcm_theta")}
bcm_bounded = {_soft_bounded("bcm_f")}
dwt_sum = rl_rate_post*xcal_bounded + bcm_lrate*bcm_bounded
dwt = learn_on*sender_on*lrate*lrate_factor*dwt_sum
"""


def apply_dwt_code(sums: str) -> str:
    """Return the synapse code that applies ``dwt`` (reference WtFmDWt).

    A fraction ``sub_mean`` of the receiver's mean non-zero change is taken
    from each non-zero change, so that a receiver's weights change with zero
    sum. Then ``dswt`` accumulates the change for the slow adaptation and
    ``lwt`` and ``wt`` are updated. ``dwt`` keeps the applied change until the
    code runs on the synapse again (as `dwt_code`, only after trials in which
    the sender learned).
    """
    return f"""
dwt -= sub_mean*int(dwt != 0)*{sums}_dwt_post/clip({sums}_n_post, 1, 1e12)
dswt += dwt
lwt = clip(lwt + dwt, 0, 1)
wt = swt*2*{weight_sigmoid_expression()}
"""


def slow_sum_code(sums: str) -> str:
    """Return the first synapse step of slow adaptation (reference SWtFmWt).

    ``dswt`` is soft-bounded towards the ``swt`` limits and summed into the
    receiver's ``<sums>_dswt``. ``slow_on`` is 1 in a slow-adaptation step.
    """
    return f"""
dswt = slow_on*(int(dswt >= 0)*dswt*(swt_max - swt) + int(dswt < 0)*dswt*(swt - swt_min)) + (1 - slow_on)*dswt
{sums}_dswt_post += slow_on*dswt
"""


def slow_apply_code(sums: str, scaling: bool) -> str:
    """Return the second synapse step of slow adaptation.

    ``swt`` moves by ``swt_lrate`` times the deviation of ``dswt`` from the
    receiver's mean; ``lwt`` is recomputed so that ``wt`` stays the same. With
    ``scaling``, synaptic scaling then moves ``lwt`` by ``-syn_scale_rate *
    avg_dif_post`` (soft-bounded) and ``wt`` follows. With ``syn_scale_sched``
    1, the trial's ``lrate_factor`` also multiplies that step. A schedule that
    stops error-driven learning then stops the scaling too, which would
    otherwise go on moving the weights with nothing to correct them.
    """
    lwt_kept = weight_sigmoid_inverse_expression("wt/(2*swt)")
    code = f"""
swt += slow_on*swt_lrate*(dswt - {sums}_dswt_post/N_incoming)
lwt = slow_on*{lwt_kept} + (1 - slow_on)*lwt
dswt = (1 - slow_on)*dswt
"""
    if scaling:
        code += """
scale_factor = 1 - syn_scale_sched + syn_scale_sched*lrate_factor
scale_step = -slow_on*scale_factor*syn_scale_rate*avg_dif_post
lwt += int(scale_step >= 0)*scale_step*swt*(1 - lwt) + int(scale_step < 0)*scale_step*swt*lwt
"""
    return code + f"wt = swt*2*{weight_sigmoid_expression()}\n"
