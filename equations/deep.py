"""Deep predictive learning: superficial burst, deep context and pulvinar drive.

Three layer kinds of the reference's deep package (axon v1.2.94, ``deep/``; the
pulvinar drive in its v1.2.95 form) learn to predict their input:

* **Superficial** (``super``) layers are ordinary layers that also compute a
  thresholded plus-phase activity, the burst (reference Burst)::

      thr = max(a_avg + burst_thr_rel (a_max - a_avg), burst_thr_abs)
      burst_i = act_i  if act_i > thr  else 0

  with ``a_avg`` the layer's smoothed mean act (the FFFB pool's ``act_avg``)
  and ``a_max`` its largest act. The burst keeps its value through the next
  minus phase, decays with the fast state at the trial start (Decay.Act), and
  ``burst_prv`` keeps that decayed value for the context learning.
* **Deep context** (``ct``) layers receive a context conductance ``ctxt_ge``,
  computed once at the end of each plus phase from the senders of their
  context projections and held fixed through the whole next trial. Every
  step it enters the raw excitatory input before the NMDA and g_e updates::

      g_e_raw <- g_e_raw + ctxt_gain ctxt_ge

  A context projection transmits no spikes. Once per trial it sends
  ``ctxt_out``: the burst of a superficial sender or the act of a deep
  context or input sender, each only above ``ctxt_send_thr``. It learns with
  XCAL on the sender's previous-trial value ``ctxt_prv`` (``burst_prv`` or
  ``act_prv``, the medium average at the trial start), without RLrate or
  sender threshold.
* **Pulvinar** (``pulvinar``, the reference's TRC) layers are driven by their
  ordinary synaptic input (mainly from deep context layers) in the minus
  phase, which is the prediction, and by a driver layer one to one in the plus
  phase, which is the outcome. In the plus phase, every step::

      a_i = drive_act_i / a_max         (drive_act_i if a_max <= drive_norm_thr)
      k = min(1, a_max / full_drive_act)
      g_e_raw_i <- (1 - k) g_e_raw_i + drive_scale a_i

  with ``drive_act_i`` the act of driver unit i and ``a_max`` the driver's
  largest act, both from the previous step. NMDA integrates this raw input,
  and g_e takes it without ``g_nmda`` (the drive replaces, not adds to, the
  slow synaptic input). A strongly active driver (``a_max >= full_drive_act``)
  replaces the prediction; a weak one leaves part of it.

Brian2 has no summed maximum, so the layer maxima are exact rank counts: a
Synapses object from the compared layer onto the counting layer sums
``int(value_pre > value_post)`` into each receiver, the units with a count of
0 have the maximum, and the layer's pool group sums their values and their
number through the layer's pool Synapses. These are additions only, so the
same code runs in C++ and CUDA standalone. The cost is n^2 comparisons: once
per trial for a superficial layer, every step for a pulvinar's driver.

Each rule also exists as a numpy function, for the tests and the analysis.
"""

from __future__ import annotations

import numpy as np
from brian2 import nS

from .mechanism import DecayRule, Mechanism
from .parameters import Parameter, ParameterSet
from .xcal import xcal_expression

__all__ = [
    "DEEP_KINDS",
    "superficial_burst",
    "deep_context",
    "context_sender",
    "pulvinar_drive",
    "CONTEXT_PARAMETERS",
    "rank_count_code",
    "top_sum_code",
    "BURST_CODE",
    "context_send_code",
    "context_dwt_code",
    "layer_max",
    "burst",
    "pulvinar_raw_input",
]

#: Layer kinds of deep predictive learning, each with its mechanism.
DEEP_KINDS = ("super", "ct", "pulvinar")

#: Activity above which a sender's value enters a context projection.
CONTEXT_PARAMETERS = ParameterSet(
    [
        Parameter(
            "ctxt_send_thr", 0.1, "senders send their value above this (CTCtxt 0.1)"
        )
    ]
)

BURST_PARAMETERS = (
    ParameterSet(
        [
            Parameter(
                "burst_thr_rel",
                0.1,
                "threshold between mean and max act, as a fraction (ThrRel)",
            ),
            Parameter("burst_thr_abs", 0.1, "lowest burst threshold on act (ThrAbs)"),
        ]
    )
    + CONTEXT_PARAMETERS
)


