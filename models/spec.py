"""Network specifications: layers, projections and parameter overrides.

A spec is plain data, so that a model file reads like the method section of
a paper::

    NetworkSpec(
        layers=[
            LayerSpec("input", 25, "input", expected_activity=0.15),
            LayerSpec("hidden", 100, "hidden", expected_activity=0.04),
            LayerSpec("output", 25, "target", expected_activity=0.24),
        ],
        projections=[
            ProjectionSpec("input", "hidden"),
            ProjectionSpec("hidden", "output"),
            ProjectionSpec("output", "hidden", rel=0.3),  # feedback
        ],
    )

`NetworkSpec` checks names, sizes, kinds and parameters when it is made, so
that a misspelt layer name fails before Brian2 builds anything.
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from brian2 import ms

from equations.neuron import KINDS
from equations.parameters import ParameterSet
from equations.xcal import LEARNING_PARAMETERS, SWT_PARAMETERS

__all__ = [
    "LAYER_KINDS",
    "HIDDEN_KINDS",
    "TARGET_KINDS",
    "LayerSpec",
    "ProjectionSpec",
    "WeightInit",
    "NetworkSpec",
    "PROJECTION_PARAMETERS",
]

#: Kinds of layer: ``input`` (clamped in both phases), ``hidden`` (free) and
#: ``target`` (free in the minus phase, clamped in the plus phase), and the
#: deep predictive-learning kinds (`equations.deep`): ``super`` (a hidden
#: layer that also computes the plus-phase burst), ``ct`` (a hidden layer with
#: a context input held over from the last trial) and ``pulvinar`` (free in
#: the minus phase, driven one to one by its ``driver`` layer in the plus
#: phase).
LAYER_KINDS = ("input", "hidden", "target", "super", "ct", "pulvinar")

#: Kinds that learn like hidden layers (target averages, synaptic scaling).
HIDDEN_KINDS = ("hidden", "super", "ct")

#: Kinds that learn like target layers (no zero-sum step, no swt variance).
TARGET_KINDS = ("target", "pulvinar")

#: Parameters a projection's learning rule accepts.
PROJECTION_PARAMETERS: ParameterSet = LEARNING_PARAMETERS + SWT_PARAMETERS


@dataclass(frozen=True)
class LayerSpec:
    """One layer of a network.

    Parameters
    ----------
    name : str
        Lower-case identifier (brian2cuda lower-cases the file names it reads).
    size : int
        Number of neurons.
    kind : {"input", "hidden", "target", "super", "ct", "pulvinar"}
        Role of the layer in the phases of a trial (see `LAYER_KINDS`).
    expected_activity : float
        Expected fraction of active neurons (reference Inhib.ActAvg.Init). It
        scales the projections this layer sends and initialises ``act_avg``.
    inhibition : mapping
        FFFB overrides, for example ``{"gi": 0.9}``.
    parameters : mapping
        Neuron parameter overrides for this layer (on top of the network's).
    driver : str, optional
        For a pulvinar layer: the layer of the same size whose act drives it
        one to one in the plus phase.
    """

    name: str
    size: int
    kind: str
    expected_activity: float = 0.1
    inhibition: Mapping = field(default_factory=dict)
    parameters: Mapping = field(default_factory=dict)
    driver: str | None = None

    def __post_init__(self):
        if not self.name.isidentifier() or self.name != self.name.lower():
            raise ValueError(
                f"Invalid layer name {self.name!r}: use a lower-case Python identifier."
            )
        # bool is an Integral too, and a float size would reach the arrays.
        whole = isinstance(self.size, numbers.Integral) and not isinstance(
            self.size, (bool, np.bool_)
        )
        if not whole or self.size < 1:
            raise ValueError(
                f"Invalid size {self.size!r} of layer '{self.name}': expected a "
                "positive integer."
            )
        if self.kind not in LAYER_KINDS:
            raise ValueError(
                f"Invalid kind {self.kind!r} of layer '{self.name}'; valid kinds: "
                f"{LAYER_KINDS}."
            )
        if not 0 < self.expected_activity <= 1:
            raise ValueError(
                f"Invalid expected_activity {self.expected_activity!r} of layer "
                f"'{self.name}': expected a fraction in (0, 1]."
            )
        if (self.kind == "pulvinar") != (self.driver is not None):
            raise ValueError(
                f"Invalid driver {self.driver!r} of {self.kind} layer '{self.name}': "
                "a pulvinar layer needs the name of its driver layer, other kinds "
                "take none."
            )


@dataclass(frozen=True)
class ProjectionSpec:
    """An excitatory projection from one layer to another.

    Parameters
    ----------
    sender, receiver : str
        Layer names.
    rel : float
        Relative strength among the receiver's projections (reference
        PrjnScale.Rel; feedback projections use 0.1 to 0.3).
    abs_scale : float
        Absolute multiplier of the conductance (PrjnScale.Abs).
    learn : bool
        Whether the weights learn.
    delay : Quantity
        Synaptic delay (reference Delay 2 = 2 ms).
    parameters : mapping
        Learning parameter overrides for this projection (for example
        ``{"lrate": 0.1}``), on top of the network's.
    one_to_one : bool
        Connect sender unit k to receiver unit k only (equal sizes), instead
        of all to all.
    context : bool
        A context projection into a ``ct`` layer (reference CTCtxtPrjn): it
        sends the sender's burst (super) or act (ct or input) once at the
        end of each plus phase instead of spikes, and learns on the sender's
        previous-trial value (`equations.deep`).
    """

    sender: str
    receiver: str
    rel: float = 1.0
    abs_scale: float = 1.0
    learn: bool = True
    delay: object = field(default_factory=lambda: 2 * ms)
    parameters: Mapping = field(default_factory=dict)
    one_to_one: bool = False
    context: bool = False

    @property
    def name(self) -> str:
        """Name of the Synapses object, ``<sender>_to_<receiver>``."""
        return f"{self.sender}_to_{self.receiver}"

    def __post_init__(self):
        if self.rel < 0 or self.abs_scale < 0:
            raise ValueError(
                f"Invalid scale rel={self.rel}, abs_scale={self.abs_scale} of "
                f"projection '{self.name}': expected values >= 0."
            )
        if not self.delay >= 0 * ms:
            raise ValueError(
                f"Invalid delay {self.delay} of projection '{self.name}': expected "
                "a time >= 0 ms."
            )


@dataclass(frozen=True)
class WeightInit:
    """Random initial weights (reference SWt.Init): wt = mean + U(-var, var).

    ``spct`` is the share of the deviation that goes into ``swt``; projections
    into target layers use 0.
    """

    mean: float = 0.5
    var: float = 0.25
    spct: float = 0.5

    def __post_init__(self):
        if not (0 <= self.mean <= 1 and 0 <= self.var <= 1 and 0 <= self.spct <= 1):
            raise ValueError(
                f"Invalid weight initialisation mean={self.mean}, var={self.var}, "
                f"spct={self.spct}: expected values in [0, 1]."
            )


#: On/off fields of `NetworkSpec`. ``kna`` may also be None (on for spiking).
SWITCHES = ("nmda", "gabab", "kna", "noise", "symmetric", "swt_adapt")


@dataclass(frozen=True)
class NetworkSpec:
    """A layered, bidirectionally connected network.

    Parameters
    ----------
    layers : sequence of LayerSpec
        In creation order; symmetric initialisation copies the weights of a
        projection from an earlier to a later layer onto its reciprocal.
    projections : sequence of ProjectionSpec
    neuron : {"spiking", "rate"}
        AdEx spiking neurons or rate-code neurons, for every layer.
    nmda, gabab : bool
        Include the NMDA and GABA-B channels in every layer.
    kna : bool or None
        Include KNa adaptation in every layer. None includes it for spiking
        neurons only, as `equations.neuron_model` does.
    noise : bool
        Include Poisson background noise conductances in every layer.
    parameters : mapping
        Neuron parameter overrides for every layer.
    learning : mapping
        Learning parameter overrides for every projection.
    weights : WeightInit
    symmetric : bool
        Mirror the initial weights of reciprocal projections (Init.Sym).
    swt_adapt : bool
        Slow adaptation of ``swt`` and synaptic scaling (SWt.Adapt.On).
    """

    layers: Sequence[LayerSpec]
    projections: Sequence[ProjectionSpec]
    neuron: str = "spiking"
    nmda: bool = True
    gabab: bool = True
    kna: bool | None = None
    noise: bool = False
    parameters: Mapping = field(default_factory=dict)
    learning: Mapping = field(default_factory=dict)
    weights: WeightInit = field(default_factory=WeightInit)
    symmetric: bool = True
    swt_adapt: bool = True

    def __post_init__(self):
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "projections", tuple(self.projections))
        if self.neuron not in KINDS:
            raise ValueError(
                f"Invalid neuron {self.neuron!r}: expected one of {KINDS}."
            )
        for switch in SWITCHES:
            value = getattr(self, switch)
            # A string such as "no" would otherwise count as on.
            if not (
                isinstance(value, (bool, np.bool_))
                or (switch == "kna" and value is None)
            ):
                allowed = "True, False or None" if switch == "kna" else "True or False"
                raise ValueError(f"Invalid {switch}={value!r}: expected {allowed}.")
        names = [layer.name for layer in self.layers]
        if not names:
            raise ValueError("Invalid network: it has no layers.")
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"Duplicate layer names {duplicates}: names must differ.")
        for projection in self.projections:
            for role in ("sender", "receiver"):
                name = getattr(projection, role)
                if name not in names:
                    close = difflib.get_close_matches(name, names, n=1)
                    hint = f" Did you mean '{close[0]}'?" if close else ""
                    raise ValueError(
                        f"Unknown {role} layer '{name}' in projection "
                        f"'{projection.name}'; layers: {names}.{hint}"
                    )
            if self.layer(projection.receiver).kind == "input":
                raise ValueError(
                    f"Invalid projection '{projection.name}': input layer "
                    f"'{projection.receiver}' is clamped and cannot receive one."
                )
            self._check_deep_projection(projection)
        for layer in self.layers:
            if layer.driver is not None:
                self._check_driver(layer)
        pairs = [p.name for p in self.projections]
        repeated = sorted({name for name in pairs if pairs.count(name) > 1})
        if repeated:
            raise ValueError(f"Duplicate projections {repeated}: each pair once.")
        PROJECTION_PARAMETERS.resolve(self.learning)
        for projection in self.projections:
            values = PROJECTION_PARAMETERS.resolve(
                {**self.learning, **projection.parameters}
            )
            if values["bcm_lrate"] != 0:
                self._check_bcm_projection(projection, values["bcm_lrate"])

    def _check_bcm_projection(self, projection: ProjectionSpec, bcm_lrate: float):
        """Raise ValueError where a BCM term cannot run or reads no act_avg."""
        receiver = self.layer(projection.receiver)
        where = f"bcm_lrate={bcm_lrate!r} of projection '{projection.name}'"
        if "bcm_lrate" in projection.parameters:
            fix = "remove bcm_lrate from its parameters"
        else:
            # Each task network of this package has a target or pulvinar layer,
            # whose inputs cannot take the term, so a network-wide value fails.
            where += " (from NetworkSpec.learning)"
            fix = (
                "set bcm_lrate in the parameters of the projections into hidden "
                "layers, not in NetworkSpec.learning"
            )
        if not projection.learn:
            raise ValueError(
                f"Invalid {where}: the projection does not learn (learn=False); "
                f"set learn=True or {fix}."
            )
        if projection.context:
            raise ValueError(
                f"Invalid {where}: context projections learn without the BCM "
                f"term; {fix}."
            )
        if receiver.kind not in HIDDEN_KINDS:
            raise ValueError(
                f"Invalid {where}: its receiver '{receiver.name}' is of kind "
                f"'{receiver.kind}', which has no act_avg (the BCM term needs one "
                f"of {HIDDEN_KINDS}); {fix}."
            )

    def _check_deep_projection(self, projection: ProjectionSpec):
        """Raise ValueError for a one-to-one or context projection that cannot be."""
        sender = self.layer(projection.sender)
        receiver = self.layer(projection.receiver)
        if projection.one_to_one and sender.size != receiver.size:
            raise ValueError(
                f"Invalid one-to-one projection '{projection.name}': sizes "
                f"{sender.size} and {receiver.size} differ; use equal sizes or "
                "one_to_one=False."
            )
        if projection.context and (
            receiver.kind != "ct" or sender.kind not in ("super", "ct", "input")
        ):
            raise ValueError(
                f"Invalid context projection '{projection.name}' from a "
                f"{sender.kind} layer to a {receiver.kind} layer: context goes "
                "from a super, ct or input layer to a ct layer."
            )

    def _check_driver(self, layer: LayerSpec):
        """Raise ValueError if a pulvinar layer's driver cannot drive it."""
        names = [x.name for x in self.layers]
        if layer.driver not in names:
            raise ValueError(
                f"Unknown driver layer '{layer.driver}' of pulvinar layer "
                f"'{layer.name}'; layers: {names}."
            )
        driver = self.layer(layer.driver)
        # NOTE: the reference drives a pulvinar with a superficial driver's
        # burst. Here the burst exists only at the end of the plus phase, so
        # such drivers are rejected rather than driven by their act.
        if driver.kind in ("super", "pulvinar"):
            raise ValueError(
                f"Invalid driver '{driver.name}' of pulvinar layer '{layer.name}': "
                f"a {driver.kind} layer cannot drive a pulvinar here; use an input, "
                "hidden, target or ct layer."
            )
        if driver.size != layer.size:
            raise ValueError(
                f"Mismatched driver '{driver.name}' of pulvinar layer '{layer.name}': "
                f"sizes {driver.size} and {layer.size}; the drive is one to one."
            )

    def layer(self, name: str) -> LayerSpec:
        """Return the layer called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(
            f"Unknown layer '{name}'; layers: {[x.name for x in self.layers]}."
        )

    def inputs_of(self, name: str) -> list[ProjectionSpec]:
        """Return the projections into layer ``name``, in spec order."""
        return [p for p in self.projections if p.receiver == name]

    def index(self, name: str) -> int:
        """Return the creation index of layer ``name``."""
        return [layer.name for layer in self.layers].index(name)
