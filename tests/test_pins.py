"""The pinned numpy and brian2 work together on every runtime target."""

import numpy as np
import pytest
from brian2 import Network, NeuronGroup, ms, prefs


@pytest.mark.parametrize("target", ["numpy", "cython"])
def test_rand_runs(target):
    # numpy 2.3 breaks rand() under brian2 2.8.0's Cython target.
    prefs.codegen.target = target
    group = NeuronGroup(100, "x : 1", name=f"rand_{target}")
    group.run_regularly("x = rand()")
    Network(group).run(2 * ms)
    values = group.x[:]
    assert np.all((values >= 0) & (values < 1))
    assert np.std(values) > 0.1


def test_numpy_version_in_pinned_range():
    major, minor = (int(part) for part in np.__version__.split(".")[:2])
    assert (major, minor) >= (2, 0)
    assert (major, minor) < (2, 3)