def superficial_burst() -> Mechanism:
    """Return the burst state of a superficial layer.

    The burst itself is computed by trial-level code (`BURST_CODE`), which
    reads the layer maximum from the pool (``act_top`` and ``n_top``, linked).
    The decay rules run at the trial start: the burst decays with the fast
    state, then ``burst_prv`` takes the decayed value.
    """
    equations = """
burst : 1            # act above the burst threshold at the end of the plus phase
burst_prv : 1        # burst of the previous trial, after the trial-start decay
burst_above : 1      # number of units of the layer with a larger act (scratch)
act_top : 1 (linked)   # summed act of the layer's most active units (pool)
n_top : 1 (linked)     # number of the layer's most active units (pool)
pool_act_avg : 1 (linked)  # smoothed mean act of the layer (FFFB pool)
ctxt_out = burst*int(burst > ctxt_send_thr) : 1  # value sent as context
ctxt_prv = burst_prv : 1  # value the context projections learn on
"""
    return Mechanism(
        name="burst",
        equations=equations,
        parameters=BURST_PARAMETERS,
        decay=(
            DecayRule("burst", "0", "act"),
            DecayRule("burst_prv", "burst", "reset"),
        ),
    )


#: State of a layer that sends its act as context (deep context or input).
ACT_SENDER_EQUATIONS = """
act_prv : 1          # avg_m at the start of the trial (reference ActPrv)
ctxt_out = act*int(act > ctxt_send_thr) : 1  # value sent as context
ctxt_prv = act_prv : 1  # value the context projections learn on
"""

#: The previous-trial value takes the medium average at the trial start.
ACT_PRV_DECAY = DecayRule("act_prv", "avg_m", "reset")


def deep_context() -> Mechanism:
    """Return the context input of a deep context (CT) layer.

    Its conductance-stage code must run before the NMDA channel, so that NMDA
    takes in the context as it takes in spikes (`equations.neuron_model` puts
    it first).
    """
    equations = (
        """
ctxt_ge : siemens    # context conductance, fixed from one plus-phase end to the next"""
        + ACT_SENDER_EQUATIONS
    )
    parameters = (
        ParameterSet(
            [Parameter("ctxt_gain", 0.2, "share of ctxt_ge added to g_e_raw per cycle")]
        )
        + CONTEXT_PARAMETERS
    )
    return Mechanism(
        name="context",
        equations=equations,
        parameters=parameters,
        code={"conductance": "g_e_raw += ctxt_gain*ctxt_ge*dt/cycle\n"},
        decay=(ACT_PRV_DECAY,),
    )


def context_sender() -> Mechanism:
    """Return the context output of an input layer that sends context.

    An input layer sends its act at the end of the plus phase, as a deep
    context layer does (reference ConnectCtxtToCT from an input layer), and
    its context projections learn on ``act_prv``.
    """
    return Mechanism(
        name="context_sender",
        equations=ACT_SENDER_EQUATIONS,
        parameters=CONTEXT_PARAMETERS,
        decay=(ACT_PRV_DECAY,),
    )


PULVINAR_PARAMETERS = ParameterSet(
    [
        Parameter(
            "drive_scale", 15 * nS, "g_e_raw per cycle at full drive (DriveScale 0.15)"
        ),
        Parameter(
            "full_drive_act",
            0.6,
            "driver max act that fully replaces the prediction (FullDriveAct)",
            True,
        ),
        Parameter(
            "drive_norm_thr", 0.1, "driver max act above which drive is normalised"
        ),
    ]
)


def pulvinar_drive(nmda: bool = True) -> Mechanism:
    """Return the plus-phase driver input of a pulvinar layer.

    Parameters
    ----------
    nmda : bool
        Whether the neuron has the NMDA channel; then ``g_nmda`` is kept out
        of g_e in the plus phase.

    The conductance-stage code must run before the NMDA channel (it replaces
    the raw input NMDA integrates). ``drive_act`` and ``drive_above`` are
    written every step by the driver's Synapses, ``drive_top`` and
    ``drive_n`` by the pool group (linked).
    """
    equations = """
drive_act : 1        # act of this unit's driver unit in the previous step
drive_above : 1      # number of driver units with a larger act (scratch)
drive_top : 1 (linked)  # summed act of the most active driver units (pool)
drive_n : 1 (linked)    # number of the most active driver units (pool)
drive_max = drive_top/clip(drive_n, 1, 1e9) : 1  # largest driver act
"""
    code = """
drive_norm = drive_act/(int(drive_max > drive_norm_thr)*drive_max + int(drive_max <= drive_norm_thr))
drive_k = clip(drive_max/full_drive_act, 0, 1)
g_e_raw += plus_phase*(drive_scale*drive_norm*dt/cycle - drive_k*g_e_raw)
"""
    return Mechanism(
        name="pulvinar",
        equations=equations,
        parameters=PULVINAR_PARAMETERS,
        code={"conductance": code},
        # In the plus phase the reference builds g_e from the raw input alone.
        contributes={"g_e_extra": "-plus_phase*g_nmda"} if nmda else {},
    )


