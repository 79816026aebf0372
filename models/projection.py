"""Projections between layers: conductance scaling and initial weights.

The reference scales each projection so that a receiver's g_e is an average
over the expected number of active senders, not a raw sum (axon v1.2.94,
PrjnScaleParams.SLayActScale and Layer.InitGScale)::

    scale = abs * (rel / sum of rel over the receiver's excitatory inputs) * s
    s = 1 / n_act                                  (full connectivity)
    s = 1 / min(max(round(a n_in), 1) + 2, min(n_in, n_act))   (otherwise)
    n_act = max(round(a n_send), 1)

with ``a`` the sending layer's expected activity (ActAvg.Init), ``n_send`` its
size and ``n_in`` the mean number of inputs per receiver. Each sender spike
then adds ``scale * wt * 100 nS`` to the receiver's g_e.

Weights are ``wt = swt * 2 * sigmoid(lwt)``. Initially wt = mean + d with d
uniform in [-var, var], ``swt = clip(mean + spct*d, 0.2, 0.8)`` and ``lwt`` is
chosen so that the product gives wt back; projections into target layers use
spct = 0, so all their variance sits in lwt.
"""

from __future__ import annotations

import math

import numpy as np

from equations.xcal import weight_sigmoid, weight_sigmoid_inverse

__all__ = ["projection_scale", "initial_weights", "round_half_away"]


def round_half_away(x: float) -> int:
    """Round half away from zero, as Go's math.Round (Python rounds half to even)."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def projection_scale(
    n_send: int,
    send_activity: float,
    n_inputs: float,
    rel: float = 1.0,
    rel_total: float = 1.0,
    abs_scale: float = 1.0,
) -> float:
    """Return the conductance scale of one projection.

    Parameters
    ----------
    n_send : int
        Size of the sending layer.
    send_activity : float
        Expected fraction of active senders (the sending layer's ActAvg.Init).
    n_inputs : float
        Mean number of connections per receiver (``n_send`` for full
        connectivity).
    rel, rel_total : float
        Relative strength of this projection and the sum over all excitatory
        projections into the receiving layer.
    abs_scale : float
        Absolute multiplier (Abs).
    """
    if n_send < 1 or n_inputs < 1:
        raise ValueError(
            f"Invalid projection size: n_send={n_send}, n_inputs={n_inputs}; both "
            "must be at least 1."
        )
    if not 0 < send_activity <= 1:
        raise ValueError(
            f"Invalid expected activity {send_activity}: expected a fraction in (0, 1]."
        )
    if rel < 0 or rel_total <= 0 or rel > rel_total:
        raise ValueError(
            f"Invalid relative scales rel={rel}, rel_total={rel_total}: expected "
            "0 <= rel <= rel_total and rel_total > 0."
        )
    n_active = max(round_half_away(send_activity * n_send), 1)
    if n_inputs >= n_send:
        per_sender = 1 / n_active
    else:
        expected = max(round_half_away(send_activity * n_inputs), 1) + 2
        per_sender = 1 / min(expected, min(n_inputs, n_active))
    return abs_scale * (rel / rel_total) * per_sender


def initial_weights(
    shape: tuple[int, int],
    rng: np.random.Generator,
    *,
    mean: float = 0.5,
    var: float = 0.25,
    spct: float = 0.5,
    limits: tuple[float, float] = (0.2, 0.8),
    sig_gain: float = 6.0,
) -> dict[str, np.ndarray]:
    """Draw initial ``wt``, ``swt`` and ``lwt`` arrays of the given shape.

    ``lwt`` is the inverse weight sigmoid of wt / (2 swt), so that
    ``swt * 2 * sigmoid(lwt)`` gives wt back wherever wt / (2 swt) <= 1.
    """
    if not 0 <= spct <= 1:
        raise ValueError(f"Invalid spct {spct}: expected a fraction in [0, 1].")
    delta = rng.uniform(-var, var, size=shape)
    wt = mean + delta
    swt = np.clip(mean + spct * delta, *limits)
    lwt = weight_sigmoid_inverse(wt / (2 * swt), sig_gain)
    wt = swt * 2 * weight_sigmoid(lwt, sig_gain)
    return {"wt": wt, "swt": swt, "lwt": lwt}
