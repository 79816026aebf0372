"""A layer: a group of neurons plus the pool group of its FFFB inhibition.

The pool group has one neuron. Every step a Synapses object sums the layer's
g_e (this step) and act (previous step) into it as ``(summed)`` means, the
pool computes ``g_i_pool``, and the layer reads it back as a linked variable.
Brian2's schedule gives the order of the reference's cycle: the layer's
conductance stage (``before_groups``), the summed means and the pool
(``groups``, order -1 and 0), then the layer's membrane stage (``groups``,
order 1).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from brian2 import NeuronGroup, Synapses, linked_var

from equations import POOL_SUMS, NeuronModel, fffb_pool

__all__ = ["Layer", "POOL_ORDER", "LAYER_ORDER"]

#: Brian2 ``order`` of pool groups and of layer groups within the time step.
POOL_ORDER = 0
LAYER_ORDER = 1


class Layer:
    """Neurons of one layer with their pooled inhibition.

    Parameters
    ----------
    name : str
        Lower-case name (brian2cuda lower-cases file names of run_args).
    n : int
        Number of neurons.
    model : NeuronModel
        The composed neuron model; it must declare ``g_i_pool`` as linked.
    inhibition : mapping, optional
        Overrides of the FFFB pool parameters (for example ``{"gi": 1.2}``).
    """

    def __init__(
        self,
        name: str,
        n: int,
        model: NeuronModel,
        inhibition: Mapping | None = None,
    ):
        if not name.isidentifier() or name != name.lower():
            raise ValueError(
                f"Invalid layer name {name!r}: use a lower-case Python identifier "
                "(brian2cuda lower-cases the file names it reads)."
            )
        if n < 1:
            raise ValueError(f"Invalid size {n} for layer '{name}': expected >= 1.")
        self.name = name
        self.n = n
        self.model = model

        pool_mechanism = fffb_pool()
        self.inhibition = pool_mechanism.parameters.resolve(inhibition)
        self.pool = NeuronGroup(
            1,
            pool_mechanism.equations,
            namespace=dict(self.inhibition),
            name=f"{name}_pool",
            order=POOL_ORDER,
        )
        self.pool.run_regularly(
            pool_mechanism.code["pool"],
            when="groups",
            order=POOL_ORDER,
            name=f"{name}_pool_fffb",
        )

        self.group = model.make_group(n, name, order=LAYER_ORDER)
        sums = "\n".join(
            f"{target}_post = {expression} : {unit} (summed)"
            for target, (expression, unit) in POOL_SUMS.items()
        )
        self.pool_input = Synapses(self.group, self.pool, sums, name=f"{name}_to_pool")
        self.pool_input.connect()
        self.group.g_i_pool = linked_var(
            self.pool, "g_i_pool", index=np.zeros(n, dtype=int)
        )

    @property
    def objects(self) -> list:
        """Brian2 objects to add to a `Network`."""
        return [self.group, self.pool, self.pool_input]
