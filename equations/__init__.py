"""Brian2 equation strings for AdEx neurons with NMDA, GABA-B, FFFB and XCAL.

Every mechanism is one module; `neuron_model` composes them into a neuron.
All quantities are in physical units; `equations.units` maps them to the
normalised units of the reference implementation (axon v1.2.94).
"""

from .inhibition import POOL_SUMS, fffb_pool
from .mechanism import STAGES, DecayRule, Mechanism
from .neuron import DECAY_PARAMETERS, KINDS, NeuronModel, neuron_model
from .parameters import Parameter, ParameterError, ParameterSet
from .units import (
    CYCLE,
    G_UNIT,
    from_normalised_conductance,
    from_normalised_voltage,
    to_normalised_conductance,
    to_normalised_voltage,
)

__all__ = [
    "CYCLE",
    "DECAY_PARAMETERS",
    "G_UNIT",
    "KINDS",
    "POOL_SUMS",
    "STAGES",
    "DecayRule",
    "Mechanism",
    "NeuronModel",
    "Parameter",
    "ParameterError",
    "ParameterSet",
    "fffb_pool",
    "from_normalised_conductance",
    "from_normalised_voltage",
    "neuron_model",
    "to_normalised_conductance",
    "to_normalised_voltage",
]
