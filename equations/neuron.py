"""Compose a neuron model from mechanisms and build Brian2 groups from it.

`neuron_model` is the single entry point: a layer's neuron is the sum of the
mechanisms it uses, and NMDA, GABA-B, KNa and noise are switched by one
option each. The result contains the Brian2 equations, the per-stage update code,
the resolved parameters and the initial values; `NeuronModel.make_group`
creates a `NeuronGroup` with the stage updates attached.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from brian2 import Equations, NeuronGroup, defaultclock

from .adaptation import kna_adaptation
from .averages import SPIKE_DRIVE, running_averages
from .conductances import (
    background_noise,
    clamp,
    clamp_declarations,
    synaptic_conductances,
)
from .deep import (
    DEEP_KINDS,
    context_sender,
    deep_context,
    pulvinar_drive,
    superficial_burst,
)
from .gabab import gabab_channel
from .mechanism import STAGES, Mechanism
from .membrane import adex_membrane
from .nmda import nmda_channel
from .parameters import Parameter, ParameterError, ParameterSet
from .phase_activity import phase_activity
from .ratecode import RATE_DRIVE, rate_code_membrane
from .target_average import target_average
from .units import CYCLE

__all__ = ["NeuronModel", "neuron_model", "KINDS", "DECAY_PARAMETERS"]

KINDS = ("spiking", "rate")

#: Fractions of the trial-boundary decay (reference Decay.Act, Glong, KNa).
DECAY_PARAMETERS = ParameterSet(
    [
        Parameter("decay_act", 0.2, "decay of fast state at a trial start"),
        Parameter("decay_glong", 0.6, "decay of NMDA, GABA-B and v_dend"),
        Parameter("decay_kna", 0.0, "decay of the KNa conductances"),
    ]
)

#: Shared sums that mechanisms contribute terms to, with their unit.
SHARED_SUMS = {"g_k": "siemens", "g_e_extra": "siemens"}

THRESHOLD = "spike > 0.5"


@dataclass(frozen=True)
class NeuronModel:
    """A composed neuron: equations, stage code, parameters, initial values."""

    kind: str
    mechanisms: tuple[Mechanism, ...]
    values: Mapping[str, object]
    extra_equations: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the mechanisms, in update order."""
        return tuple(m.name for m in self.mechanisms)

    def equations(self) -> Equations:
        """Return the Brian2 `Equations` of the model."""
        text = "".join(m.equations for m in self.mechanisms)
        for name, unit in SHARED_SUMS.items():
            terms = [
                m.contributes[name] for m in self.mechanisms if name in m.contributes
            ]
            rhs = " + ".join(terms) if terms else f"0*{unit}"
            text += f"{name} = {rhs} : {unit}\n"
        return Equations(text + self.extra_equations)

    def code(self, stage: str) -> str:
        """Return the update statements of one stage, in mechanism order."""
        if stage not in STAGES:
            raise ValueError(f"Unknown stage {stage!r}; valid stages: {list(STAGES)}.")
        code = "".join(m.code.get(stage, "") for m in self.mechanisms)
        if stage == "conductance":
            # The spike input of this step has been taken in by every mechanism.
            code += "g_e_raw = 0*nS\ng_i_raw = 0*nS\n"
        return code

    def decay_code(self) -> str:
        """Return the trial-boundary decay statements of all mechanisms."""
        rules = [rule for m in self.mechanisms for rule in m.decay]
        return "\n".join(rule.statement() for rule in rules) + "\n"

    def namespace(self) -> dict:
        """Return the constants the equations and code refer to."""
        return {"cycle": CYCLE, **self.values}

    def initial_values(self) -> dict[str, str]:
        """Return Brian2 initial-value expressions for the state variables."""
        initial = {"v": "v_init", "v_dend": "v_init"}
        if "adex" in self.names:
            initial.update({"isi": "-1*ms", "isi_avg": "-1*ms"})
        if "averages" in self.names:
            initial.update(
                {
                    "avg_ss": "avg_init",
                    "avg_s": "avg_init",
                    "avg_m": "avg_init",
                    "rl_rate": "1",
                }
            )
        return initial

    def make_group(
        self,
        n: int,
        name: str,
        *,
        order: int = 1,
        namespace: Mapping | None = None,
        **kwargs,
    ) -> NeuronGroup:
        """Create a `NeuronGroup` of ``n`` neurons with the stage updates attached.

        The conductance stage runs in ``before_groups`` and the membrane stage
        in ``groups`` at ``order`` (keep it above the order of the layer's pool
        group, so that the membrane uses this step's pooled inhibition).
        Further keyword arguments go to `NeuronGroup`.

        Raises
        ------
        ValueError
            If ``defaultclock.dt`` is not the reference's 1-ms cycle.
        """
        if abs(float(defaultclock.dt / CYCLE) - 1) > 1e-9:
            raise ValueError(
                f"Invalid time step defaultclock.dt = {defaultclock.dt}: the updates "
                "follow the reference's 1-ms cycle; set defaultclock.dt = 1*ms."
            )
        group = NeuronGroup(
            n,
            self.equations(),
            threshold=THRESHOLD,
            reset="",  # the membrane stage resets v itself, in the spike step
            namespace={**self.namespace(), **(namespace or {})},
            method="exact",
            name=name,
            order=order,
            **kwargs,
        )
        for stage in ("conductance", "membrane"):
            code = self.code(stage)
            if code.strip():
                group.run_regularly(
                    code, when=STAGES[stage], order=order, name=f"{name}_{stage}"
                )
        for variable, value in self.initial_values().items():
            setattr(group, variable, value)
        return group


