"""Rate-code neuron: Leabra's noisy XX1 activation in place of AdEx spiking.

For the study's comparison between spiking and rate-code networks, this
mechanism replaces `adex_membrane` in the same layers: the same conductances,
reversal potentials and inhibition, but no exponential term, no spikes and a
continuous activation ``act`` (reference nxx1 package, v1.2.94, and the
Leabra framework)::

    v <- clip(v + dt/C_m * I(v), -100 mV, 100 mV)
    g_e_thr = (g_i (E_i - V_T) + g_l (E_l - V_T) + g_k (E_k - V_T)) / (V_T - E_e)
    a* = NXX1((v - V_T)/100 mV)       while act < act_thr_vm and v <= V_T
       = NXX1((g_e - g_e_thr)/100 nS)  otherwise
    act <- act + (a* - act) dt/tau_act

NXX1 is x/(x+1) convolved with Gaussian noise, in its piecewise form: a
sigmoid below 0, a straight line up to ``nxx1_interp``, and above it
y/(y+1) with y = gain' x, where gain' is lowered by up to ``nxx1_gain_cor``
just above threshold. Its argument is in the reference's normalised units.

``spike`` stays 0, so spike-driven mechanisms (KNa) do nothing; the running
averages follow ``rate_avg_gain * act`` instead of 8 x spike.
"""

import numpy as np
from brian2 import mV

from .mechanism import DecayRule, Mechanism
from .parameters import Parameter, ParameterSet

__all__ = ["rate_code_membrane", "nxx1_expression", "nxx1", "RATE_DRIVE"]

PARAMETERS = ParameterSet(
    [
        Parameter("nxx1_gain", 100.0, "gain of x/(x+1) (Gain; 20 is near AdEx)"),
        Parameter("nxx1_nvar", 0.005, "noise variance of the convolution", True),
        Parameter("nxx1_sig_mult", 0.33, "multiplier of the sigmoid part"),
        Parameter("nxx1_sig_mult_pow", 0.8, "power of the sigmoid multiplier"),
        Parameter("nxx1_sig_gain", 3.0, "gain of the sigmoid part", True),
        Parameter("nxx1_interp", 0.01, "width of the linear part", True),
        Parameter("nxx1_gain_cor_range", 10.0, "range of the gain correction", True),
        Parameter("nxx1_gain_cor", 0.1, "maximum fractional gain reduction"),
        Parameter("act_thr_vm", 0.01, "below this act, v drives the activation"),
        Parameter("rate_v_min", -100 * mV, "lower clip of v (normalised 0)"),
        Parameter("rate_v_max", 100 * mV, "upper clip of v (normalised 2)"),
        Parameter("rate_avg_gain", 0.8, "avg_ss drive at act = 1 (about 100 Hz)"),
    ]
)

#: Drive of the running averages for rate-code neurons.
RATE_DRIVE = "rate_avg_gain*act"


def _xx1_corrected(x: str) -> str:
    """Return x/(x+1) with the gain correction near threshold, for x >= 0."""
    correction = (
        f"clip((nxx1_gain_cor_range - ({x})/nxx1_nvar)/nxx1_gain_cor_range, 0, 1)"
    )
    y = f"(nxx1_gain*(1 - nxx1_gain_cor*{correction})*({x}))"
    return f"({y}/({y} + 1))"


def nxx1_expression(x: str) -> str:
    """Return NXX1 of the dimensionless expression ``x`` for Brian2.

    Uses the constants ``nxx1_sig_eff`` (value at the top of the sigmoid) and
    ``nxx1_at_interp`` (value at the end of the linear part), which
    `rate_code_membrane` derives from the parameters.
    """
    exponent = f"clip(-({x})*nxx1_sig_gain/nxx1_nvar, -80, 80)"
    below = f"nxx1_sig_eff/(1 + exp({exponent}))"
    linear = (
        f"(0.5*nxx1_sig_eff + (nxx1_at_interp - 0.5*nxx1_sig_eff)*({x})/nxx1_interp)"
    )
    return (
        f"(int(({x}) < 0)*{below} + int(({x}) >= 0 and ({x}) < nxx1_interp)*{linear}"
        f" + int(({x}) >= nxx1_interp)*{_xx1_corrected(f'clip({x}, 0, 1e9)')})"
    )


def nxx1(
    x,
    gain=100.0,
    nvar=0.005,
    sig_mult=0.33,
    sig_mult_pow=0.8,
    sig_gain=3.0,
    interp=0.01,
    gain_cor_range=10.0,
    gain_cor=0.1,
):
    """Compute NXX1 with numpy (same piecewise form as `nxx1_expression`)."""
    x = np.asarray(x, dtype=float)

    def corrected(z):
        c = np.clip((gain_cor_range - z / nvar) / gain_cor_range, 0, 1)
        y = gain * (1 - gain_cor * c) * z
        return y / (y + 1)

    sig_eff = sig_mult * (gain * nvar) ** sig_mult_pow
    below = sig_eff / (1 + np.exp(np.clip(-x * sig_gain / nvar, -80, 80)))
    linear = 0.5 * sig_eff + (corrected(interp) - 0.5 * sig_eff) * x / interp
    above = corrected(np.maximum(x, 0))
    return np.where(x < 0, below, np.where(x < interp, linear, above))


def _derived(values: dict) -> dict:
    sig_eff = (
        values["nxx1_sig_mult"]
        * (values["nxx1_gain"] * values["nxx1_nvar"]) ** values["nxx1_sig_mult_pow"]
    )
    at_interp = float(
        nxx1(
            values["nxx1_interp"],
            values["nxx1_gain"],
            values["nxx1_nvar"],
            values["nxx1_sig_mult"],
            values["nxx1_sig_mult_pow"],
            values["nxx1_sig_gain"],
            values["nxx1_interp"],
            values["nxx1_gain_cor_range"],
            values["nxx1_gain_cor"],
        )
    )
    return {"nxx1_sig_eff": float(sig_eff), "nxx1_at_interp": at_interp}


def rate_code_membrane() -> Mechanism:
    """Return the rate-code (noisy XX1) membrane mechanism."""
    from .membrane import PARAMETERS as MEMBRANE_PARAMETERS
    from .membrane import net_current

    equations = """
v : volt       # membrane potential, no spikes
v_dend : volt  # dendritic potential seen by NMDA and GABA-B
spike : 1      # always 0 for rate-code neurons
act : 1        # activation in [0, 1]
"""
    x = "rate_sub*(v - V_T)/(100*mV) + (1 - rate_sub)*(g_e_total - g_e_thr)/(100*nS)"
    code = f"""
v = clip(v + dt/C_m*{net_current("v")}, rate_v_min, rate_v_max)
v_dend_half = v_dend + 0.5*dt/C_dend*{net_current("v_dend")}
v_dend = clip(v_dend + dt/C_dend*{net_current("v_dend_half")}, V_min, V_max)
g_e_thr = (g_i*(E_i - V_T) + g_l*(E_l - V_T) + g_k*(E_k - V_T))/(V_T - E_e)
rate_sub = int(act < act_thr_vm and v <= V_T)
act += dt/tau_act*({nxx1_expression(x)} - act)
"""
    return Mechanism(
        name="rate",
        equations=equations,
        parameters=MEMBRANE_PARAMETERS + PARAMETERS,
        code={"membrane": code},
        decay=(
            DecayRule("v", "v_init", "act"),
            DecayRule("act", "0", "act"),
            DecayRule("v_dend", "v_init", "glong"),
        ),
        derived=_derived,
    )
