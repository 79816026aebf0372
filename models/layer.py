"""A layer: a group of neurons plus the pool group of its FFFB inhibition.

The pool group has one neuron. Every step a Synapses object sums the layer's
g_e (this step) and act (previous step) into it as ``(summed)`` means, the
pool computes ``g_i_pool``, and the layer reads it back as a linked variable.
Brian2's schedule gives the order of the reference's cycle: the layer's
conductance stage (``before_groups``), the summed means and the pool
(``groups``, order -1 and 0), then the layer's membrane stage (``groups``,
order 1).

With a trial duration, the layer also runs the reference's trial-boundary
decay (NewState) on its neurons and its pool in the first step of every
trial, and can take layer means once per trial (``trial_means``) through the
same Synapses, for the trial-level learning code.
"""

from __future__ import annotations

from collections.abc import Mapping

from brian2 import NeuronGroup, Synapses, linked_var

from equations import POOL_SUMS, NeuronModel, fffb_pool

from .schedule import TRIAL_ORDER, run_each_trial

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
    trial : Quantity, optional
        Duration of one trial; with it, the trial-boundary decay runs in the
        first step of every trial.
    trial_means : mapping, optional
        Layer means taken in the first step of every trial: pool variable ->
        neuron variable averaged (for example ``{"dtrg_mean": "dtrg_avg"}``).
        The neuron model must declare each pool variable as linked.
    namespace : mapping, optional
        Further names the neuron equations and code use (for example the
        phase controller's TimedArrays).
    events : mapping, optional
        Custom events of the neurons, name -> condition, checked in the
        first slot of every step (``start``, order ``TRIAL_ORDER["events"]``),
        for synaptic pathways that run on them.
    pool_equations : str, optional
        Further state variables of the pool group, for layer reductions that
        code outside the layer fills (for example the layer maximum of the
        deep layers, `models.deep`).
    """

    def __init__(
        self,
        name: str,
        n: int,
        model: NeuronModel,
        inhibition: Mapping | None = None,
        trial=None,
        trial_means: Mapping[str, str] | None = None,
        namespace: Mapping | None = None,
        events: Mapping[str, str] | None = None,
        pool_equations: str = "",
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

        trial_means = dict(trial_means or {})
        if trial_means and trial is None:
            raise ValueError(
                f"Layer '{name}' takes trial means {sorted(trial_means)} but has no "
                "trial duration: pass trial=."
            )
        pool_mechanism = fffb_pool()
        self.inhibition = pool_mechanism.parameters.resolve(inhibition)
        pool_equations = (
            pool_mechanism.equations
            + "".join(
                f"{target} : 1  # layer mean of {source}, once per trial\n"
                for target, source in trial_means.items()
            )
            + pool_equations
        )
        self.pool = NeuronGroup(
            1,
            pool_equations,
            namespace={**self.inhibition, "decay_act": model.values["decay_act"]},
            name=f"{name}_pool",
            order=POOL_ORDER,
        )
        self.pool.run_regularly(
            pool_mechanism.code["pool"],
            when="groups",
            order=POOL_ORDER,
            name=f"{name}_pool_fffb",
        )

        events = dict(events or {})
        self.group = model.make_group(
            n, name, order=LAYER_ORDER, namespace=namespace, events=events or None
        )
        for event in events:
            self.group.set_event_schedule(
                event, when="start", order=TRIAL_ORDER["events"]
            )
        sums = "\n".join(
            f"{target}_post = {expression} : {unit} (summed)"
            for target, (expression, unit) in POOL_SUMS.items()
        )
        self.pool_input = Synapses(self.group, self.pool, sums, name=f"{name}_to_pool")
        self.pool_input.connect()
        # The pool has one neuron, so Brian2 reads it with the constant index 0
        # instead of an index array. The compiler can then vectorise the
        # membrane loop, which a gather through an index array prevents.
        self.group.g_i_pool = linked_var(self.pool, "g_i_pool")

        if trial_means:
            zero = "".join(f"{target} = 0\n" for target in trial_means)
            run_each_trial(self.pool, zero, "finish", trial, f"{name}_pool_trial_zero")
            means = "".join(
                f"{target}_post += {source}_pre/N_pre\n"
                for target, source in trial_means.items()
            )
            run_each_trial(
                self.pool_input, means, "dwt", trial, f"{name}_pool_trial_means"
            )
            for target in trial_means:
                setattr(self.group, target, linked_var(self.pool, target))
        if trial is not None:
            decay = model.decay_code()
            run_each_trial(self.group, decay, "decay", trial, f"{name}_decay")
            pool_decay = "\n".join(rule.statement() for rule in pool_mechanism.decay)
            run_each_trial(self.pool, pool_decay, "decay", trial, f"{name}_pool_decay")

    @property
    def objects(self) -> list:
        """Brian2 objects to add to a `Network`."""
        return [self.group, self.pool, self.pool_input]
