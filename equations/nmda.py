"""NMDA channel with a voltage-dependent Mg block driven by the dendrite.

The NMDA state receives the same per-spike increments as g_e (no rise time)
and decays with ``tau_nmda`` (about 100 ms); the conductance is gated by the
Mg block at the dendritic potential (reference glong/nmda.go, v1.2.94)::

    nmda <- nmda + g_e_raw - nmda dt/tau_nmda
    g_nmda = g_bar_nmda * B(v_dend) * nmda
    B(V) = 1 / (1 + mg_c exp(-mg_k min(V, 0 mV)))

At axon v1.2.94 g_nmda is not a separate current: it is fed into the
excitatory integrator every cycle (``g_e_extra``), so the membrane sees it
low-pass filtered by tau_e with a steady-state gain of tau_e/cycle = 5, at
E_e. Swap ``mg_block`` for another expression to change the block.
"""

from brian2 import ms, mV

from .mechanism import DecayRule, Mechanism
from .parameters import Parameter, ParameterSet

__all__ = ["nmda_channel", "MG_BLOCK"]

PARAMETERS = ParameterSet(
    [
        Parameter("tau_nmda", 100 * ms, "decay of the NMDA state (NMDA.Tau)", True),
        Parameter("g_bar_nmda", 0.03, "NMDA gain on the NMDA state (NMDA.Gbar)"),
        Parameter("mg_c", 0.28, "Mg block: scale of the exponential"),
        Parameter("mg_k", 0.062 / mV, "Mg block: voltage sensitivity", True),
    ]
)

#: The Mg-block function of the dendritic potential, as a Brian2 expression.
MG_BLOCK = "1/(1 + mg_c*exp(-mg_k*clip(v_dend, -1*volt, 0*mV)))"


def nmda_channel(mg_block: str = MG_BLOCK) -> Mechanism:
    """Return the NMDA mechanism.

    Parameters
    ----------
    mg_block : str
        Brian2 expression of the Mg block, a dimensionless function of
        ``v_dend``.
    """
    equations = f"""
nmda : siemens     # NMDA state, same increments as g_e
g_nmda : siemens   # NMDA conductance, fed into the g_e integrator
mg_block = {mg_block} : 1
"""
    code = """
nmda += g_e_raw - nmda*dt/tau_nmda
g_nmda = g_bar_nmda*mg_block*nmda
"""
    return Mechanism(
        name="nmda",
        equations=equations,
        parameters=PARAMETERS,
        code={"conductance": code},
        decay=(
            DecayRule("nmda", "0*nS", "glong"),
            DecayRule("g_nmda", "0*nS", "glong"),
        ),
        contributes={"g_e_extra": "g_nmda"},
    )
