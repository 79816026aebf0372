"""Build the Brian2 objects of a layered network from a spec and a schedule.

`LayeredNetwork` turns a `NetworkSpec` and a `Schedule` into Brian2 objects:
one `Layer` (neurons plus FFFB pool) per layer, one `Synapses` per
projection, the trial-level learning code as ``run_regularly`` operations
and synaptic pathways on custom events, and monitors sampled once per
trial. Everything a trial does, including learning, is Brian2 code, so the
same objects run on the runtime targets, in C++ standalone and in CUDA
standalone.

In the first step of every trial, in the order of `TRIAL_ORDER`, the network

1. finishes the last trial on the receiving neurons: ``act_p``, RLrate,
   ``act_avg`` and the target-average error, and zeroes the receivers' sums;
2. computes each learning synapse's XCAL change and sums it on the
   receiver, while the pools take the layer means of the target-average
   terms;
3. applies the changes (zero-sum per receiver, soft-bounded ``lwt``,
   ``wt = swt * 2 sigmoid(lwt)``) and updates ``trg_avg``;
4. every slow-adaptation interval, adapts ``swt`` and scales the weights
   (synaptic pathways on the senders' ``slow_trial`` event, so that the other
   trials skip this work);
5. records the finished trial (``act_m``, ``act_p``);
6. decays the neurons for the new trial.

Steps 2 and 3 run as synaptic pathways on the senders' ``learn_trial``
event. Only senders active enough to learn raise it, and only after a
training trial, because every other synapse would compute a zero change.

Layers of the deep predictive kinds (``super``, ``ct``, ``pulvinar``) get
further objects from `models.deep`: the burst and the context, sent before
step 1 with the weights the finished trial used, and the pulvinar's every-step
driver input. Context projections send once per trial instead of spikes and
learn with `equations.deep.context_dwt_code`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
from brian2 import Network, StateMonitor, Synapses, get_unit, ms
from brian2.core.variables import ArrayVariable

from equations import G_UNIT, Mechanism, ParameterSet, neuron_model
from equations.deep import DEEP_KINDS, context_dwt_code, context_send_code
from equations.nmda import PARAMETERS as NMDA_PARAMETERS
from equations.target_average import (
    AVG_DIF_CODE,
    TRG_AVG_CODE,
    TRIAL_END_CODE,
    TRIAL_MEANS,
)
from equations.xcal import (
    RLRATE_CODE,
    SENDER_LEARNS,
    SYNAPSE_EQUATIONS,
    apply_dwt_code,
    dwt_code,
    slow_apply_code,
    slow_sum_code,
)

from . import deep
from .layer import Layer
from .projection import initial_weights, projection_scale
from .schedule import TRIAL_ORDER, Schedule, run_each_trial
from .spec import (
    HIDDEN_KINDS,
    PROJECTION_PARAMETERS,
    TARGET_KINDS,
    NetworkSpec,
    ProjectionSpec,
)

__all__ = [
    "LayeredNetwork",
    "initial_state",
    "recorded_layers",
    "xcal_pathways",
    "schedule_pathways",
    "receiver_sum_equations",
    "trial_finish_code",
    "RECORDED",
    "LEARN_EVENT",
    "XCAL_STEPS",
]

#: Variables recorded once per trial for every layer of `recorded_layers`.
RECORDED = ("act_m", "act_p")

#: Custom event of senders in the first step after a slow-adaptation interval.
SLOW_EVENT = "slow_trial"

#: Custom event of senders that learn from the training trial just finished.
LEARN_EVENT = "learn_trial"

#: Synaptic variables of a learning projection that carry over between runs.
SYNAPSE_STATE = ("wt", "swt", "lwt", "dwt", "dswt")


def recorded_layers(spec: NetworkSpec) -> list[str]:
    """Return the layers whose `RECORDED` variables the network keeps per trial.

    These are all but the input layers, whose activity is their clamped
    pattern.
    """
    return [layer.name for layer in spec.layers if layer.kind != "input"]


def xcal_pathways(sums: str, gates: str, bcm: bool = False) -> tuple[dict, dict]:
    """Return ``on_pre`` and ``on_event`` of the XCAL pathways of a projection.

    ``xcal_dwt`` computes the change (`equations.xcal.dwt_code`, with the BCM
    term where ``bcm``, summed into the receiver's ``<sums>_dwt`` and
    ``<sums>_n``) and ``xcal_apply`` applies it. Both run on the sender's
    `LEARN_EVENT`. ``gates`` defines the trial gates (`Schedule.gate_code`).
    Place the pathways in the trial with `schedule_pathways`.
    """
    on_pre = {
        "xcal_dwt": gates + dwt_code(sums, bcm),
        "xcal_apply": apply_dwt_code(sums),
    }
    return on_pre, dict.fromkeys(on_pre, LEARN_EVENT)


def schedule_pathways(synapses: Synapses, steps: Mapping[str, str]):
    """Run each named pathway of ``synapses`` at its step of `TRIAL_ORDER`."""
    for name, step in steps.items():
        pathway = getattr(synapses, name)
        pathway.when = "start"
        pathway.order = TRIAL_ORDER[step]


def receiver_sum_equations(projections: list[str], adapt: bool) -> str:
    """Return the receiver's variables that sum the changes of its projections.

    ``projections`` are the names of the learning projections into the
    receiver. With ``adapt`` the variables also sum the slow-adaptation
    change ``dswt``.
    """
    equations = ""
    for name in projections:
        equations += (
            f"{name}_dwt : 1  # sum of the non-zero changes\n"
            f"{name}_n : 1  # count of the non-zero changes\n"
        )
        if adapt:
            equations += f"{name}_dswt : 1  # sum of the bounded dswt\n"
    return equations


def trial_finish_code(gates: str, projections: list[str], adapt: bool) -> str:
    """Return a receiver's code that finishes the last trial (step ``finish``).

    The code sets ``act_p``. With learning projections (``projections`` and
    ``adapt`` as for `receiver_sum_equations`) it also computes RLrate and
    zeroes their sums. ``gates`` defines the trial gates
    (`Schedule.gate_code`).
    """
    code = gates + "act_p = act_int\n"
    if projections:
        code += RLRATE_CODE
    for name in projections:
        code += f"{name}_dwt = 0\n{name}_n = 0\n"
        if adapt:
            code += f"{name}_dswt = 0\n"
    return code


#: XCAL pathways of a learning projection -> their step in TRIAL_ORDER.
XCAL_STEPS = {"xcal_dwt": "dwt", "xcal_apply": "apply"}

#: Slow-adaptation pathways of a learning projection -> their step.
SLOW_STEPS = {"slow_sum": "slow_sum", "slow_apply": "slow_apply"}


def initial_state(spec: NetworkSpec, seed: int) -> dict[str, np.ndarray]:
    """Draw the initial weights and target averages of a network.

    Returns a flat mapping ``"<object>.<variable>" -> array``: per projection
    ``wt``, ``swt`` and ``lwt`` in synapse order (sender-major, ``k = i *
    n_receiver + j``; unit order for one-to-one projections), and per hidden,
    super and ct layer ``trg_avg`` (evenly spaced over [trg_min, trg_max] in
    random order) and ``act_avg``.
    """
    rng = np.random.default_rng(seed)
    names = {projection.name for projection in spec.projections}

    def mirrored(projection) -> str | None:
        """Return the reciprocal whose weights this projection copies, if any."""
        reciprocal = f"{projection.receiver}_to_{projection.sender}"
        later = spec.index(projection.sender) > spec.index(projection.receiver)
        return reciprocal if spec.symmetric and later and reciprocal in names else None

    # Draw in spec order, so that the random numbers follow the spec.
    drawn = {}
    for projection in spec.projections:
        if mirrored(projection) is not None:
            continue
        receiver = spec.layer(projection.receiver)
        init = spec.weights
        sender = spec.layer(projection.sender)
        shape = (
            (sender.size,) if projection.one_to_one else (sender.size, receiver.size)
        )
        drawn[projection.name] = initial_weights(
            shape,
            rng,
            mean=init.mean,
            var=init.var,
            spct=0.0 if receiver.kind in TARGET_KINDS else init.spct,
        )

    state = {}
    for projection in spec.projections:
        source = mirrored(projection)
        if source is None:
            weights = drawn[projection.name]
        else:
            weights = {key: value.T for key, value in drawn[source].items()}
        kept = ("wt", "swt", "lwt") if projection.learn else ("wt",)
        for key in kept:
            state[f"{projection.name}.{key}"] = weights[key].ravel().copy()

    trg = neuron_model(trg_avg=True, pool="parameter").values
    for layer in spec.layers:
        if layer.kind not in HIDDEN_KINDS:
            continue
        values = {**trg, **spec.parameters, **layer.parameters}
        levels = np.linspace(values["trg_min"], values["trg_max"], layer.size)
        levels = rng.permutation(levels)
        state[f"{layer.name}.trg_avg"] = levels
        state[f"{layer.name}.act_avg"] = layer.expected_activity * levels
    return state


def _with_rate_input(model, projections: list[str]):
    """Add the summed inputs of rate-code projections to a neuron model.

    Each projection sums ``g_scale * wt * act * spikes_per_act`` into its own
    receiver variable ``<projection>_drive``, one summed target per
    projection. At the start of the conductance stage the drives enter
    ``g_e_raw`` as one cycle's worth of spike input, so that g_e and NMDA take
    them in exactly as they take spikes.
    """
    declarations = "".join(
        f"{name}_drive : siemens  # summed input of {name}, per cycle\n"
        for name in projections
    )
    total = " + ".join(f"{name}_drive" for name in projections)
    mechanism = Mechanism(
        name="rate_input",
        equations=declarations,
        parameters=ParameterSet([]),
        code={"conductance": f"g_e_raw += ({total})*dt/cycle\n"},
    )
    return dataclasses.replace(model, mechanisms=(mechanism, *model.mechanisms))


class LayeredNetwork:
    """The Brian2 objects of a network spec run on a schedule.

    Parameters
    ----------
    spec : NetworkSpec
    schedule : Schedule
    state : mapping, optional
        Values ``"<object>.<variable>" -> array`` to start from, for example
        from `initial_state` or a checkpoint (`LayeredNetwork.state`).

    Attributes
    ----------
    layers : dict of Layer
    projections : dict of Synapses
    monitors : dict of StateMonitor
        Per-trial records of `RECORDED`, per non-input layer.
    network : brian2.Network
    """

    def __init__(
        self,
        spec: NetworkSpec,
        schedule: Schedule,
        state: Mapping[str, np.ndarray] | None = None,
    ):
        self.spec = spec
        self.schedule = schedule
        self.trial = schedule.timing.trial
        self.layers: dict[str, Layer] = {}
        self.projections: dict[str, Synapses] = {}
        self.monitors: dict[str, StateMonitor] = {}
        # Per-trial TimedArrays that the generated code reads, which are the
        # ones a standalone binary accepts as run_args. Every layer's trial
        # code reads the two gates; clamped layers add the pattern tables.
        self._per_trial_tables = {"finished_train", "slow_adapt", "lrate_sched"}
        objects = []

        for layer_spec in spec.layers:
            layer = self._make_layer(layer_spec)
            self.layers[layer_spec.name] = layer
            objects.extend(layer.objects)
            objects.extend(self._deep_objects(layer_spec, layer))

        for layer_spec in spec.layers:
            if layer_spec.kind == "pulvinar":
                driver = self.layers[layer_spec.driver]
                layer = self.layers[layer_spec.name]
                objects.extend(deep.drive_objects(layer, driver))

        for projection in spec.projections:
            synapses = self._make_projection(projection)
            self.projections[projection.name] = synapses
            objects.append(synapses)

        for name in recorded_layers(spec):
            monitor = StateMonitor(
                self.layers[name].group,
                list(RECORDED),
                record=True,
                dt=self.trial,
                when="start",
                order=TRIAL_ORDER["record"],
                name=f"{name}_trials",
            )
            self.monitors[name] = monitor
            objects.append(monitor)

        self.network = Network(*objects)
        if state is not None:
            self.set_state(state)

    # -- construction -------------------------------------------------------

    def _learning_inputs(self, name: str) -> list[ProjectionSpec]:
        return [p for p in self.spec.inputs_of(name) if p.learn]

    def _make_layer(self, layer_spec) -> Layer:
        schedule = self.schedule
        kind = layer_spec.kind
        learning_inputs = self._learning_inputs(layer_spec.name)
        if kind == "input":
            extra = schedule.input_equations()
            self._per_trial_tables.add("trial_pattern")
        elif kind == "target":
            extra = schedule.target_equations()
            self._per_trial_tables.update({"trial_pattern", "trial_train"})
        else:
            extra = schedule.phase_equations()
        adapt = self._adapts(layer_spec)
        learning_names = [projection.name for projection in learning_inputs]
        extra += receiver_sum_equations(learning_names, adapt)

        # An input layer receives no projection, so its NMDA state would stay
        # 0. It gets no NMDA channel and skips the network-wide NMDA values.
        nmda = self.spec.nmda and kind != "input"
        shared = {
            name: value
            for name, value in self.spec.parameters.items()
            if kind != "input" or name not in NMDA_PARAMETERS
        }
        model = neuron_model(
            self.spec.neuron,
            nmda=nmda,
            gabab=self.spec.gabab,
            kna=self.spec.kna,
            noise=self.spec.noise,
            clamped=kind in ("input", "target"),
            phases=True,
            target=kind in TARGET_KINDS,
            trg_avg=kind in HIDDEN_KINDS,
            deep=kind if kind in DEEP_KINDS else None,
            sends_context=kind == "input" and self._sends_context(layer_spec),
            parameters={**shared, **layer_spec.parameters},
            extra_equations=extra,
        )
        inputs = self.spec.inputs_of(layer_spec.name)
        if self.spec.neuron == "rate" and inputs:
            model = _with_rate_input(model, [p.name for p in inputs])
        outgoing = [p for p in self.spec.projections if p.sender == layer_spec.name]
        sends_adapting = any(
            p.learn and self._adapts(self.spec.layer(p.receiver)) for p in outgoing
        )
        events = {SLOW_EVENT: schedule.slow_event()} if sends_adapting else {}
        namespace = schedule.namespace()
        # The event admits every sender that some outgoing projection lets
        # learn. The synapse code then applies each projection's own threshold.
        thresholds = [
            self._learning_values(p)["lrn_thr"]
            for p in outgoing
            if p.learn and not p.context
        ]
        if thresholds:
            events[LEARN_EVENT] = schedule.learn_event(SENDER_LEARNS)
            namespace["lrn_thr"] = min(thresholds)
        layer = Layer(
            layer_spec.name,
            layer_spec.size,
            model,
            inhibition=layer_spec.inhibition,
            trial=self.trial,
            trial_means=TRIAL_MEANS if kind in HIDDEN_KINDS else None,
            namespace=namespace,
            events=events or None,
            pool_equations=deep.pool_equations(kind),
        )
        deep.link_pool(layer, kind)
        if kind in ("input", "target"):
            schedule.add_clamp(layer.group, kind)

        finish = trial_finish_code(schedule.gate_code(), learning_names, adapt)
        if kind in HIDDEN_KINDS:
            finish += TRIAL_END_CODE
        self._trial_code(layer.group, finish, "finish")
        if kind in HIDDEN_KINDS:
            self._trial_code(layer.group, TRG_AVG_CODE, "apply")
            if adapt:
                self._trial_code(
                    layer.group, schedule.gate_code() + AVG_DIF_CODE, "slow_sum"
                )
        return layer

    def _sends_context(self, layer_spec) -> bool:
        """Return whether the layer is the sender of a context projection."""
        return any(
            p.context and p.sender == layer_spec.name for p in self.spec.projections
        )

    def _adapts(self, layer_spec) -> bool:
        """Return whether the layer's incoming weights adapt slowly (not targets)."""
        return self.spec.swt_adapt and layer_spec.kind in HIDDEN_KINDS

    def _deep_objects(self, layer_spec, layer: Layer) -> list:
        """Attach the trial-level code of a super or ct layer; return new objects."""
        if layer_spec.kind == "super":
            return deep.burst_objects(layer, self.trial)
        if layer_spec.kind == "ct":
            deep.context_zero(layer, self.trial)
        return []

    def _learning_values(self, projection: ProjectionSpec) -> dict:
        """Return the learning parameters of a projection."""
        values = PROJECTION_PARAMETERS.resolve(
            {**self.spec.learning, **projection.parameters}
        )
        if self.spec.layer(projection.receiver).kind in TARGET_KINDS:
            # The reference's target layers learn without the zero-sum step.
            values["sub_mean"] = 0.0
        return values

    def _make_projection(self, projection: ProjectionSpec) -> Synapses:
        spec = self.spec
        sender = spec.layer(projection.sender)
        receiver = spec.layer(projection.receiver)
        rel_total = sum(p.rel for p in spec.inputs_of(receiver.name))
        scale = projection_scale(
            sender.size,
            sender.expected_activity,
            1 if projection.one_to_one else sender.size,
            rel=projection.rel,
            rel_total=rel_total,
            abs_scale=projection.abs_scale,
        )

        values = self._learning_values(projection)
        receiver_values = self.layers[receiver.name].model.values
        namespace = {
            **self.schedule.namespace(),
            **values,
            "g_scale": scale * G_UNIT,
            "syn_scale_rate": receiver_values.get("syn_scale_rate", 0.0),
            "syn_scale_sched": receiver_values.get("syn_scale_sched", 0.0),
        }
        model = SYNAPSE_EQUATIONS if projection.learn else "wt : 1  # weight\n"
        on_pre, on_event, delay = {}, {}, {}
        if projection.context:
            # Context is sent once per trial by trial-level code, not by spikes.
            sender_values = self.layers[sender.name].model.values
            namespace["ctxt_send_thr"] = sender_values["ctxt_send_thr"]
        elif spec.neuron == "spiking":
            on_pre["pre"] = "g_e_raw_post += g_scale*wt"
            on_event["pre"] = "spike"
            delay["pre"] = projection.delay
        else:
            # Rate-code senders send act as the equivalent number of spikes
            # per cycle (the same equivalence the running averages use).
            sender_values = self.layers[sender.name].model.values
            namespace["spikes_per_act"] = (
                sender_values["rate_avg_gain"] / sender_values["spike_gain"]
            )
            model += (
                f"{projection.name}_drive_post = g_scale*wt*act_pre*spikes_per_act"
                " : siemens (summed)\n"
            )
        gates = self.schedule.gate_code()
        sums = projection.name
        steps = {}
        if projection.learn and not projection.context:
            bcm = values["bcm_lrate"] != 0
            xcal_on_pre, xcal_on_event = xcal_pathways(sums, gates, bcm)
            on_pre.update(xcal_on_pre)
            on_event.update(xcal_on_event)
            steps.update(XCAL_STEPS)
        if projection.learn and self._adapts(receiver):
            on_pre["slow_sum"] = gates + slow_sum_code(sums)
            on_pre["slow_apply"] = gates + slow_apply_code(sums, scaling=True)
            on_event.update(dict.fromkeys(SLOW_STEPS, SLOW_EVENT))
            steps.update(SLOW_STEPS)
        # The learning pathways act in the step of their event. A scalar delay
        # keeps Brian2 from storing a zero delay per synapse and pathway (8
        # bytes each, in memory and in the results a standalone run writes).
        delay.update({name: 0 * ms for name in on_pre if name not in delay})
        synapses = Synapses(
            self.layers[sender.name].group,
            self.layers[receiver.name].group,
            model,
            on_pre=on_pre or None,
            on_event=on_event or "spike",
            delay=delay or None,
            namespace=namespace,
            name=projection.name,
        )
        schedule_pathways(synapses, steps)

        if projection.one_to_one:
            synapses.connect(i=np.arange(sender.size), j=np.arange(receiver.size))
        else:
            synapses.connect(
                i=np.repeat(np.arange(sender.size), receiver.size),
                j=np.tile(np.arange(receiver.size), sender.size),
            )
        synapses.wt = 0.5

        if projection.context:
            self._trial_code(
                synapses, gates + context_send_code(), "context_send", reduces=True
            )
        if projection.learn:
            synapses.swt = 0.5
            synapses.lwt = 0.5
        if projection.learn and projection.context:
            # Context senders learn from their previous-trial value, with no
            # sender threshold, so every synapse runs the code every trial.
            self._trial_code(
                synapses, gates + context_dwt_code(sums), "dwt", reduces=True
            )
            self._trial_code(synapses, apply_dwt_code(sums), "apply")
        return synapses

    def _trial_code(self, owner, code: str, step: str, reduces: bool = False):
        """Run ``code`` on ``owner`` in the first time step of every trial."""
        run_each_trial(owner, code, step, self.trial, reduces=reduces)

    # -- state --------------------------------------------------------------

    def state_variables(self) -> dict[str, tuple[object, str]]:
        """Return the variables that carry over between runs.

        Maps ``"<object>.<variable>"`` to ``(owner, variable)``: every state
        variable of the layers and pools (not the linked ones) and the weights
        of the learning projections.
        """
        variables = {}
        for layer in self.layers.values():
            for group in (layer.group, layer.pool):
                for name, variable in group.variables.items():
                    # Owners are weak proxies: compare names, not identities.
                    owner = getattr(variable, "owner", None)
                    if (
                        name.startswith("_")
                        or not isinstance(variable, ArrayVariable)
                        or variable.read_only
                        or getattr(owner, "name", None) != group.name
                        or variable.size != len(group)
                    ):
                        continue
                    variables[f"{group.name}.{name}"] = (group, name)
        for projection in self.spec.projections:
            synapses = self.projections[projection.name]
            names = SYNAPSE_STATE if projection.learn else ("wt",)
            for name in names:
                variables[f"{projection.name}.{name}"] = (synapses, name)
        return variables

    def state(self) -> dict[str, np.ndarray]:
        """Return the current values of `state_variables` as plain arrays."""
        return {
            key: np.asarray(getattr(owner, name)[:], dtype=float).copy()
            for key, (owner, name) in self.state_variables().items()
        }

    def set_state(self, state: Mapping[str, np.ndarray]):
        """Set variables from ``"<object>.<variable>" -> array`` values.

        Raises
        ------
        ValueError
            For an unknown key or an array of the wrong size.
        """
        for owner, name, values in self._checked_state(state):
            setattr(owner, name, values)

    def run_args(self, state: Mapping[str, np.ndarray], schedule: Schedule) -> dict:
        """Return standalone ``run_args`` that set ``state`` and ``schedule``.

        The schedule must have the same number of trials and patterns as the
        one the network was built with; only the values change.

        Raises
        ------
        ValueError
            For another number of trials, an unknown state key or an array of
            the wrong size.
        """
        if schedule.n_trials != self.schedule.n_trials:
            raise ValueError(
                f"Mismatched schedule: {schedule.n_trials} trials, the build has "
                f"{self.schedule.n_trials}."
            )
        args = {
            getattr(owner, name): values
            for owner, name, values in self._checked_state(state)
        }
        built = self.schedule
        for name in sorted(self._per_trial_tables):
            args[getattr(built, name)] = getattr(schedule, name).values
        return args

    def _checked_state(self, state: Mapping[str, np.ndarray]):
        """Yield ``(owner, variable, values with units)`` for each state entry."""
        variables = self.state_variables()
        for key, values in state.items():
            if key not in variables:
                raise ValueError(
                    f"Unknown state variable '{key}': this network has "
                    f"{len(variables)} state variables, for example "
                    f"{sorted(variables)[:4]}."
                )
            owner, name = variables[key]
            values = np.asarray(values, dtype=float)
            if isinstance(owner, Synapses):
                expected = self.spec_size(key)
            else:
                expected = len(owner)
            if values.shape != (expected,):
                raise ValueError(
                    f"Mismatched state '{key}': shape {values.shape}, expected "
                    f"({expected},)."
                )
            yield owner, name, values * get_unit(owner.variables[name].dim)

    def spec_size(self, key: str) -> int:
        """Return the number of synapses of the projection in ``key``."""
        projection = key.split(".")[0]
        for p in self.spec.projections:
            if p.name == projection:
                n_send = self.spec.layer(p.sender).size
                return (
                    n_send
                    if p.one_to_one
                    else n_send * self.spec.layer(p.receiver).size
                )
        raise KeyError(key)

    # -- records ------------------------------------------------------------

    def trial_records(self) -> dict[str, dict[str, np.ndarray]]:
        """Return per-trial records: layer -> variable -> (n_trials, n) array.

        Row k is trial k (the monitors sample the first step of the next
        trial; the sample at t = 0 is dropped).
        """
        records = {}
        for name, monitor in self.monitors.items():
            records[name] = {
                variable: np.asarray(getattr(monitor, variable)).T[1:].copy()
                for variable in RECORDED
            }
        return records
