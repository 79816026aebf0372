"""GABA-B / GIRK channel driven by inhibition, with inward rectification.

Computed after the membrane update from this step's total inhibitory
conductance, and acting through g_k in the next step (reference
glong/gabab.go, v1.2.94)::

    s(g_i) = 1 / (1 + exp(-(min(g_i/gi_per_spike, 10) - 7.1)/1.4))
    x <- x + s dt/CYCLE - x dt/tau_decay
    g <- g + (F x - g) dt/tau_rise          (both with the old x and g)
    g_gabab = g_bar_gabab R(v_dend) (g + gabab_base)
    R(V) = 1 / (1 + exp((max(V, -90 mV) + 100 mV)/10 mV))

F = (tau_decay/tau_rise)^(tau_rise/(tau_decay - tau_rise)) normalises the
bi-exponential so that its peak equals the drive. ``gi_per_spike`` is the
inhibitory conductance that counts as one unit of drive: the reference
multiplies its normalised Gi by GiSpike = 10, which is 10 nS per unit. Only
``g_bar_gabab = 0`` removes the channel; with no inhibition the baseline
``gabab_base`` and s(0) still give a small conductance.
"""

from brian2 import ms, mV, nS

from .mechanism import DecayRule, Mechanism
from .parameters import Parameter, ParameterSet

__all__ = ["gabab_channel", "gabab_peak_factor"]

PARAMETERS = ParameterSet(
    [
        Parameter("tau_gabab_rise", 45 * ms, "GABA-B rise time constant", True),
        Parameter("tau_gabab_decay", 50 * ms, "GABA-B decay time constant", True),
        Parameter("g_bar_gabab", 20 * nS, "maximal GABA-B conductance (Gbar 0.2)"),
        Parameter("gabab_base", 0.2, "baseline GABA-B activation (Gbase)"),
        Parameter("gi_per_spike", 10 * nS, "g_i per unit of drive (GiSpike 10)", True),
        Parameter("gabab_drive_max", 10.0, "cap on the drive g_i/gi_per_spike"),
        Parameter("gabab_drive_mid", 7.1, "drive at which s = 0.5"),
        Parameter("gabab_drive_slope", 1.4, "slope of s against the drive", True),
        Parameter("gabab_v_min", -90 * mV, "lower clip of V in the rectification"),
        Parameter("gabab_v_half", -100 * mV, "offset of the rectification"),
        Parameter("gabab_v_slope", 10 * mV, "slope of the rectification", True),
    ]
)


def gabab_peak_factor(tau_rise, tau_decay) -> float:
    """Return F, the factor that makes the bi-exponential peak equal its drive."""
    if tau_rise == tau_decay:
        raise ValueError(
            f"Invalid GABA-B time constants: tau_gabab_rise ({tau_rise}) must differ "
            f"from tau_gabab_decay ({tau_decay})."
        )
    ratio = float(tau_decay / tau_rise)
    return ratio ** float(tau_rise / (tau_decay - tau_rise))


def gabab_channel() -> Mechanism:
    """Return the GABA-B mechanism (runs after the membrane update)."""
    equations = """
gabab_x : 1          # GABA-B drive integrator
gabab_g : 1          # GABA-B activation
g_gabab : siemens    # GABA-B (GIRK) K conductance
gabab_drive = 1/(1 + exp(-(clip(g_i/gi_per_spike, 0, gabab_drive_max) - gabab_drive_mid)/gabab_drive_slope)) : 1
gabab_rect = 1/(1 + exp((clip(v_dend, gabab_v_min, 1*volt) - gabab_v_half)/gabab_v_slope)) : 1
"""
    # g is updated first so that both right-hand sides see the old x.
    code = """
gabab_g += (gabab_peak*gabab_x - gabab_g)*dt/tau_gabab_rise
gabab_x += gabab_drive*dt/cycle - gabab_x*dt/tau_gabab_decay
g_gabab = g_bar_gabab*gabab_rect*(gabab_g + gabab_base)
"""
    return Mechanism(
        name="gabab",
        equations=equations,
        parameters=PARAMETERS,
        code={"membrane": code},
        decay=(
            DecayRule("gabab_x", "0", "glong"),
            DecayRule("gabab_g", "0", "glong"),
            DecayRule("g_gabab", "0*nS", "glong"),
        ),
        contributes={"g_k": "g_gabab"},
        derived=lambda values: {
            "gabab_peak": gabab_peak_factor(
                values["tau_gabab_rise"], values["tau_gabab_decay"]
            )
        },
    )
