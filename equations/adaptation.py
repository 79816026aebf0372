"""Na-gated K (KNa) adaptation with three time scales.

Each channel rises towards its maximum by a fixed fraction on every spike and
decays exponentially on every other step (reference knadapt package at axon
v1.2.94)::

    spike:     g <- g + r (g_max - g)
    no spike:  g <- g - g dt/tau

The sum of the three conductances enters the membrane through ``g_k`` with
E_k. The knadapt README lists other maxima (Med 0.1, Slow 1.0 normalised);
the values here are the ones the code uses.
"""

from brian2 import ms, nS

from .mechanism import DecayRule, Mechanism
from .parameters import Parameter, ParameterSet

__all__ = ["kna_adaptation"]

CHANNELS = {
    # name: (tau, rise per spike, maximum conductance)
    "fast": (50 * ms, 0.05, 10 * nS),
    "med": (200 * ms, 0.02, 20 * nS),
    "slow": (1000 * ms, 0.001, 20 * nS),
}


def _parameters() -> ParameterSet:
    parameters = []
    for name, (tau, rise, g_max) in CHANNELS.items():
        parameters += [
            Parameter(f"tau_kna_{name}", tau, f"decay of the {name} KNa channel", True),
            Parameter(f"rise_kna_{name}", rise, f"{name} KNa rise fraction per spike"),
            Parameter(f"g_kna_{name}_max", g_max, f"maximum {name} KNa conductance"),
        ]
    return ParameterSet(parameters)


PARAMETERS = _parameters()


def kna_adaptation() -> Mechanism:
    """Return the KNa mechanism (fast, medium and slow channels)."""
    equations = "".join(f"g_kna_{name} : siemens\n" for name in CHANNELS)
    code = "".join(
        f"g_kna_{n} += spike*rise_kna_{n}*(g_kna_{n}_max - g_kna_{n})"
        f" - (1 - spike)*g_kna_{n}*dt/tau_kna_{n}\n"
        for n in CHANNELS
    )
    decay = tuple(DecayRule(f"g_kna_{n}", "0*nS", "kna") for n in CHANNELS)
    return Mechanism(
        name="kna",
        equations=equations,
        parameters=PARAMETERS,
        code={"membrane": code},
        decay=decay,
        contributes={"g_k": " + ".join(f"g_kna_{n}" for n in CHANNELS)},
    )