def neuron_model(
    kind: str = "spiking",
    *,
    nmda: bool = True,
    gabab: bool = True,
    kna: bool | None = None,
    noise: bool = False,
    clamped: bool = True,
    pool: str = "linked",
    phases: bool = False,
    target: bool = False,
    trg_avg: bool = False,
    deep: str | None = None,
    sends_context: bool = False,
    parameters: Mapping | None = None,
    extra_equations: str | None = None,
) -> NeuronModel:
    """Compose a neuron model.

    Parameters
    ----------
    kind : {"spiking", "rate"}
        AdEx spiking neurons, or rate-code (noisy XX1) neurons.
    nmda, gabab : bool
        Include the NMDA and the GABA-B channel.
    kna : bool, optional
        Include KNa adaptation; the default is on for spiking neurons and off
        for rate-code neurons (which never spike).
    noise : bool
        Include Poisson background noise conductances.
    clamped : bool
        Include the clamp (``g_e = ext*g_clamp`` while ``clamp_on`` is 1).
    pool : {"linked", "parameter"}
        Declare ``g_i_pool`` as a linked variable (layers with a pool group) or
        as a per-neuron parameter.
    phases : bool
        Include the phase activity ``act_int``, ``act_m`` and ``act_p``; the
        equations must then define ``step_in_trial`` and ``plus_phase`` and the
        namespace ``minus_steps`` (see `models.schedule.Schedule`).
    target : bool
        The neurons form a target layer: with ``phases``, they restart their
        rate estimate at the end of the minus phase.
    trg_avg : bool
        Include the target average activity used by synaptic scaling; its
        layer means are linked from the layer's pool group.
    deep : {None, "super", "ct", "pulvinar"}
        Add the state of a deep predictive-learning layer kind (see
        `equations.deep`): the burst, the context input, or the pulvinar
        drive. The context and the drive change the raw input before NMDA
        takes it in, so their code runs first in the conductance stage.
    sends_context : bool
        Add the context output of a layer that is neither ``super`` nor
        ``ct`` (an input layer) and sends a context projection
        (`equations.deep.context_sender`).
    parameters : mapping, optional
        Overrides of the default parameters, by name, with units.
    extra_equations : str, optional
        Further Brian2 equations; with ``clamped`` they must define ``ext``
        and ``clamp_on`` (per-neuron parameters are used when omitted).

    Raises
    ------
    ParameterError
        For an unknown parameter name or a value of the wrong unit or sign.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown neuron kind {kind!r}; valid kinds: {KINDS}.")
    if kna is None:
        kna = kind == "spiking"
    if deep is not None and deep not in DEEP_KINDS:
        raise ValueError(
            f"Unknown deep layer kind {deep!r}; valid kinds: {DEEP_KINDS} or None."
        )
    if sends_context and deep in ("super", "ct"):
        raise ValueError(
            f"Invalid sends_context=True for a {deep} layer: it already sends "
            "context. Pass sends_context only for input layers."
        )

    # Conductance-stage order of the reference: NMDA state, then g_e (which
    # takes in g_nmda), then noise, then the clamp that overwrites g_e.
    mechanisms = []
    if deep == "ct":
        mechanisms.append(deep_context())
    elif deep == "pulvinar":
        mechanisms.append(pulvinar_drive(nmda=nmda))
    if nmda:
        mechanisms.append(nmda_channel())
    mechanisms.append(synaptic_conductances(pool=pool, noise=noise))
    if noise:
        mechanisms.append(background_noise())
    if clamped:
        mechanisms.append(clamp())
    if kind == "spiking":
        mechanisms.append(adex_membrane())
    else:
        mechanisms.append(rate_code_membrane())
    if kna:
        mechanisms.append(kna_adaptation())
    mechanisms.append(
        running_averages(SPIKE_DRIVE if kind == "spiking" else RATE_DRIVE)
    )
    if phases:
        mechanisms.append(phase_activity(target=target, spiking=kind == "spiking"))
    if gabab:
        mechanisms.append(gabab_channel())
    if trg_avg:
        mechanisms.append(target_average())
    if deep == "super":
        mechanisms.append(superficial_burst())
    if sends_context:
        mechanisms.append(context_sender())

    parameter_set = DECAY_PARAMETERS
    for mechanism in mechanisms:
        parameter_set = parameter_set + mechanism.parameters
    values = parameter_set.resolve(parameters)
    for mechanism in mechanisms:
        if mechanism.derived is not None:
            try:
                values.update(mechanism.derived(values))
            except ValueError as error:
                raise ParameterError(str(error)) from error

    if extra_equations is None:
        extra_equations = clamp_declarations() if clamped else ""
    return NeuronModel(kind, tuple(mechanisms), values, extra_equations)
