"""AdEx membrane with dendritic potential, spike, reset, refractoriness and Act.

The membrane follows the conductance-based adaptive exponential
integrate-and-fire neuron of the reference (axon v1.2.94) in physical units::

    C_m dv/dt = g_l (E_l - v) + g_l delta_T exp((v - V_T)/delta_T)
                + g_e (E_e - v) + g_i (E_i - v) + g_k (E_k - v)

There is no AdEx ``w`` variable: adaptation comes from the K conductances
``g_k`` (KNa and GABA-B). The reference integrates with a midpoint step in
which the exponential term enters only the second evaluation, clips v to
[V_min, V_max] and counts a spike when v reaches V_spike = 0 mV (in practice,
when the exponential term drives v to the ceiling). After a spike v is reset
and held for ``t_ref`` (three 1-ms cycles). The dendritic potential ``v_dend``
integrates the same currents with a larger capacitance and no exponential
term, reset or refractoriness; NMDA and GABA-B read their voltage from it.

``act`` is the reference's rate-code estimate of the firing rate (1 at
``max_rate``), computed from the running average inter-spike interval. It
drives feedback inhibition and the performance statistics, not learning.
"""

from brian2 import Hz, ms, mV, nS, pF

from .mechanism import DecayRule, Mechanism
from .parameters import Parameter, ParameterSet

__all__ = ["adex_membrane", "net_current"]

PARAMETERS = ParameterSet(
    [
        Parameter("C_m", 281 * pF, "membrane capacitance (reference VmTau 2.81)", True),
        Parameter("C_dend", 500 * pF, "dendritic capacitance (VmDendTau 5)", True),
        Parameter("g_l", 20 * nS, "leak conductance (Gbar.L 0.2)", True),
        Parameter("E_l", -70 * mV, "leak reversal potential (Erev.L 0.3)"),
        Parameter("E_e", 0 * mV, "excitatory reversal potential (Erev.E 1.0)"),
        Parameter("E_i", -90 * mV, "inhibitory reversal potential (Erev.I 0.1)"),
        Parameter("E_k", -90 * mV, "potassium reversal potential (Erev.K 0.1)"),
        Parameter("V_T", -50 * mV, "exponential threshold (Spike.Thr 0.5)"),
        Parameter("delta_T", 2 * mV, "exponential slope factor (ExpSlope 0.02)", True),
        Parameter("V_spike", 0 * mV, "spike detection potential (ExpThr 1.0)"),
        Parameter("V_reset", -70 * mV, "reset potential after a spike (VmR 0.3)"),
        Parameter("V_min", -90 * mV, "lower clip of v and v_dend (VmRange 0.1)"),
        Parameter("V_max", 0 * mV, "upper clip of v and v_dend (VmRange 1.0)"),
        Parameter("v_init", -70 * mV, "initial and decay target potential (0.3)"),
        Parameter(
            "t_ref", 3 * ms, "time v is held after a spike (Spike.Tr 3)", False, True
        ),
        Parameter("max_rate", 180 * Hz, "firing rate at which act = 1 (MaxHz)", True),
        Parameter("tau_act", 2.81 * ms, "time constant of act (VmTau 2.81)", True),
        Parameter("isi_tau", 5.0, "intervals averaged into isi_avg (ISITau)", True),
        Parameter("isi_jump", 0.8, "an interval below this x isi_avg replaces it"),
        Parameter("isi_stop", 1.2, "silence above this x isi_avg is averaged in"),
    ]
)


def net_current(v: str) -> str:
    """Return the net synaptic, leak and K current at potential ``v``.

    The exponential spike current is left out: the reference adds it only at
    the midpoint of the integration step.
    """
    return (
        f"(g_l*(E_l - {v}) + g_e_total*(E_e - {v}) + g_i*(E_i - {v}) + g_k*(E_k - {v}))"
    )


EQUATIONS = """
v : volt          # membrane potential (soma)
v_dend : volt     # dendritic potential seen by NMDA and GABA-B
spike : 1         # 1 in the time step of a spike, else 0
isi : second      # time since the last spike; -1 ms before the first one
isi_avg : second  # running average inter-spike interval; < 0 while unknown
act : 1           # rate-code activity estimate, 1 at max_rate
"""

MEMBRANE_CODE = f"""
refractory = int(isi >= 0*ms and isi < t_ref)
v_half = v + 0.5*dt/C_m*{net_current("v")}
v_next = v + dt/C_m*({net_current("v_half")} + g_l*delta_T*exp((v_half - V_T)/delta_T))
v = refractory*v + (1 - refractory)*clip(v_next, V_min, V_max)
v_dend_half = v_dend + 0.5*dt/C_dend*{net_current("v_dend")}
v_dend = clip(v_dend + dt/C_dend*{net_current("v_dend_half")}, V_min, V_max)
spike = int(v >= V_spike)
v = spike*V_reset + (1 - spike)*v
"""

# Inter-spike interval bookkeeping of the reference, written with 0/1 masks
# because Brian2 code has no branches. isi_avg = -1 ms means "no spike since
# the last reset", -2 ms "one spike seen, no interval yet".
ISI_CODE = """
isi_first = spike*int(isi_avg < -0.5*ms and isi_avg > -1.5*ms)
isi = isi + (1 - spike)*int(isi >= 0*ms)*dt
isi_interval = spike*(isi + dt) + (1 - spike)*isi
isi_take = (spike*(1 - isi_first) + (1 - spike)*int(isi_avg >= 0*ms and isi > isi_stop*isi_avg))*int(isi > 0*ms)
isi_replace = int(isi_avg <= 0*ms or isi_interval < isi_jump*isi_avg)
isi_step = isi_replace*(isi_interval - isi_avg) + (1 - isi_replace)*(isi_interval - isi_avg)/isi_tau
isi_avg = isi_first*(-2*ms) + (1 - isi_first)*(isi_avg + isi_take*isi_step)
isi = (1 - spike)*isi
act_target = int(isi_avg > 0*ms)/(max_rate*clip(isi_avg, 1*ms, 1e9*second))
act += dt/tau_act*(clip(act_target, 0, 1) - act)
"""

DECAY = (
    DecayRule("v", "v_init", "act"),
    DecayRule("act", "0", "act"),
    DecayRule("v_dend", "v_init", "glong"),
    DecayRule("isi", "-1*ms", "reset"),
    DecayRule("isi_avg", "-1*ms", "reset"),
)


def adex_membrane() -> Mechanism:
    """Return the AdEx membrane mechanism (v, v_dend, spike, isi, act)."""
    return Mechanism(
        name="adex",
        equations=EQUATIONS,
        parameters=PARAMETERS,
        code={"membrane": MEMBRANE_CODE + ISI_CODE},
        decay=DECAY,
    )
