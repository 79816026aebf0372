"""Shared fixtures: a clean Brian2 device, clock and preferences per test."""

import pytest
from brian2 import defaultclock, device, ms, prefs, set_device
from brian2.devices.device import reinit_and_delete


@pytest.fixture(autouse=True)
def brian_state():
    """Restore the runtime device, dt = 1 ms and the code target after a test."""
    set_device("runtime")
    defaultclock.dt = 1 * ms
    target = prefs.codegen.target
    yield
    reinit_and_delete()
    set_device("runtime")
    device.reinit()
    device.activate()
    prefs.codegen.target = target
    defaultclock.dt = 1 * ms
