"""An independent numpy version of the reference's per-cycle neuron update.

Written from the published update rules (normalised units, one cycle = 1 ms),
without using the package, so tests can compare the Brian2 equations with it.
"""

import math

# Normalised defaults of axon v1.2.94.
E_L, E_E, E_I, E_K = 0.3, 1.0, 0.1, 0.1
G_L = 0.2
VM_TAU, DEND_TAU = 2.81, 5.0
THR, EXP_SLOPE, EXP_THR, VM_R = 0.5, 0.02, 1.0, 0.3
VM_MIN, VM_MAX = 0.1, 1.0
TR = 3


def count_spikes(ge_clamp, cycles, gi=0.0):
    """Count spikes of a neuron whose Ge is held at ``ge_clamp`` (no KNa)."""
    v = 0.3
    isi = -1
    spikes = 0
    for _ in range(cycles):

        def current(vm):
            return ge_clamp * (E_E - vm) + G_L * (E_L - vm) + gi * (E_I - vm)

        if not (0 <= isi < TR):
            v_half = v + 0.5 * current(v) / VM_TAU
            exp_term = G_L * EXP_SLOPE * math.exp((v_half - THR) / EXP_SLOPE)
            v = min(max(v + (current(v_half) + exp_term) / VM_TAU, VM_MIN), VM_MAX)
        if v >= EXP_THR:
            spikes += 1
            v = VM_R
            isi = 0
        elif isi >= 0:
            isi += 1
    return spikes


def gabab_trace(
    gi_values, rise=45.0, decay=50.0, gi_spike=10.0, gbar=0.2, gbase=0.2, v_dend=0.3
):
    """Return GgabaB per cycle for a sequence of normalised Gi values."""
    factor = (decay / rise) ** (rise / (decay - rise))
    v_mv = 100 * v_dend - 100
    rect = 1 / (1 + math.exp(0.1 * (max(v_mv, -90) + 100)))
    x = g = 0.0
    out = []
    for gi in gi_values:
        s = 1 / (1 + math.exp(-(min(gi_spike * gi, 10) - 7.1) / 1.4))
        x, g = x + s - x / decay, g + (factor * x - g) / rise
        out.append(gbar * rect * (g + gbase))
    return out
