"""Brian2 objects of the deep predictive-learning layers (`equations.deep`).

`LayeredNetwork` calls these builders for the layer kinds ``super``, ``ct``
and ``pulvinar``. The other kinds get none of these objects, so their
generated code does not change.

* A superficial layer computes its burst once per trial, in the first step
  of the next trial (the trial-level code of `models.schedule.TRIAL_ORDER`),
  from the act of the last plus-phase step: zero the counts, count the larger
  acts over an all-to-all Synapses onto itself, sum the maxima into the pool,
  then threshold. Nothing in these networks reads the burst earlier, since a
  pulvinar cannot have a superficial driver (`models.spec.NetworkSpec`).
* A deep context layer zeroes its context conductance just before its
  context projections send (`context_zero`, then `context_send`).
* A pulvinar layer copies its driver's act and the driver's maximum every
  step, in the ``before_groups`` slot just before its conductance stage
  (`DRIVE_ORDER`), so that it reads the driver's act of the previous step as
  the reference does.
"""

from __future__ import annotations

from brian2 import Synapses, linked_var

from equations.deep import BURST_CODE, rank_count_code, top_sum_code

from .layer import Layer
from .schedule import Schedule, run_each_trial

__all__ = [
    "DRIVE_ORDER",
    "pool_equations",
    "link_pool",
    "burst_objects",
    "context_zero",
    "drive_objects",
]

#: Brian2 ``order`` of the pulvinar drive steps, in the ``before_groups``
#: slot of every step. The layers' conductance stage follows at order 1.
DRIVE_ORDER = {"zero": -5, "copy": -4, "rank": -3, "top": -2}

#: Pool variables of each deep kind, with the neuron variables linked to them.
_POOL_VARIABLES = {
    "super": {
        "act_top": "summed act of the most active units, once per trial",
        "n_top": "number of the most active units, once per trial",
    },
    "pulvinar": {
        "drive_top": "summed act of the most active driver units, every step",
        "drive_n": "number of the most active driver units, every step",
    },
}


def pool_equations(kind: str) -> str:
    """Return the extra pool-group declarations of a layer kind ("" if none)."""
    variables = _POOL_VARIABLES.get(kind, {})
    return "".join(f"{name} : 1  # {doc}\n" for name, doc in variables.items())


def link_pool(layer: Layer, kind: str):
    """Link a deep layer's neurons to the reduction variables of its pool."""
    for name in _POOL_VARIABLES.get(kind, {}):
        setattr(layer.group, name, linked_var(layer.pool, name))
    if kind == "super":
        layer.group.pool_act_avg = linked_var(layer.pool, "act_avg")


def burst_objects(layer: Layer, trial) -> list:
    """Attach the once-per-trial burst of a superficial layer.

    Returns the new Brian2 objects to add to the network (the rank Synapses).
    """
    group, pool = layer.group, layer.pool
    zero_burst = "burst_above = 0\n"
    zero_top = "act_top = 0\nn_top = 0\n"
    run_each_trial(group, zero_burst, "deep_zero", trial, f"{group.name}_burst_zero")
    run_each_trial(pool, zero_top, "deep_zero", trial, f"{pool.name}_max_zero")

    # All to all, self included: a unit is never above itself.
    rank = Synapses(group, group, "", name=f"{layer.name}_rank")
    rank.connect()
    count = rank_count_code("burst_above", "act")
    run_each_trial(rank, count, "deep_rank", trial, f"{rank.name}_count")
    top = top_sum_code("burst_above", "act", "act_top", "n_top")
    pool_input = layer.pool_input
    run_each_trial(pool_input, top, "deep_top", trial, f"{pool_input.name}_max")
    burst = Schedule.gate_code() + BURST_CODE
    run_each_trial(group, burst, "deep_burst", trial, f"{group.name}_burst")
    return [rank]


def context_zero(layer: Layer, trial):
    """Zero a deep context layer's ``ctxt_ge`` before its context arrives.

    At the start of a run (``after_first`` = 0) the context is kept, so that
    a run continued from a checkpoint keeps the context of its last trial.
    """
    code = Schedule.gate_code() + "ctxt_ge = (1 - after_first)*ctxt_ge\n"
    name = f"{layer.group.name}_context_zero"
    run_each_trial(layer.group, code, "context_zero", trial, name)


def drive_objects(layer: Layer, driver: Layer) -> list:
    """Attach the every-step driver input of a pulvinar layer.

    The driver's act goes to ``drive_act`` one to one; the driver's maximum
    goes to the pool through rank counts on the pulvinar units. Returns the
    new Brian2 objects to add to the network (the driver's Synapses).
    """

    def every_step(owner, code: str, step: str, suffix: str):
        owner.run_regularly(
            code,
            when="before_groups",
            order=DRIVE_ORDER[step],
            name=f"{owner.name}_{suffix}",
        )

    group, pool = layer.group, layer.pool
    every_step(group, "drive_act = 0\ndrive_above = 0\n", "zero", "drive_zero")
    every_step(pool, "drive_top = 0\ndrive_n = 0\n", "zero", "drive_max_zero")

    drive = Synapses(driver.group, group, "", name=f"{driver.name}_drives_{layer.name}")
    drive.connect()
    every_step(drive, "drive_act_post += int(i == j)*act_pre\n", "copy", "copy")
    every_step(drive, rank_count_code("drive_above", "drive_act"), "rank", "count")
    every_step(
        layer.pool_input,
        top_sum_code("drive_above", "drive_act", "drive_top", "drive_n"),
        "top",
        "drive_max",
    )
    return [drive]
