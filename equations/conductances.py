"""Excitatory and inhibitory synaptic conductances, clamping and noise.

Synapses add their per-spike increments to ``g_e_raw`` and ``g_i_raw``. Once
per time step the conductances integrate them with instant rise and
exponential decay, as the reference does (forward-Euler steps at 1 ms)::

    g_e <- g_e + g_e_raw + g_e_extra*dt/CYCLE - g_e*dt/tau_e
    g_i_syn <- max(g_i_syn + g_i_raw - g_i_syn*dt/tau_i, 0)

``g_e_extra`` collects what other mechanisms feed into the excitatory
integrator every cycle (NMDA). The synaptic delay belongs to the Synapses
(``delay=2*ms`` reproduces the reference's Delay = 2: a spike in step t first
changes the receiver's g_e in step t + 3).

Clamped neurons (input layers, and target layers in the plus phase) have g_e
overwritten by ``ext*g_clamp`` while ``clamp_on`` is 1. The names ``ext`` and
``clamp_on`` must be defined by the layer, for example as subexpressions of
TimedArrays; `clamp_declarations` gives per-neuron parameters for tests.

The total inhibitory conductance is ``g_i = g_i_pool + g_i_syn``: pooled
(FFFB) inhibition, linked from the layer's pool group, plus synaptic
inhibition.
"""

from brian2 import Hz, ms, nS

from .mechanism import DecayRule, Mechanism
from .parameters import Parameter, ParameterSet

__all__ = [
    "synaptic_conductances",
    "clamp",
    "background_noise",
    "clamp_declarations",
]

PARAMETERS = ParameterSet(
    [
        Parameter("tau_e", 5 * ms, "decay of g_e, AMPA-like (Dt.GeTau)", True),
        Parameter("tau_i", 7 * ms, "decay of g_i_syn, GABA-A-like (Dt.GiTau)", True),
    ]
)


def synaptic_conductances(pool: str = "linked", noise: bool = False) -> Mechanism:
    """Return the synaptic conductance mechanism.

    Parameters
    ----------
    pool : {"linked", "parameter"}
        How ``g_i_pool`` is declared: linked to a pool group (layers), or a
        per-neuron parameter (single-neuron tests).
    noise : bool
        Whether `background_noise` is part of the model; adds its
        conductances to the totals.
    """
    if pool not in ("linked", "parameter"):
        raise ValueError(
            f"Invalid pool declaration {pool!r}: use 'linked' or 'parameter'."
        )
    pool_flag = " (linked)" if pool == "linked" else ""
    e_noise = " + g_e_noise" if noise else ""
    i_noise = " + g_i_noise" if noise else ""
    equations = f"""
g_e : siemens       # excitatory synaptic conductance
g_e_raw : siemens   # excitatory spike input of this step (written by Synapses)
g_i_syn : siemens   # synaptic inhibitory conductance
g_i_raw : siemens   # inhibitory spike input of this step (written by Synapses)
g_i_pool : siemens{pool_flag}  # pooled FFFB inhibition of the layer
g_e_total = g_e{e_noise} : siemens
g_i = g_i_pool + g_i_syn{i_noise} : siemens
"""
    code = """
g_e += g_e_raw + g_e_extra*dt/cycle - g_e*dt/tau_e
g_i_syn = clip(g_i_syn + g_i_raw - g_i_syn*dt/tau_i, 0*nS, 1e9*nS)
"""
    decay = (
        DecayRule("g_e", "0*nS", "act"),
        DecayRule("g_i_syn", "0*nS", "act"),
        DecayRule("g_e_raw", "0*nS", "reset"),
        DecayRule("g_i_raw", "0*nS", "reset"),
    )
    return Mechanism(
        name="conductances",
        equations=equations,
        parameters=PARAMETERS,
        code={"conductance": code},
        decay=decay,
    )


CLAMP_PARAMETERS = ParameterSet(
    [Parameter("g_clamp", 100 * nS, "g_e of a clamped unit at ext = 1 (Clamp.Ge)")]
)


def clamp() -> Mechanism:
    """Return the clamp mechanism: g_e = ext*g_clamp while clamp_on is 1.

    It must follow `synaptic_conductances` so that it overwrites the
    integrated g_e. NMDA keeps integrating underneath, as in the reference,
    but has no effect on a clamped membrane.
    """
    return Mechanism(
        name="clamp",
        equations="",
        parameters=CLAMP_PARAMETERS,
        code={"conductance": "g_e = clamp_on*ext*g_clamp + (1 - clamp_on)*g_e\n"},
    )


def clamp_declarations() -> str:
    """Return ``ext`` and ``clamp_on`` as per-neuron parameters (for tests)."""
    return "ext : 1  # clamp pattern value\nclamp_on : 1  # 1 while clamped\n"


NOISE_PARAMETERS = ParameterSet(
    [
        Parameter("noise_rate_e", 100 * Hz, "rate of excitatory noise events", True),
        Parameter("noise_g_e", 1 * nS, "g_e_noise increment per event (Noise.Ge)"),
        Parameter("noise_rate_i", 200 * Hz, "rate of inhibitory noise events", True),
        Parameter("noise_g_i", 1 * nS, "g_i_noise increment per event (Noise.Gi)"),
    ]
)


def background_noise() -> Mechanism:
    """Return Poisson background noise conductances (off in the defaults).

    Events arrive as Poisson processes. Each adds a fixed conductance to
    ``g_e_noise`` or ``g_i_noise``, which decay with tau_e and tau_i. They add
    to the totals after the clamp, so clamped neurons receive noise too.
    """
    code = """
g_e_noise += noise_g_e*int(rand() < 1 - exp(-noise_rate_e*dt)) - g_e_noise*dt/tau_e
g_i_noise += noise_g_i*int(rand() < 1 - exp(-noise_rate_i*dt)) - g_i_noise*dt/tau_i
"""
    # NOTE: the reference adds noise to Ge after clamping. Here it is kept as
    # separate conductances summed into g_e_total and g_i, so the g_e decay
    # does not integrate it a second time.
    return Mechanism(
        name="noise",
        equations="g_e_noise : siemens\ng_i_noise : siemens\n",
        parameters=NOISE_PARAMETERS,
        code={"conductance": code},
        decay=(
            DecayRule("g_e_noise", "0*nS", "act"),
            DecayRule("g_i_noise", "0*nS", "act"),
        ),
    )
