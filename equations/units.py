"""Mapping between the reference's normalised units and physical units.

The reference implementation (the Go framework axon, v1.2.94) works in
normalised units: a membrane potential v in [0, 1] stands for -100 mV to 0 mV,
a conductance of 1 stands for 100 nS, and one integration cycle is 1 ms. Its
membrane "time constant" of 2.81 cycles is the capacitance 281 pF divided by
the conductance unit of 100 nS.
"""

from brian2 import ms, mV, nS, pA

__all__ = [
    "CYCLE",
    "G_UNIT",
    "V_OFFSET",
    "V_UNIT",
    "I_UNIT",
    "to_normalised_voltage",
    "to_normalised_conductance",
    "from_normalised_voltage",
    "from_normalised_conductance",
]

#: One reference integration cycle. Increments that the reference adds once per
#: cycle (NMDA into the excitatory integrator, the GABA-B drive) are written as
#: rates of one increment per ``CYCLE``.
CYCLE = 1 * ms

#: Conductance of a normalised value of 1.
G_UNIT = 100 * nS

#: Voltage span of a normalised value of 1, and the voltage of v = 0.
V_UNIT = 100 * mV
V_OFFSET = -100 * mV

#: Current of a normalised value of 1 (100 nS x 100 mV).
I_UNIT = 10_000 * pA


def to_normalised_voltage(voltage):
    """Map a membrane potential in volts to the reference's v (0 = -100 mV)."""
    return (voltage - V_OFFSET) / V_UNIT


def from_normalised_voltage(v):
    """Map the reference's normalised v to a membrane potential in volts."""
    return v * V_UNIT + V_OFFSET


def to_normalised_conductance(conductance):
    """Map a conductance in siemens to the reference's normalised units."""
    return conductance / G_UNIT


def from_normalised_conductance(g):
    """Map a normalised conductance to siemens."""
    return g * G_UNIT
