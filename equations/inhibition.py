"""FFFB pooled inhibition: feedforward from mean g_e, feedback from mean act.

One pool group (one neuron per pool) computes the inhibitory conductance
shared by a layer (reference fffb package and axon/inhib.go, v1.2.94). Every
step, with ``ge_mean`` the pool's mean g_e of this step and ``act_mean`` its
mean act of the previous step::

    act_avg <- act_avg + (act_mean - act_avg) dt/tau_act_avg
    ffi = ff [ge_mean - ff0]+ + ffex [ge_mean - ffex0]+
    fbi <- fbi + (fb act_avg - fbi) dt/tau_fb
    g_i_pool = gi max(ffi + fbi, g_bg)

``ge_mean`` and ``act_mean`` are ``(summed)`` targets filled by Synapses from
the layer; the layer reads ``g_i_pool`` back as a linked variable. The
reference's MaxVsAvg is 0 by default, so only the mean g_e is needed.
"""

from brian2 import ms, nS

from .mechanism import DecayRule, Mechanism
from .parameters import Parameter, ParameterSet

__all__ = ["fffb_pool", "POOL_SUMS"]

PARAMETERS = ParameterSet(
    [
        Parameter("gi", 1.0, "overall inhibition gain (Inhib.Layer.Gi)"),
        Parameter("ff", 1.0, "feedforward gain on mean g_e (FF)"),
        Parameter("ff0", 10 * nS, "feedforward threshold on mean g_e (FF0 0.1)"),
        Parameter("ffex", 0.0, "extra feedforward gain above ffex0 (FFEx)"),
        Parameter("ffex0", 15 * nS, "threshold of the extra feedforward (FFEx0)"),
        Parameter("fb", 100 * nS, "feedback conductance per unit mean act (FB 1)"),
        Parameter("tau_fb", 1.4 * ms, "feedback time constant (FBTau)", True),
        Parameter("tau_act_avg", 30 * ms, "smoothing of the mean act (AvgTau)", True),
        Parameter("g_bg", 0 * nS, "floor of ffi + fbi (Bg)"),
    ]
)

#: Summed pool inputs: pool variable -> (expression summed over the layer's
#: neurons, each divided by the pool size; unit of the pool variable).
POOL_SUMS = {
    "ge_mean": ("g_e_total_pre/N_pre", "siemens"),
    "act_mean": ("act_pre/N_pre", "1"),
}


def fffb_pool() -> Mechanism:
    """Return the FFFB pool mechanism, for a group with one neuron per pool."""
    equations = """
ge_mean : siemens    # mean g_e of the pool in this step (summed)
act_mean : 1         # mean act of the pool in the previous step (summed)
act_avg : 1          # smoothed mean act
fbi : siemens        # feedback inhibition state
g_i_pool : siemens   # pooled inhibitory conductance
"""
    code = """
act_avg += (act_mean - act_avg)*dt/tau_act_avg
ffi = ff*clip(ge_mean - ff0, 0*nS, 1e9*nS) + ffex*clip(ge_mean - ffex0, 0*nS, 1e9*nS)
fbi += (fb*act_avg - fbi)*dt/tau_fb
g_i_pool = gi*clip(ffi + fbi, g_bg, 1e9*nS)
"""
    decay = tuple(
        DecayRule(name, "0*nS" if name != "act_avg" else "0", "act")
        for name in ("act_avg", "fbi", "g_i_pool")
    )
    return Mechanism(
        name="fffb",
        equations=equations,
        parameters=PARAMETERS,
        code={"pool": code},
        decay=decay,
    )
