"""Mechanisms: the fragments a neuron model is composed of.

A `Mechanism` bundles what one biophysical process adds to a neuron:

* ``equations``: Brian2 equation declarations (state variables with their
  units, subexpressions), joined into the model of the `NeuronGroup`;
* ``code``: per-time-step update statements, keyed by the stage of the time
  step in which they run (see `STAGES`);
* ``parameters``: a `ParameterSet` of documented defaults;
* ``decay``: how the trial-boundary decay of the reference treats each state
  variable;
* ``contributes``: terms this mechanism adds to shared sums such as the total
  K conductance ``g_k``;
* ``derived``: a function from the resolved parameter values to further
  constants that the equations use (for example a normalisation factor).

The reference implementation updates its state with explicit per-cycle
difference equations in a fixed order (conductances, pooled inhibition,
membrane, spike, adaptation, GABA-B), each seeing the values already updated
in that cycle. Brian2's integrators update all differential equations at once,
which would change the results, so the updates are written as ordered
statements and run through ``run_regularly`` in the stage they belong to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .parameters import ParameterSet

__all__ = ["STAGES", "DECAY_GROUPS", "DecayRule", "Mechanism"]

#: Stages of one time step, in execution order, with the Brian2 schedule slot
#: each one runs in. The pooled inhibition of a layer runs in the ``groups``
#: slot between the two neuron stages (the layer group has a higher ``order``
#: than its pool), so the membrane update uses this step's pooled inhibition.
STAGES = {
    "conductance": "before_groups",
    "pool": "groups",
    "membrane": "groups",
}

#: Decay groups of the reference's trial boundary: ``act`` (fast state,
#: fraction ``decay_act``), ``glong`` (NMDA, GABA-B and the dendrite, fraction
#: ``decay_glong``), ``kna`` (adaptation, fraction ``decay_kna``) and
#: ``reset`` (always set to the rest value).
DECAY_GROUPS = ("act", "glong", "kna", "reset")


@dataclass(frozen=True)
class DecayRule:
    """How one state variable is decayed at the start of a trial.

    Parameters
    ----------
    variable : str
        Name of the state variable.
    rest : str
        Expression of the value it decays towards (for example ``"E_l"``).
    group : str
        One of `DECAY_GROUPS`.
    """

    variable: str
    rest: str
    group: str

    def __post_init__(self):
        if self.group not in DECAY_GROUPS:
            raise ValueError(
                f"Invalid decay group '{self.group}' for '{self.variable}': expected "
                f"one of {DECAY_GROUPS}."
            )

    def statement(self) -> str:
        """Return the Brian2 statement that applies this rule."""
        if self.group == "reset":
            return f"{self.variable} = {self.rest}"
        fraction = f"decay_{self.group}"
        return f"{self.variable} += {fraction}*(({self.rest}) - {self.variable})"


@dataclass(frozen=True)
class Mechanism:
    """One fragment of a neuron model; see the module docstring."""

    name: str
    equations: str
    parameters: ParameterSet
    code: Mapping[str, str] = field(default_factory=dict)
    decay: tuple[DecayRule, ...] = ()
    contributes: Mapping[str, str] = field(default_factory=dict)
    derived: Callable[[dict], dict] | None = None

    def __post_init__(self):
        unknown = set(self.code) - set(STAGES)
        if unknown:
            raise ValueError(
                f"Mechanism '{self.name}' has code for unknown stages "
                f"{sorted(unknown)}; valid stages: {list(STAGES)}."
            )