def rank_count_code(count: str, value: str, compared: str = "act") -> str:
    """Return Synapses code that counts, per receiver, the larger sender values.

    Each synapse adds 1 to the receiver's ``count`` when the sender's
    ``compared`` exceeds the receiver's ``value``. With all-to-all synapses,
    the count is 0 exactly for the receivers that have the maximum.
    """
    return f"{count}_post += int({compared}_pre > {value}_post)\n"


def top_sum_code(count: str, value: str, top: str, n: str) -> str:
    """Return pool-Synapses code that sums the value and number of the maxima."""
    return (
        f"{top}_post += {value}_pre*int({count}_pre == 0)\n"
        f"{n}_post += int({count}_pre == 0)\n"
    )


#: Neuron code of a superficial layer at the end of the plus phase, after the
#: layer maximum is known (``after_first`` keeps the burst at the start of a
#: run, so that a run continued from a checkpoint keeps its context).
BURST_CODE = """
layer_act_max = act_top/clip(n_top, 1, 1e9)
thr = clip(pool_act_avg + burst_thr_rel*(layer_act_max - pool_act_avg), burst_thr_abs, 1e9)
burst = after_first*act*int(act > thr) + (1 - after_first)*burst
"""


def context_send_code() -> str:
    """Return the code of a context projection that sends once per trial.

    The receiver's ``ctxt_ge`` is zeroed before (``after_first`` keeps it at
    the start of a run). ``g_scale`` is the projection's conductance scale.
    """
    return "ctxt_ge_post += after_first*g_scale*wt*ctxt_out_pre\n"


def context_dwt_code(sums: str) -> str:
    """Return the XCAL change of a context projection (reference CTCtxtPrjn.DWt).

    The sender's previous-trial value ``s = ctxt_prv_pre`` replaces both
    sender averages: ``f(s avg_s_lrn_post, s avg_m_lrn_post)``, soft-bounded
    on ``lwt``, without RLrate and without sender threshold. Changes below
    ``dwt_thr * lrate`` are dropped and the receiver collects sum and count
    for the zero-sum step, as in `equations.xcal.dwt_code`.
    """
    return f"""
xcal_x = ctxt_prv_pre*avg_s_lrn_post
xcal_theta = ctxt_prv_pre*avg_m_lrn_post
xcal_f = {xcal_expression()}
xcal_bounded = xcal_f*(int(xcal_f > 0)*(1 - lwt) + int(xcal_f <= 0)*lwt)
dwt = learn_on*lrate*lrate_factor*xcal_bounded
dwt = dwt*int(abs(dwt) > dwt_thr*lrate*lrate_factor)
{sums}_dwt_post += dwt
{sums}_n_post += int(dwt != 0)
"""


def layer_max(values) -> float:
    """Return the maximum the rank counts give: mean value of the count-0 units."""
    values = np.asarray(values, dtype=float)
    above = (values[None, :] > values[:, None]).sum(axis=1)
    top = above == 0
    return float(values[top].sum() / max(top.sum(), 1))


def burst(act, act_avg, thr_rel=0.1, thr_abs=0.1) -> np.ndarray:
    """Compute the burst of a superficial layer from its act (numpy)."""
    act = np.asarray(act, dtype=float)
    thr = max(act_avg + thr_rel * (layer_max(act) - act_avg), thr_abs)
    return np.where(act > thr, act, 0.0)


def pulvinar_raw_input(
    g_e_raw,
    driver_act,
    plus_phase: bool,
    drive_scale=15.0,
    full_drive_act=0.6,
    drive_norm_thr=0.1,
) -> np.ndarray:
    """Compute a pulvinar layer's raw excitatory input of one step (numpy, nS)."""
    g_e_raw = np.asarray(g_e_raw, dtype=float)
    driver_act = np.asarray(driver_act, dtype=float)
    if not plus_phase:
        return g_e_raw
    a_max = layer_max(driver_act)
    norm = driver_act / a_max if a_max > drive_norm_thr else driver_act
    k = min(1.0, a_max / full_drive_act)
    return (1 - k) * g_e_raw + drive_scale * norm
